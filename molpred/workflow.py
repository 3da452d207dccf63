"""Table-level workflows behind the CLI: train with a split, evaluate, predict a file.

Each function takes and returns plain Python objects; the CLI only parses arguments and calls
these, so everything the CLI does can be done from Python.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from molpred.data.tables import read_table, resolve_column, write_table
from molpred.exceptions import DataFileError
from molpred.types import PathType

__all__ = ["TrainOutcome", "train_table", "evaluate_table", "predict_file", "target_matrix"]


@dataclass
class TrainOutcome:
    """What :func:`train_table` produced."""

    estimator: object
    metrics: dict
    split_sizes: dict
    seconds: float


def target_matrix(frame: pd.DataFrame, targets: list[str], path: PathType = "") -> np.ndarray:
    """``n x t`` float labels from ``frame``; raises DataFileError for missing or non-numeric columns."""
    cols = [resolve_column(frame, t, path, role="target column") for t in targets]
    out = np.empty((len(frame), len(cols)))
    for j, c in enumerate(cols):
        values = pd.to_numeric(frame[c], errors="coerce")
        bad = frame[c].notna() & values.isna()
        if bad.all() or (bad.sum() > 0.5 * len(frame)):
            raise DataFileError(f"{path}: target column {c!r} is not numeric (e.g. {frame[c][bad].iloc[0]!r})")
        if bad.any():
            raise DataFileError(
                f"{path}: target column {c!r} has {int(bad.sum())} non-numeric values "
                f"(e.g. row {int(np.flatnonzero(bad.to_numpy())[0])}: {frame[c][bad].iloc[0]!r})"
            )
        out[:, j] = values.to_numpy(dtype=float)
    return out


def train_table(
    frame: pd.DataFrame,
    smiles_col: str | None,
    targets: list[str],
    task: str = "regression",
    split: str = "scaffold",
    model: str = "dmpnn",
    seed: int = 0,
    out: PathType | None = None,
    fractions: tuple[float, float, float] = (0.8, 0.1, 0.1),
    path: PathType = "",
    weight_col: str | None = None,
    **params,
) -> TrainOutcome:
    """Split a table, train on train (early stopping on val), score test, optionally save.

    Parameters
    ----------
    frame : pandas.DataFrame
    smiles_col : str or None
        ``None`` finds a SMILES-like column.
    targets : list of str
    task : {"regression", "classification"}
    split : str
        ``random``, ``scaffold``, ``cluster``, ``column:NAME`` or ``time:NAME``.
    model : str
        Architecture name.
    seed : int
    out : path, optional
        Model directory to write (with ``metrics.json``).
    fractions : (float, float, float)
        Train, validation and test fractions of the split.
    weight_col : str, optional
        Column of non-negative sample weights for the training rows.
    **params
        Further estimator parameters (``epochs``, ``ensemble``, ``uncertainty``...).
    """
    from molpred.chem.standardize import StandardizeConfig, to_mol_record
    from molpred.data.splits import make_split
    from molpred.estimators import MolPropertyClassifier, MolPropertyRegressor
    from molpred.train.metrics import task_metrics

    if task not in ("regression", "classification"):
        raise ValueError(f"task must be 'regression' or 'classification', got {task!r}")
    start = time.perf_counter()
    col = resolve_column(frame, smiles_col, path)
    censored = params.get("loss") == "censored"
    if censored:  # qualified labels (">10 uM", "<5"): the estimator parses them
        from molpred.inputs import as_qualified_targets

        target_cols = [resolve_column(frame, t, path, role="target column") for t in targets]
        raw = frame[target_cols].astype(object).to_numpy()
        try:
            y, qual, _ = as_qualified_targets(raw, len(frame))
        except ValueError as exc:
            raise DataFileError(f"{path}: {exc}") from None
        y_eval = np.where(qual != 0, np.nan, y)  # bounds are not point values: no test error
    else:
        y = target_matrix(frame, targets, path)
        raw, y_eval = y, y
    weights = None
    if weight_col is not None:
        wc = resolve_column(frame, weight_col, path, role="weight column")
        weights = pd.to_numeric(frame[wc], errors="coerce").to_numpy(dtype=float)
        if not np.isfinite(weights).all() or (weights < 0).any():
            raise DataFileError(f"{path}: weight column {wc!r} must hold finite non-negative numbers")
    smiles = frame[col].tolist()
    # scaffold/cluster splits need molecules; invalid rows go to train and are skipped there
    config = StandardizeConfig(tautomer=bool(params.get("tautomer", False)))
    records = [to_mol_record(s, config) for s in smiles]
    ok = np.array([r.ok for r in records])
    kind = split.partition(":")[0]
    if kind in ("scaffold", "cluster"):
        part = make_split(split, [records[i].mol for i in np.flatnonzero(ok)], frame, fractions, seed)
        ok_idx = np.flatnonzero(ok)
        part = type(part)(ok_idx[part.train], ok_idx[part.val], ok_idx[part.test])
    else:
        part = make_split(split, smiles, frame, fractions, seed)
    cls = MolPropertyRegressor if task == "regression" else MolPropertyClassifier
    est = cls(model=model, seed=seed, **params)
    sm = np.asarray(smiles, dtype=object)
    x_val = sm[part.val].tolist() if len(part.val) else None
    names = [str(t) for t in targets]
    est.fit(sm[part.train].tolist(), pd.DataFrame(raw[part.train], columns=names), X_val=x_val,
            y_val=raw[part.val] if len(part.val) else None,
            sample_weight=None if weights is None else weights[part.train])
    metrics = {"task": task, "split": split, "seed": seed, "model": model,
               "sizes": {k: int(v) for k, v in part.sizes().items()}}
    if len(part.test):
        pred = _scores(est, sm[part.test].tolist())
        metrics["test"] = task_metrics(task, y_eval[part.test], pred, names)
    metrics["val"] = est.val_metrics_
    metrics["train_seconds"] = round(time.perf_counter() - start, 2)
    if out is not None:
        from molpred.io import save

        save(est, out, metrics=metrics)
    return TrainOutcome(est, metrics, metrics["sizes"], time.perf_counter() - start)


def _scores(est, smiles: list) -> np.ndarray:
    """``n x t`` predictions (probabilities of class 1 for classifiers), NaN for failures."""
    fs, mean, _ = est._predict_raw(smiles)
    return est._scatter(fs, mean)


def evaluate_table(est, frame: pd.DataFrame, smiles_col: str | None, targets: list[str] | None = None,
                   path: PathType = "") -> tuple[dict, pd.DataFrame]:
    """Metrics of a fitted model on a labelled table, and the per-row prediction frame.

    ``targets`` defaults to the model's own target names.
    """
    from molpred.train.metrics import task_metrics

    col = resolve_column(frame, smiles_col, path)
    targets = targets or list(est.target_names_)
    if len(targets) != est.n_tasks_:
        raise DataFileError(f"model predicts {est.n_tasks_} targets, got {len(targets)} target columns")
    if getattr(est, "loss", "mse") == "censored":  # qualified labels: bounds are not scored
        from molpred.inputs import as_qualified_targets

        cols = [resolve_column(frame, t, path, role="target column") for t in targets]
        try:
            values, qual, _ = as_qualified_targets(frame[cols].astype(object).to_numpy(), len(frame))
        except ValueError as exc:
            raise DataFileError(f"{path}: {exc}") from None
        y = np.where(qual != 0, np.nan, values)
    else:
        y = target_matrix(frame, targets, path)
    preds = est.predict_frame(frame[col].tolist())
    p = preds[list(est.target_names_)].to_numpy(dtype=float)
    metrics = task_metrics(est._task, y, p, targets)
    metrics["n_rows"] = len(frame)
    metrics["n_failed"] = int((preds["status"] != "ok").sum())
    if est._task == "regression" and any(f"{name}_std" in preds for name in est.target_names_):
        metrics["uncertainty"] = _uncertainty_metrics(est, y, preds, targets)
    return metrics, preds


def _uncertainty_metrics(est, y: np.ndarray, preds: pd.DataFrame, targets: list[str]) -> dict:
    """Per target: interval coverage and width, NLL, miscalibration area, Spearman(std, |error|).

    Intervals are the conformal ``_lo``/``_hi`` columns (nominal coverage ``est.coverage``)
    when present, else central Gaussian intervals of that coverage. NaN becomes None (JSON).
    """
    from molpred.uncertainty.metrics import regression_uncertainty_metrics

    out = {}
    for j, (label, name) in enumerate(zip(targets, est.target_names_)):
        if f"{name}_std" not in preds:
            continue
        cols = {s: preds[f"{name}{s}"].to_numpy(dtype=float)
                for s in ("", "_std", "_lo", "_hi") if f"{name}{s}" in preds}
        has_interval = "_lo" in cols and "_hi" in cols
        m = regression_uncertainty_metrics(
            y[:, j], cols[""], cols["_std"], cols["_lo"] if has_interval else None,
            cols["_hi"] if has_interval else None, coverage=est.coverage,
        )
        m["nominal_coverage"] = float(est.coverage)
        m["interval"] = "conformal" if has_interval else "gaussian"
        out[label] = {k: (None if isinstance(v, float) and not np.isfinite(v) else v) for k, v in m.items()}
    return out


def predict_file(est, input_path: PathType, output_path: PathType, smiles_col: str | None = None) -> pd.DataFrame:
    """Predict every row of a file; write input columns + predictions + status/error.

    The output has one row per input row, in input order.
    """
    frame = read_table(input_path)
    col = resolve_column(frame, smiles_col, input_path)
    preds = est.predict_frame(frame[col].tolist())
    preds = preds.drop(columns=["smiles"])
    clash = [c for c in preds.columns if c in frame.columns]
    preds = preds.rename(columns={c: f"pred_{c}" for c in clash})
    result = pd.concat([frame.reset_index(drop=True), preds.reset_index(drop=True)], axis=1)
    write_table(result, Path(output_path))
    return result
