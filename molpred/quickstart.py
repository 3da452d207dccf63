"""The quickstart job, offline on bundled data: train on a MoleculeACE target, report its test
metrics, then screen the other bundled MoleculeACE compounds with the model and rank the hits."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from molpred.types import PathType

__all__ = ["QuickstartResult", "run_quickstart", "screening_library"]


@dataclass
class QuickstartResult:
    """Outputs of :func:`run_quickstart`."""

    target: str
    metrics: dict
    model_dir: Path
    predictions: pd.DataFrame
    seconds: float
    screen: object = None
    """:class:`molpred.screen.ScreenSummary` of the library screen (``None`` if skipped)."""


def run_quickstart(out: PathType = "molpred-quickstart", target: str = "CHEMBL204_Ki", model: str = "dmpnn",
                   epochs: int = 30, seed: int = 0, progress: bool = False, screen: bool = True,
                   top_k: int = 20, filters: str | None = "pains,lipinski") -> QuickstartResult:
    """Train ``model`` on the shipped train split of a MoleculeACE target, score its test split,
    then screen a library of the other bundled compounds with it.

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
    screen : bool
        Also screen :func:`screening_library` (written to ``out/library.csv``) into
        ``out/screen`` with :func:`molpred.screen.screen`: every row accounted for, a ranked
        ``top_hits.csv`` and a ``top_hits.png`` grid.
    top_k : int
        Hits kept by the screen.
    filters : str, optional
        Screen filters (default: PAINS alerts and Lipinski's rule of five).

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
    summary = None
    if screen:
        from molpred.screen import screen as run_screen

        library = out / "library.csv"
        screening_library(exclude=target).to_csv(library, index=False)
        summary = run_screen(model_dir, library, out / "screen", top_k=top_k, filters=filters, overwrite=True,
                             progress=progress, smiles_col="smiles", id_col="id")
    return QuickstartResult(target, metrics, model_dir, preds, time.perf_counter() - start, summary)


def screening_library(exclude: str | None = None) -> pd.DataFrame:
    """Every compound of the bundled MoleculeACE sets except those of ``exclude``, once each.

    A real screening deck of about 33,000 measured ChEMBL compounds (ligands of 29 other targets:
    kinases, GPCRs, nuclear receptors, proteases), so a model trained on one target can be
    asked which compounds made for other targets it would rank highest.

    Parameters
    ----------
    exclude : str, optional
        A MoleculeACE target whose compounds (by SMILES) are left out, e.g. the training set.

    Returns
    -------
    pandas.DataFrame
        Columns ``id`` (``"<target>/<row>"``, the first set the compound appears in) and
        ``smiles``, in a fixed order (targets sorted, rows in file order).
    """
    from molpred.datasets import card, list_datasets, load_moleculeace

    skip_name = card(f"moleculeace/{exclude}").name if exclude is not None else None
    skip = set(load_moleculeace(exclude)["smiles"]) if exclude is not None else set()
    frames = []
    for name in sorted(list_datasets("moleculeace")):
        if name == skip_name:
            continue
        t = name.split("/", 1)[1]
        f = load_moleculeace(t)
        frames.append(pd.DataFrame({"id": [f"{t}/{i}" for i in range(len(f))], "smiles": f["smiles"].to_numpy()}))
    deck = pd.concat(frames, ignore_index=True)
    deck = deck[~deck["smiles"].isin(skip)].drop_duplicates("smiles")
    return deck.reset_index(drop=True)
