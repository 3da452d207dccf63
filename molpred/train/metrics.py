"""Regression and classification metrics, per target with NaN labels masked."""

from __future__ import annotations

import numpy as np
from scipy.stats import spearmanr
from sklearn.metrics import average_precision_score, mean_absolute_error, r2_score, roc_auc_score

__all__ = ["regression_metrics", "classification_metrics", "task_metrics", "METRIC_DIRECTIONS"]

# +1: higher is better, -1: lower is better
METRIC_DIRECTIONS = {"rmse": -1, "mae": -1, "r2": 1, "spearman": 1, "roc_auc": 1, "pr_auc": 1}


def _pairs(y: np.ndarray, p: np.ndarray):
    y = np.asarray(y, dtype=np.float64).reshape(len(y), -1)
    p = np.asarray(p, dtype=np.float64).reshape(len(p), -1)
    for t in range(y.shape[1]):
        mask = ~np.isnan(y[:, t]) & ~np.isnan(p[:, t])
        yield t, y[mask, t], p[mask, t]


def regression_metrics(y: np.ndarray, pred: np.ndarray) -> list[dict]:
    """RMSE, MAE, R2, Spearman per target.

    Parameters
    ----------
    y, pred : numpy.ndarray
        ``n`` or ``n x n_tasks``; NaN in ``y`` (missing label) or ``pred`` (invalid molecule)
        excludes that entry.

    Returns
    -------
    list of dict
        One dict per target with ``n`` and the metric values (NaN when undefined).
    """
    out = []
    for _, yt, pt in _pairs(y, pred):
        m = {"n": int(len(yt))}
        if len(yt) == 0:
            m.update(rmse=np.nan, mae=np.nan, r2=np.nan, spearman=np.nan)
        else:
            m["rmse"] = float(np.sqrt(np.mean((yt - pt) ** 2)))
            m["mae"] = float(mean_absolute_error(yt, pt))
            m["r2"] = float(r2_score(yt, pt)) if len(yt) > 1 else np.nan
            m["spearman"] = float(spearmanr(yt, pt).statistic) if len(yt) > 1 and np.ptp(pt) > 0 else np.nan
        out.append(m)
    return out


def classification_metrics(y: np.ndarray, proba: np.ndarray) -> list[dict]:
    """ROC-AUC and PR-AUC per target (NaN when a target has a single class)."""
    out = []
    for _, yt, pt in _pairs(y, proba):
        m = {"n": int(len(yt)), "roc_auc": np.nan, "pr_auc": np.nan}
        if len(np.unique(yt)) == 2:
            m["roc_auc"] = float(roc_auc_score(yt, pt))
            m["pr_auc"] = float(average_precision_score(yt, pt))
        out.append(m)
    return out


def task_metrics(task: str, y: np.ndarray, pred: np.ndarray, target_names: list[str]) -> dict:
    """Per-target metrics plus their mean over targets, as a JSON-ready dict."""
    per = regression_metrics(y, pred) if task == "regression" else classification_metrics(y, pred)
    names = [k for k in per[0] if k != "n"] if per else []
    mean = {k: float(np.nanmean([m[k] for m in per])) if any(not np.isnan(m[k]) for m in per) else None
            for k in names}
    clean = [{k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in m.items()} for m in per]
    return {"mean": mean, "per_target": dict(zip(target_names, clean))}
