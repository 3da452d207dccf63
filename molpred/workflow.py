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

__all__ = ["TrainOutcome", "train_table", "baseline_metrics", "evaluate_table", "predict_file", "target_matrix"]


@dataclass
class TrainOutcome:
    """What :func:`train_table` produced."""

    estimator: object
    metrics: dict
    split_sizes: dict
    seconds: float
    labelled_sizes: dict | None = None
    """Rows per split that were used: a valid molecule with at least one label."""
    baseline: dict | None = None
    """Test score of a model that knows nothing (:func:`baseline_metrics`)."""
    files: dict | None = None
    """Extra files written into the model directory (``test_predictions``, ``split``)."""


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
        Model directory to write: the model, ``metrics.json``, ``test_predictions.csv`` (one
        row per labelled test row: input row, SMILES, label, prediction, status) and ``split.csv``
        (every input row's split: train, val, test, or unused when unlabelled or unparsable).
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
    y = target_matrix(frame, targets, path)
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
    est.fit(sm[part.train].tolist(), pd.DataFrame(y[part.train], columns=names), X_val=x_val,
            y_val=y[part.val] if len(part.val) else None)
    usable = ok & ~np.all(np.isnan(y), axis=1)  # rows training and scoring can use
    labelled = {k: int(usable[idx].sum()) for k, idx in (("train", part.train), ("val", part.val), ("test", part.test))}
    metrics = {"task": task, "split": split, "seed": seed, "model": model,
               "sizes": {k: int(v) for k, v in part.sizes().items()}, "labelled": labelled}
    pred = None
    if len(part.test):
        pred = _scores(est, sm[part.test].tolist())
        metrics["test"] = task_metrics(task, y[part.test], pred, names)
        tr, te = np.asarray(part.train), np.asarray(part.test)
        metrics["baseline"] = baseline_metrics(task, y[tr[usable[tr]]], y[te[usable[te]]], names)
    metrics["val"] = est.val_metrics_
    metrics["train_seconds"] = round(time.perf_counter() - start, 2)
    files = None
    if out is not None:
        from molpred.io import save

        save(est, out, metrics=metrics)
        files = _write_split_files(Path(out), frame, col, part, usable, y, pred, names, task)
    return TrainOutcome(est, metrics, metrics["sizes"], time.perf_counter() - start, labelled,
                        metrics.get("baseline"), files)


def baseline_metrics(task: str, y_train: np.ndarray, y_test: np.ndarray, names: list[str]) -> dict:
    """The test score of a model that knows nothing, to read a model's score against.

    Regression: RMSE (and MAE) of predicting every test molecule as the training mean.
    Classification: ROC-AUC 0.5 (any constant prediction ranks at random).

    Parameters
    ----------
    task : {"regression", "classification"}
    y_train, y_test : numpy.ndarray
        ``n x t`` labels, NaN = missing.
    names : list of str

    Returns
    -------
    dict
        ``{"mean": {metric: value}, "per_target": {name: {metric: value}}, "rule": str}``.
    """
    per = {}
    for j, name in enumerate(names):
        yt = y_test[:, j][~np.isnan(y_test[:, j])]
        if task == "regression":
            mu = float(np.nanmean(y_train[:, j]))
            per[name] = {"rmse": float(np.sqrt(np.mean((yt - mu) ** 2))) if len(yt) else None,
                         "mae": float(np.mean(np.abs(yt - mu))) if len(yt) else None}
        else:
            per[name] = {"roc_auc": 0.5}
    keys = ["rmse", "mae"] if task == "regression" else ["roc_auc"]
    mean = {}
    for k in keys:
        vals = [v[k] for v in per.values() if v[k] is not None]
        mean[k] = float(np.mean(vals)) if vals else None
    rule = "predict the training mean" if task == "regression" else "a constant prediction"
    return {"mean": mean, "per_target": per, "rule": rule}


def _write_split_files(out: Path, frame: pd.DataFrame, col: str, part, usable: np.ndarray, y: np.ndarray,
                       pred: np.ndarray | None, names: list[str], task: str) -> dict:
    """``split.csv`` (every row's split) and ``test_predictions.csv`` in the model directory."""
    assign = np.full(len(frame), "unused", dtype=object)
    for k, idx in (("train", part.train), ("val", part.val), ("test", part.test)):
        assign[idx] = k
    assign[~usable & (assign != "unused")] = "unused"
    split_frame = pd.DataFrame({"row": np.arange(len(frame)), "smiles": frame[col].to_numpy(), "split": assign,
                                "labelled": usable})
    split_frame.to_csv(out / "split.csv", index=False)
    files = {"split": str(out / "split.csv")}
    if pred is not None:
        keep = usable[np.asarray(part.test)]  # the labelled test rows, the ones scored
        idx, pred = np.asarray(part.test)[keep], pred[keep]
        test = {"row": idx, "smiles": frame[col].to_numpy()[idx]}
        for j, name in enumerate(names):
            test[name] = y[idx, j]
            test[f"pred_{name}" if task == "regression" else f"proba_{name}"] = pred[:, j]
        test["status"] = np.where(np.isnan(pred).all(axis=1), "failed", "ok")
        pd.DataFrame(test).to_csv(out / "test_predictions.csv", index=False)
        files["test_predictions"] = str(out / "test_predictions.csv")
    return files


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
