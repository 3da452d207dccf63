"""The quickstart job: train on a bundled MoleculeACE target and report test metrics, offline."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from molpred.types import PathType

__all__ = ["QuickstartResult", "run_quickstart"]


@dataclass
class QuickstartResult:
    """Outputs of :func:`run_quickstart`."""

    target: str
    metrics: dict
    model_dir: Path
    predictions: pd.DataFrame
    seconds: float


def run_quickstart(out: PathType = "molpred-quickstart", target: str = "CHEMBL204_Ki", model: str = "dmpnn",
                   epochs: int = 30, seed: int = 0, progress: bool = False) -> QuickstartResult:
    """Train ``model`` on the shipped train split of a MoleculeACE target and score its test split.

    Parameters
    ----------
    out : path
        Directory for the model (``out/model``) and test predictions (``out/test_predictions.csv``).
    target : str
        MoleculeACE target bundled in ``datasets/moleculeace``.
    model : str
    epochs : int
    seed : int
    progress : bool

    Returns
    -------
    QuickstartResult
        ``metrics`` holds test RMSE, RMSE on activity-cliff molecules (``rmse_cliff``), R2 and
        Spearman, in units of -log10(K / nM).
    """
    from molpred.datasets import load_moleculeace
    from molpred.estimators import MolPropertyRegressor
    from molpred.io import save
    from molpred.train.metrics import regression_metrics

    start = time.perf_counter()
    frame = load_moleculeace(target)
    train = frame[frame["split"] == "train"]
    test = frame[frame["split"] == "test"].reset_index(drop=True)
    est = MolPropertyRegressor(model=model, epochs=epochs, seed=seed, progress=progress)
    est.fit(train["smiles"].tolist(), train["y"].rename(target))
    preds = est.predict_frame(test["smiles"].tolist())
    y, p = test["y"].to_numpy(), preds[target].to_numpy()
    cliff = test["cliff_mol"].to_numpy() == 1
    metrics = regression_metrics(y, p)[0]
    metrics["rmse_cliff"] = float(np.sqrt(np.nanmean((y[cliff] - p[cliff]) ** 2)))
    metrics.update(n_train=len(train), n_test=len(test), model=model, epochs=epochs, target=target)
    out = Path(out)
    model_dir = save(est, out / "model", metrics={"test": metrics})
    preds.insert(1, "y_true", y)
    preds.insert(2, "cliff_mol", test["cliff_mol"].to_numpy())
    preds.to_csv(out / "test_predictions.csv", index=False)
    return QuickstartResult(target, metrics, model_dir, preds, time.perf_counter() - start)
