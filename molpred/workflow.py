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

__all__ = ["TrainOutcome", "train_table", "baseline_metrics", "evaluate_table", "predict_file", "target_matrix",
           "split_by_molecule"]


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
        Model directory to write: the model, ``metrics.json``, ``test_predictions.csv`` (one
        row per labelled test row: input row, SMILES, label, prediction, status) and ``split.csv``
        (every input row's split: train, val, test, or unused when unlabelled or unparsable).
    fractions : (float, float, float)
        Train, validation and test fractions of the split.
    weight_col : str, optional
        Column of non-negative sample weights for the training rows.
    **params
        Further estimator parameters (``epochs``, ``ensemble``, ``uncertainty``...). Unless
        ``calibration_split`` is given, the calibration set is drawn like the test split:
        by scaffold for ``scaffold``, by cluster for ``cluster``, at random otherwise.
    """
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
    cls = MolPropertyRegressor if task == "regression" else MolPropertyClassifier
    kind = split.partition(":")[0]
    if params.get("calibration_split") is None:
        params["calibration_split"] = kind if kind in ("scaffold", "cluster") else "random"
    est = cls(model=model, seed=seed, **params)
    part, overlap, ok = split_by_molecule(smiles, split, frame, fractions, seed, est._standardize_config(),
                                         return_ok=True)
    sm = np.asarray(smiles, dtype=object)
    x_val = sm[part.val].tolist() if len(part.val) else None
    names = [str(t) for t in targets]
    est.fit(sm[part.train].tolist(), pd.DataFrame(raw[part.train], columns=names), X_val=x_val,
            y_val=raw[part.val] if len(part.val) else None,
            sample_weight=None if weights is None else weights[part.train])
    usable = ok & ~np.all(np.isnan(y), axis=1)  # rows training and scoring can use
    labelled = {k: int(usable[idx].sum()) for k, idx in (("train", part.train), ("val", part.val), ("test", part.test))}
    metrics = {"task": task, "split": split, "seed": seed, "model": model,
               "sizes": {k: int(v) for k, v in part.sizes().items()}, "labelled": labelled}
    pred = None
    if len(part.test):
        pred = _scores(est, sm[part.test].tolist())
        metrics["test"] = task_metrics(task, y_eval[part.test], pred, names)
        tr, te = np.asarray(part.train), np.asarray(part.test)
        metrics["baseline"] = baseline_metrics(task, y[tr[usable[tr]]], y_eval[te[usable[te]]], names)
    metrics["val"] = est.val_metrics_
    metrics["duplicates"] = {**(est.train_summary_ or {}).get("duplicates", {}),
                             "molecules_on_both_sides_of_split": overlap}
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


def split_by_molecule(smiles: list, split: str, frame: pd.DataFrame | None, fractions, seed: int,
                      config, return_ok: bool = False) -> tuple:
    """Split rows so that every standardised molecule lands on one side.

    Rows are standardised with the model's own ``config`` (with ``standardize=False`` the split
    sees the molecules the model sees). Random, scaffold and cluster splits are drawn over
    distinct molecules, then every row follows its molecule; rows that do not standardise are
    each their own group (they go wherever the split puts them and are skipped by ``fit``).
    Column and time splits are the user's: they are kept, and molecules they put on two
    sides are counted (and warned about).

    Returns
    -------
    part : Split
        Row indices.
    overlap : int
        Molecules with rows in more than one part (0 except for column/time splits).
    ok : numpy.ndarray
        ``n`` bool, rows that standardised (only with ``return_ok=True``).
    """
    import warnings

    from molpred.chem.standardize import to_mol_record
    from molpred.data.duplicates import group_ids
    from molpred.data.splits import Split, make_split

    records = [to_mol_record(s, config) for s in smiles]
    gid = group_ids([r.smiles for r in records])
    kind = split.partition(":")[0]
    if kind in ("column", "time"):
        part = make_split(split, smiles, frame, fractions, seed)
    else:
        first = np.unique(gid, return_index=True)[1]  # one representative row per group
        if kind in ("scaffold", "cluster"):
            # molecule-based splits need molecules; rows that failed go to train (skipped there)
            rep_ok = first[[records[i].ok for i in first]]
            sub = make_split(split, [records[i].mol for i in rep_ok], frame, fractions, seed)
            bad = first[[not records[i].ok for i in first]]
            groups = Split(np.concatenate([gid[rep_ok[sub.train]], gid[bad]]), gid[rep_ok[sub.val]],
                           gid[rep_ok[sub.test]])
        else:
            sub = make_split(split, [smiles[i] for i in first], frame, fractions, seed)
            groups = Split(gid[first[sub.train]], gid[first[sub.val]], gid[first[sub.test]])
        idx = np.arange(len(smiles))
        part = Split(*(idx[np.isin(gid, g)] for g in (groups.train, groups.val, groups.test)))
    sides = pd.DataFrame({"g": gid, "side": np.zeros(len(gid), dtype=np.int64)})
    for k, rows in enumerate((part.train, part.val, part.test)):
        sides.loc[rows, "side"] = k
    overlap = int((sides.groupby("g")["side"].nunique() > 1).sum())
    if overlap:
        warnings.warn(f"split {split!r} puts {overlap} molecules on more than one side", stacklevel=3)
    if return_ok:
        return part, overlap, np.array([r.ok for r in records], dtype=bool)
    return part, overlap


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
    if est._task == "classification":
        metrics["uncertainty"] = _classification_uncertainty(est, y, p, targets)
    return metrics, preds


def _classification_uncertainty(est, y: np.ndarray, p: np.ndarray, targets: list[str]) -> dict:
    """Per target: ECE and Brier score of the (calibrated) probabilities; coverage and mean
    size of the conformal prediction sets at ``est.coverage`` when the model has them."""
    from molpred.uncertainty.metrics import classification_uncertainty_metrics

    out = {}
    sets = getattr(est, "set_predictors_", None)
    for j, label in enumerate(targets):
        ok = np.isfinite(p[:, j])
        member = None
        if sets is not None:
            member = np.zeros((len(p), 2), dtype=bool)
            member[ok] = sets[j].predict_set(p[ok, j], est.coverage)
        yj = np.where(ok, y[:, j], np.nan)  # failed molecules count nowhere
        m = classification_uncertainty_metrics(yj, p[:, j], member)
        m["nominal_coverage"] = float(est.coverage)
        m["probabilities"] = (f"calibrated ({est.prob_calibrator_.method})"
                              if getattr(est, "prob_calibrator_", None) is not None else "uncalibrated")
        out[label] = {k: (None if isinstance(v, float) and not np.isfinite(v) else v) for k, v in m.items()}
    return out


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
