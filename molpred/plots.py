"""Figures for model evaluation: parity, calibration, error versus uncertainty, ROC.

The ``*_plot`` functions draw on a matplotlib ``Axes`` you give them (so notebooks and
benchmarks can lay out their own figures); :func:`evaluation_plots` writes one PNG per
figure and target for ``molpred evaluate``. matplotlib is imported only inside these
functions, and files are drawn on standalone ``Figure`` objects with the Agg canvas, so
nothing here changes pyplot's global backend or leaves figures open.

Examples
--------
>>> import matplotlib.pyplot as plt  # doctest: +SKIP
>>> from molpred.uncertainty import calibration_curve
>>> fig, (a, b) = plt.subplots(1, 2)  # doctest: +SKIP
>>> parity_plot(a, y, mean, lo, hi)  # doctest: +SKIP
>>> calibration_plot(b, *calibration_curve(y, mean, std))  # doctest: +SKIP
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "evaluation_plots",
    "parity_plot",
    "calibration_plot",
    "error_vs_uncertainty_plot",
    "roc_plot",
]

_DPI = 120
_trapezoid = getattr(np, "trapezoid", None) or np.trapz  # numpy < 2 calls it trapz
_POINT_COLOR = "#1f77b4"
_LINE_COLOR = "#d62728"


def _finite(*arrays: np.ndarray) -> np.ndarray:
    """Row mask where every given 1-D array is finite."""
    mask = np.ones(len(arrays[0]), dtype=bool)
    for a in arrays:
        mask &= np.isfinite(a)
    return mask


def _as_float(a) -> np.ndarray:
    return np.asarray(a, dtype=np.float64).reshape(-1)


def parity_plot(
    ax: Axes,
    y: np.ndarray,
    pred: np.ndarray,
    lo: np.ndarray | None = None,
    hi: np.ndarray | None = None,
    title: str | None = None,
) -> Axes:
    """True versus predicted values, with prediction intervals as vertical error bars.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    y, pred : numpy.ndarray
        ``n`` labels and predictions; rows where either is NaN are skipped.
    lo, hi : numpy.ndarray, optional
        ``n`` interval bounds (e.g. the ``<target>_lo``/``_hi`` columns). Infinite bounds
        (too few calibration points for the coverage) get no bar.
    title : str, optional

    Returns
    -------
    matplotlib.axes.Axes
        ``ax``, with RMSE, R² and (with intervals) the observed coverage in its legend box.
    """
    y, pred = _as_float(y), _as_float(pred)
    ok = _finite(y, pred)
    y, pred = y[ok], pred[ok]
    text = [f"n = {y.size}"]
    if y.size:
        rmse = float(np.sqrt(np.mean((y - pred) ** 2)))
        ss_tot = float(np.sum((y - y.mean()) ** 2))
        text.append(f"RMSE = {rmse:.3f}")
        if y.size > 1 and ss_tot > 0:
            text.append(f"R² = {1.0 - float(np.sum((y - pred) ** 2)) / ss_tot:.3f}")
    if lo is not None and hi is not None and y.size:
        lo_a, hi_a = _as_float(lo)[ok], _as_float(hi)[ok]
        bar = _finite(lo_a, hi_a)
        if bar.any():
            yerr = np.vstack([pred[bar] - lo_a[bar], hi_a[bar] - pred[bar]]).clip(min=0)
            ax.errorbar(y[bar], pred[bar], yerr=yerr, fmt="none", ecolor="0.6", elinewidth=0.6,
                        alpha=0.5, zorder=1)
        inside = (y >= lo_a) & (y <= hi_a)
        text.append(f"in interval = {inside.mean():.1%}")
    ax.scatter(y, pred, s=10, alpha=0.7, color=_POINT_COLOR, edgecolors="none", zorder=2)
    if y.size:
        both = np.concatenate([y, pred])
        low, high = float(both.min()), float(both.max())
        pad = 0.05 * (high - low or 1.0)
        ax.plot([low - pad, high + pad], [low - pad, high + pad], color="0.2", lw=1, ls="--", zorder=3)
        ax.set_xlim(low - pad, high + pad)
    ax.set_xlabel("true")
    ax.set_ylabel("predicted")
    ax.text(0.03, 0.97, "\n".join(text), transform=ax.transAxes, va="top", ha="left", fontsize=8,
            bbox={"boxstyle": "round", "fc": "white", "ec": "0.8"})
    if title:
        ax.set_title(title)
    return ax


def calibration_plot(
    ax: Axes, expected: np.ndarray, observed: np.ndarray, title: str | None = None,
    label: str | None = None,
) -> Axes:
    """Observed versus expected coverage of central Gaussian intervals.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    expected, observed : numpy.ndarray
        ``n_points`` each, as returned by :func:`molpred.uncertainty.calibration_curve`.
    title, label : str, optional
        ``label`` names the curve in the legend (to overlay several models).

    Returns
    -------
    matplotlib.axes.Axes
        ``ax``; the legend gives the miscalibration area (area between the curve and the
        diagonal; points below the diagonal mean overconfident standard deviations).
    """
    expected, observed = _as_float(expected), _as_float(observed)
    ok = _finite(expected, observed)
    e, o = expected[ok], observed[ok]
    area = float(_trapezoid(np.abs(o - e), e)) if e.size > 1 else float("nan")
    name = f"{label}: " if label else ""
    ax.plot([0, 1], [0, 1], color="0.2", lw=1, ls="--")
    ax.plot(e, o, marker="o", ms=3, lw=1.5, label=f"{name}miscalibration area {area:.3f}")
    ax.fill_between(e, e, o, alpha=0.15)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_aspect("equal")
    ax.set_xlabel("expected coverage (central Gaussian interval)")
    ax.set_ylabel("observed coverage")
    ax.legend(loc="upper left", fontsize=8)
    if title:
        ax.set_title(title)
    return ax


def error_vs_uncertainty_plot(
    ax: Axes, abs_err: np.ndarray, std: np.ndarray, n_bins: int = 10, title: str | None = None,
) -> Axes:
    """Absolute error against predicted standard deviation, with binned means.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    abs_err, std : numpy.ndarray
        ``n`` absolute errors ``|y - mean|`` and predicted standard deviations.
    n_bins : int
        Equal-count bins of ``std`` for the binned mean error (fewer when ``n`` is small).
    title : str, optional

    Returns
    -------
    matplotlib.axes.Axes
        ``ax``; the line ``sqrt(2 / pi) * std`` is where a calibrated Gaussian puts the mean
        absolute error, and the legend gives Spearman's rank correlation.
    """
    abs_err, std = _as_float(abs_err), _as_float(std)
    ok = _finite(abs_err, std)
    abs_err, std = abs_err[ok], std[ok]
    ax.scatter(std, abs_err, s=8, alpha=0.4, color=_POINT_COLOR, edgecolors="none", label="molecules")
    if std.size:
        grid = np.linspace(0.0, float(std.max()) * 1.05, 50)
        ax.plot(grid, np.sqrt(2.0 / np.pi) * grid, color="0.2", lw=1, ls="--",
                label="calibrated: E|err| = 0.80 std")
        k = int(max(1, min(n_bins, std.size // 10)))
        order = np.argsort(std, kind="stable")
        bins = [b for b in np.array_split(order, k) if b.size]
        ax.plot([std[b].mean() for b in bins], [abs_err[b].mean() for b in bins], color=_LINE_COLOR,
                marker="o", lw=2, label="binned mean |error|")
        if std.size > 2 and np.ptp(std) > 0:
            from scipy.stats import spearmanr

            rho = float(spearmanr(std, abs_err).statistic)
            ax.plot([], [], " ", label=f"Spearman ρ = {rho:.3f}")
    ax.set_xlabel("predicted standard deviation")
    ax.set_ylabel("absolute error")
    ax.set_xlim(left=0)
    ax.set_ylim(bottom=0)
    ax.legend(loc="upper left", fontsize=8)
    if title:
        ax.set_title(title)
    return ax


def roc_plot(ax: Axes, y: np.ndarray, proba: np.ndarray, title: str | None = None) -> Axes:
    """ROC curve of binary labels against predicted probabilities of class 1.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    y : numpy.ndarray
        ``n`` labels in {0, 1}; NaN rows are skipped.
    proba : numpy.ndarray
        ``n`` probabilities of class 1.
    title : str, optional

    Returns
    -------
    matplotlib.axes.Axes
        ``ax``; with a single class present only the diagonal is drawn.
    """
    from sklearn.metrics import roc_auc_score, roc_curve

    y, proba = _as_float(y), _as_float(proba)
    ok = _finite(y, proba)
    y, proba = y[ok], proba[ok]
    ax.plot([0, 1], [0, 1], color="0.2", lw=1, ls="--", label="chance")
    if np.unique(y).size == 2:
        fpr, tpr, _ = roc_curve(y, proba)
        ax.plot(fpr, tpr, lw=1.5, label=f"ROC-AUC = {roc_auc_score(y, proba):.3f} (n = {y.size})")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.01)
    ax.set_xlabel("false positive rate")
    ax.set_ylabel("true positive rate")
    ax.legend(loc="lower right", fontsize=8)
    if title:
        ax.set_title(title)
    return ax


def _new_figure(size: tuple[float, float] = (4.8, 4.4)) -> Figure:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=size, dpi=_DPI, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _save(fig: Figure, path: Path) -> Path:
    fig.savefig(path, format="png")
    return path


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", str(name)).strip("._") or "target"


def evaluation_plots(
    est, frame: pd.DataFrame, preds: pd.DataFrame, targets: list[str] | None, out_dir,
) -> list[Path]:
    """Write the evaluation figures of a fitted model on a labelled table as PNG files.

    Regression, per target: ``parity_<target>.png`` (with interval bars when the prediction
    table has ``<target>_lo``/``_hi``) and, when it has ``<target>_std``,
    ``calibration_<target>.png`` and ``error_vs_uncertainty_<target>.png``. Classification,
    per target: ``roc_<target>.png``.

    Parameters
    ----------
    est : MolPropertyRegressor or MolPropertyClassifier
        The fitted model (for its task and target names).
    frame : pandas.DataFrame
        The labelled input table, ``n`` rows.
    preds : pandas.DataFrame
        ``est.predict_frame(...)`` for the rows of ``frame``, same order.
    targets : list of str or None
        Label columns of ``frame``, in the model's target order; ``None`` uses
        ``est.target_names_``.
    out_dir : str or Path
        Created if needed.

    Returns
    -------
    list of Path
        The files written.

    Raises
    ------
    ValueError
        ``frame`` and ``preds`` differ in length, or the number of targets does not match.
    """
    from molpred.uncertainty.metrics import calibration_curve
    from molpred.workflow import target_matrix

    names = list(est.target_names_)
    targets = list(targets) if targets else names
    if len(targets) != len(names):
        raise ValueError(f"model predicts {len(names)} targets, got {len(targets)} label columns")
    if len(frame) != len(preds):
        raise ValueError(f"frame has {len(frame)} rows but preds has {len(preds)}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    y_all = target_matrix(frame, targets)
    written: list[Path] = []
    for j, (label, name) in enumerate(zip(targets, names)):
        y = y_all[:, j]
        pred = preds[name].to_numpy(dtype=float)
        slug = _slug(label)
        if est._task == "classification":
            fig = _new_figure()
            roc_plot(fig.add_subplot(), y, pred, title=f"{label}: ROC")
            written.append(_save(fig, out / f"roc_{slug}.png"))
            continue
        lo = preds[f"{name}_lo"].to_numpy(dtype=float) if f"{name}_lo" in preds else None
        hi = preds[f"{name}_hi"].to_numpy(dtype=float) if f"{name}_hi" in preds else None
        fig = _new_figure()
        parity_plot(fig.add_subplot(), y, pred, lo, hi, title=f"{label}: parity")
        written.append(_save(fig, out / f"parity_{slug}.png"))
        if f"{name}_std" not in preds:
            continue
        std = preds[f"{name}_std"].to_numpy(dtype=float)
        ok = _finite(y, pred, std)
        if not ok.any():
            continue
        fig = _new_figure()
        calibration_plot(fig.add_subplot(), *calibration_curve(y[ok], pred[ok], std[ok]),
                         title=f"{label}: calibration")
        written.append(_save(fig, out / f"calibration_{slug}.png"))
        fig = _new_figure()
        error_vs_uncertainty_plot(fig.add_subplot(), np.abs(y[ok] - pred[ok]), std[ok],
                                  title=f"{label}: error vs uncertainty")
        written.append(_save(fig, out / f"error_vs_uncertainty_{slug}.png"))
    return written
