"""``molpred tune`` on a table: pick the training rows, tune, refit, score the held-out test rows."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from molpred.types import PathType

__all__ = ["TuneOutcome", "tune_table"]


@dataclass
class TuneOutcome:
    """What :func:`tune_table` produced."""

    result: object
    """The :class:`molpred.tuning.TuneResult`."""
    n_tune_rows: int
    """Rows given to the search (the training part; the test part never is)."""
    test_metrics: dict | None
    """Metrics of the refitted model on the held-out test part (``split`` other than ``none``)."""
    files: dict | None
    """Paths written (:meth:`TuneResult.save`)."""


def tune_table(frame: pd.DataFrame, smiles_col: str | None, targets: list[str], task: str = "regression",
               model: str = "dmpnn", split: str = "none", seed: int = 0, out: PathType | None = None,
               path: PathType = "", fractions: tuple[float, float, float] = (0.8, 0.1, 0.1),
               n_trials: int | None = 20, timeout: float | None = None, cv: int = 3, cv_split: str = "random",
               storage: str | None = None, study_name: str | None = None, pruner: str = "median",
               progress: bool = False, fixed: tuple[str, ...] = (), **params) -> TuneOutcome:
    """Tune ``model`` on the training rows of ``frame``; write the refitted model and the study.

    Parameters
    ----------
    frame : pandas.DataFrame
    smiles_col : str or None
        ``None`` finds a SMILES-like column.
    targets : list of str
    task : {"regression", "classification"}
    model : str
    split : str
        ``"none"``: every row is training data. Otherwise a ``molpred train`` split
        (``random``, ``scaffold``, ``cluster``, ``column:NAME``, ``time:NAME``): the search and
        the refit see its train and validation parts only; its test part is scored once, by the
        refitted model, into ``metrics.json``.
    seed : int
        Estimator, split, folds and sampler seed.
    out : path, optional
        Directory for the model and the study files (:meth:`molpred.tuning.TuneResult.save`).
    n_trials, timeout, cv, cv_split, storage, study_name, pruner, progress, fixed
        See :func:`molpred.tuning.tune`.
    **params
        Fixed estimator parameters (``epochs``, ``patience``, ``device``...).
    """
    from molpred.data.tables import resolve_column
    from molpred.estimators import MolPropertyClassifier, MolPropertyRegressor
    from molpred.train.metrics import task_metrics
    from molpred.tuning.study import tune
    from molpred.workflow import baseline_metrics, split_by_molecule, target_matrix

    if task not in ("regression", "classification"):
        raise ValueError(f"task must be 'regression' or 'classification', got {task!r}")
    col = resolve_column(frame, smiles_col, path)
    y = target_matrix(frame, targets, path)
    smiles = np.asarray(frame[col].tolist(), dtype=object)
    cls = MolPropertyRegressor if task == "regression" else MolPropertyClassifier
    est = cls(model=model, seed=seed, **params)
    if split == "none":
        train, test = np.arange(len(frame)), np.arange(0)
    else:
        part, _ = split_by_molecule(smiles.tolist(), split, frame, fractions, seed, est._standardize_config())
        train, test = np.sort(np.concatenate([part.train, part.val])), np.asarray(part.test)
    names = [str(t) for t in targets]
    result = tune(est, smiles[train].tolist(), pd.DataFrame(y[train], columns=names), n_trials=n_trials,
                  timeout=timeout, cv=cv, cv_split=cv_split, seed=seed, storage=storage, study_name=study_name,
                  pruner=pruner, progress=progress, fixed=fixed)
    test_metrics = None
    if len(test):
        pred = result.estimator.predict(smiles[test].tolist()) if task == "regression" else None
        if task == "classification":
            proba = result.estimator.predict_proba(smiles[test].tolist())
            pred = proba[:, 1:] if len(names) == 1 else proba
        pred = np.asarray(pred, dtype=float).reshape(len(test), -1)
        test_metrics = {"split": split, "n_test_rows": int(len(test)),
                        "test": task_metrics(task, y[test], pred, names),
                        "baseline": baseline_metrics(task, y[train], y[test], names)}
    files = None
    if out is not None:
        files = result.save(out, metrics=test_metrics)
    return TuneOutcome(result, int(len(train)), test_metrics, files)
