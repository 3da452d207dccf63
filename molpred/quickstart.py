"""The quickstart job, offline on bundled data: train on a MoleculeACE target, report its test
metrics, then screen the other bundled MoleculeACE compounds with the model and rank the hits."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from molpred.types import PathType

# numpy and pandas are imported inside the functions: `molpred --help` reads the constants below

__all__ = ["QuickstartResult", "run_quickstart", "screening_library", "QUICKSTART_EPOCHS", "QUICKSTART_LIBRARY"]


QUICKSTART_EPOCHS = 15
"""Default epochs: with the default library the whole quickstart takes about 2 minutes on 2 cores
(README, measured); more epochs fit the training set better and take longer."""
QUICKSTART_LIBRARY = 6000
"""Default screening-library size: a seeded random sample of :func:`screening_library` (about
33,000 compounds in all; ``library_size=None`` screens every one, about 4 minutes on 2 cores)."""


@dataclass
class QuickstartResult:
    """Outputs of :func:`run_quickstart`.

    Attributes
    ----------
    target : str
    metrics : dict
        Test metrics (see :func:`run_quickstart`) plus ``n_train``, ``n_test``, ``model``, ``epochs``.
    model_dir : Path
    predictions : pandas.DataFrame
        Test-set predictions (also ``out/test_predictions.csv``).
    seconds : float
        Wall time of the whole run.
    screen : ScreenSummary or None
        The library screen (``None`` if skipped).
    train_seconds, screen_seconds : float
        Wall time of loading + training + scoring the test set, and of building the library +
        screening it.
    cpu_seconds, train_cpu_seconds : float
        CPU time of this process and its finished worker processes, in all and for the
        training part (on a busy machine the wall time grows, the CPU time hardly).
    library_size : int
        Compounds screened (0 when the screen is skipped).
    """

    target: str
    metrics: dict
    model_dir: Path
    predictions: object
    seconds: float
    screen: object = None
    train_seconds: float = 0.0
    screen_seconds: float = 0.0
    cpu_seconds: float = 0.0
    train_cpu_seconds: float = 0.0
    library_size: int = 0
    files: dict = field(default_factory=dict)
    """Every output file the quickstart promises, by role (all exist after a run)."""


def _cpu_seconds() -> float:
    """CPU time of this process plus its waited-for children (the screen's workers)."""
    import resource

    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + kids.ru_utime + kids.ru_stime


def run_quickstart(out: PathType = "molpred-quickstart", target: str = "CHEMBL204_Ki", model: str = "dmpnn",
                   epochs: int = QUICKSTART_EPOCHS, seed: int = 0, progress: bool = False, screen: bool = True,
                   top_k: int = 20, filters: str | None = "pains,lipinski",
                   library_size: int | None = QUICKSTART_LIBRARY, rank: str = "domain") -> QuickstartResult:
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
        Default :data:`QUICKSTART_EPOCHS` (about 2 minutes in all on 2 cores with the default
        library).
    seed : int
    progress : bool
    screen : bool
        Also screen :func:`screening_library` (written to ``out/library.csv``) into
        ``out/screen`` with :func:`molpred.screen.screen`: every row accounted for, a ranked
        ``top_hits.csv``, ``top_hits_out_of_domain.csv`` and a ``top_hits.png`` grid.
    top_k : int
        Hits kept by the screen.
    filters : str, optional
        Screen filters (default: PAINS alerts and Lipinski's rule of five).
    library_size : int, optional
        Compounds screened: a seeded random sample of the library (default
        :data:`QUICKSTART_LIBRARY`); ``None`` screens all of it.
    rank : {"domain", "raw"}
        Screen ranking (:func:`molpred.screen.screen`): by default in-domain compounds first,
        the out-of-domain ones listed apart.

    Returns
    -------
    QuickstartResult
        ``metrics`` holds test RMSE, RMSE on activity-cliff molecules (``rmse_cliff``), R2 and
        Spearman, in units of -log10(K / nM).
    """
    import numpy as np

    from molpred.datasets import load_moleculeace
    from molpred.estimators import MolPropertyRegressor
    from molpred.io import save
    from molpred.train.metrics import regression_metrics

    start = time.perf_counter()
    cpu0 = _cpu_seconds()
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
    used = est.train_summary_
    metrics.update(n_train=len(train), n_fit=int(used["n_train"]), n_val=int(used["n_val"]),
                   n_cal=int(used.get("n_calibration", 0)), n_test=len(test),
                   model=model, epochs=epochs, target=target,
                   encoder_start=(used.get("encoder_start") or {}).get("pretrained"),
                   encoder_start_reason=used.get("encoder_start_reason"))
    out = Path(out)
    model_dir = save(est, out / "model", metrics={"test": metrics})
    preds.insert(1, "y_true", y)
    preds.insert(2, "cliff_mol", test["cliff_mol"].to_numpy())
    preds.to_csv(out / "test_predictions.csv", index=False)
    files = {"model": model_dir / "model.json", "test_predictions": out / "test_predictions.csv"}
    train_seconds = time.perf_counter() - start
    train_cpu = _cpu_seconds() - cpu0
    summary, n_lib = None, 0
    if screen:
        from molpred.screen import screen as run_screen

        library = out / "library.csv"
        deck = screening_library(exclude=target, size=library_size, seed=seed)
        n_lib = len(deck)
        deck.to_csv(library, index=False)
        summary = run_screen(model_dir, library, out / "screen", top_k=top_k, filters=filters, overwrite=True,
                             progress=progress, smiles_col="smiles", id_col="id", rank=rank)
        screen_dir = Path(summary.out)
        files.update(library=library, summary=screen_dir / "summary.json", top_hits=screen_dir / "top_hits.csv",
                     shards=screen_dir / "shards")
        if summary.n_hits:
            files["top_hits_png"] = screen_dir / "top_hits.png"
        if summary.rank == "domain":
            files["top_hits_out_of_domain"] = screen_dir / "top_hits_out_of_domain.csv"
    seconds = time.perf_counter() - start
    return QuickstartResult(target, metrics, model_dir, preds, seconds, summary, train_seconds,
                            seconds - train_seconds, _cpu_seconds() - cpu0, train_cpu, n_lib, files)


def screening_library(exclude: str | None = None, size: int | None = None, seed: int = 0):
    """Every compound of the bundled MoleculeACE sets except those of ``exclude``, once each.

    A real screening deck of about 33,000 measured ChEMBL compounds (ligands of 29 other targets:
    kinases, GPCRs, nuclear receptors, proteases), so a model trained on one target can be
    asked which compounds made for other targets it would rank highest.

    Parameters
    ----------
    exclude : str, optional
        A MoleculeACE target whose compounds (by SMILES) are left out, e.g. the training set.
    size : int, optional
        Keep a seeded random sample of this many compounds (in library order); default: all.
    seed : int
        Seed of the sample.

    Returns
    -------
    pandas.DataFrame
        Columns ``id`` (``"<target>/<row>"``, the first set the compound appears in) and
        ``smiles``, in a fixed order (targets sorted, rows in file order).
    """
    import numpy as np
    import pandas as pd

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
    deck = deck[~deck["smiles"].isin(skip)].drop_duplicates("smiles").reset_index(drop=True)
    if size is not None and size < len(deck):
        keep = np.sort(np.random.default_rng(seed).choice(len(deck), size=int(size), replace=False))
        deck = deck.iloc[keep].reset_index(drop=True)
    return deck
