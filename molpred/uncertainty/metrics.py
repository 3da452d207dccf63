"""How good is an uncertainty estimate? Coverage, width, NLL, miscalibration area, ranking.

All functions return plain numbers or arrays (plots are drawn elsewhere from
:func:`calibration_curve`). Inputs are ``n`` or ``n x t``; rows with a NaN label,
prediction or std are ignored, and for several targets each metric is computed per target
and averaged (targets have different units, so pooling them would mean nothing).

References
----------
Tran et al., "Methods for comparing uncertainty quantifications for material property
predictions" (2020) and the Uncertainty Toolbox (Chung et al. 2021) for the miscalibration
area; Chemprop's ``MiscalibrationAreaEvaluator`` uses the same definition.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy.special import ndtri

from molpred.uncertainty._arrays import as_2d, check_coverage, check_shapes

# numpy < 2 calls it trapz
_trapezoid = getattr(np, "trapezoid", None) or np.trapz

__all__ = [
    "regression_uncertainty_metrics",
    "calibration_curve",
    "miscalibration_area",
    "gaussian_nll",
    "expected_calibration_error",
    "classification_uncertainty_metrics",
]


def _columns(y, mean, std, lo=None, hi=None):
    """Yield, per target, the finite rows of every given array (1-D each)."""
    y2, _ = as_2d(y, "y")
    arrays = {"mean": as_2d(mean, "mean")[0], "std": as_2d(std, "std")[0]}
    if lo is not None:
        arrays["lo"] = as_2d(lo, "lo")[0]
    if hi is not None:
        arrays["hi"] = as_2d(hi, "hi")[0]
    check_shapes(y2, "y", **arrays)
    ok = np.isfinite(y2) & np.isfinite(arrays["mean"]) & np.isfinite(arrays["std"])
    for key in ("lo", "hi"):
        if key in arrays:  # an infinite bound is legal (too few calibration points)
            ok &= ~np.isnan(arrays[key])
    for j in range(y2.shape[1]):
        m = ok[:, j]
        yield y2[m, j], {k: v[m, j] for k, v in arrays.items()}


def _expected_grid(n_bins: int) -> np.ndarray:
    if n_bins < 1:
        raise ValueError(f"n_bins must be >= 1, got {n_bins}")
    return np.linspace(0.0, 1.0, n_bins + 1)


def _observed(abs_err: np.ndarray, std: np.ndarray, expected: np.ndarray) -> np.ndarray:
    """Fraction of ``abs_err`` inside central Gaussian intervals of each expected coverage."""
    # half-width of the central interval holding probability p is z_{(1+p)/2} std
    z = ndtri((1.0 + expected) / 2.0)  # 0 at p = 0, inf at p = 1
    with np.errstate(invalid="ignore"):
        ratio = abs_err / np.maximum(std, 1e-300)
    ratio_sorted = np.sort(ratio)
    # fraction with ratio <= z, for every z at once
    return np.searchsorted(ratio_sorted, z, side="right") / ratio_sorted.size


def calibration_curve(
    y: np.ndarray, mean: np.ndarray, std: np.ndarray, n_bins: int = 20
) -> tuple[np.ndarray, np.ndarray]:
    """Expected versus observed coverage of central Gaussian intervals.

    For each expected coverage ``p`` in ``0, 1/n_bins, ..., 1``, the observed value is the
    fraction of molecules with ``|y - mean| <= z_{(1+p)/2} * std``. A calibrated model lies
    on the diagonal; a curve below it is overconfident (std too small).

    Parameters
    ----------
    y, mean, std : numpy.ndarray
        ``n`` or ``n x t`` labels, predicted means and standard deviations.
    n_bins : int
        Number of intervals of the expected-coverage grid.

    Returns
    -------
    expected, observed : numpy.ndarray
        ``n_bins + 1`` each; for several targets ``observed`` is the mean over targets.
        ``observed`` is NaN when no row is usable.
    """
    expected = _expected_grid(n_bins)
    curves = [
        _observed(np.abs(yc - a["mean"]), a["std"], expected)
        for yc, a in _columns(y, mean, std)
        if yc.size
    ]
    if not curves:
        return expected, np.full_like(expected, np.nan)
    return expected, np.mean(curves, axis=0)


def miscalibration_area(
    y: np.ndarray, mean: np.ndarray, std: np.ndarray, n_bins: int = 100
) -> float:
    """Area between the calibration curve and the diagonal (0 = calibrated, max 0.5).

    The integral of ``|observed(p) - p|`` over ``p`` in [0, 1] by the trapezoid rule on
    ``n_bins + 1`` points (for several targets, the mean of the per-target areas).
    """
    expected = _expected_grid(n_bins)
    areas = [
        float(
            _trapezoid(
                np.abs(_observed(np.abs(yc - a["mean"]), a["std"], expected) - expected), expected
            )
        )
        for yc, a in _columns(y, mean, std)
        if yc.size
    ]
    return float(np.mean(areas)) if areas else float("nan")


def gaussian_nll(y: np.ndarray, mean: np.ndarray, std: np.ndarray) -> float:
    """Mean Gaussian negative log-likelihood ``0.5 log(2 pi s^2) + (y - m)^2 / (2 s^2)``."""
    vals = []
    for yc, a in _columns(y, mean, std):
        if yc.size:
            var = np.maximum(a["std"], 1e-12) ** 2
            vals.append(
                float(np.mean(0.5 * np.log(2 * np.pi * var) + (yc - a["mean"]) ** 2 / (2 * var)))
            )
    return float(np.mean(vals)) if vals else float("nan")


def regression_uncertainty_metrics(
    y: np.ndarray,
    mean: np.ndarray,
    std: np.ndarray,
    lo: np.ndarray | None = None,
    hi: np.ndarray | None = None,
    coverage: float = 0.9,
    n_bins: int = 100,
) -> dict[str, float]:
    """Summary of an uncertainty estimate on labelled data.

    Parameters
    ----------
    y, mean, std : numpy.ndarray
        ``n`` or ``n x t`` labels, predicted means and standard deviations.
    lo, hi : numpy.ndarray or None
        Interval bounds, same shape (e.g. from :class:`ConformalRegressor`). When omitted,
        the central Gaussian interval ``mean +- z std`` of nominal ``coverage`` is used.
    coverage : float
        Nominal coverage of the Gaussian interval used when ``lo``/``hi`` are omitted
        (reported as ``nominal_coverage``; NaN when intervals were given).
    n_bins : int
        Grid size for the miscalibration area.

    Returns
    -------
    dict
        ``coverage`` (fraction of ``y`` in ``[lo, hi]``), ``mean_width`` (mean ``hi - lo``),
        ``nll`` (mean Gaussian NLL), ``miscalibration_area``, ``spearman_unc_error``
        (Spearman correlation between ``std`` and ``|y - mean|``; NaN if ``std`` is
        constant), ``mean_std``, ``nominal_coverage`` and ``n`` (usable label count). Keys
        are always the same.
    """
    from scipy.stats import ConstantInputWarning, spearmanr  # slow import, needed only here

    if (lo is None) != (hi is None):
        raise ValueError("give both lo and hi, or neither")
    gaussian = lo is None
    if gaussian:
        coverage = check_coverage(coverage)
        z = float(ndtri((1.0 + coverage) / 2.0))
        mean_a = np.asarray(mean, dtype=np.float64)
        std_a = np.asarray(std, dtype=np.float64)
        lo, hi = mean_a - z * std_a, mean_a + z * std_a

    cov, width, rho, mstd, n = [], [], [], [], 0
    for yc, a in _columns(y, mean, std, lo, hi):
        if not yc.size:
            continue
        n += yc.size
        cov.append(float(np.mean((yc >= a["lo"]) & (yc <= a["hi"]))))
        width.append(float(np.mean(a["hi"] - a["lo"])))
        mstd.append(float(np.mean(a["std"])))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConstantInputWarning)
            r = spearmanr(a["std"], np.abs(yc - a["mean"])).statistic if yc.size > 1 else np.nan
        rho.append(float(r))

    def avg(v: list[float]) -> float:
        return float(np.mean(v)) if v else float("nan")

    return {
        "coverage": avg(cov),
        "mean_width": avg(width),
        "nll": gaussian_nll(y, mean, std),
        "miscalibration_area": miscalibration_area(y, mean, std, n_bins=n_bins),
        "spearman_unc_error": avg(rho),
        "mean_std": avg(mstd),
        "nominal_coverage": coverage if gaussian else float("nan"),
        "n": n,
    }


def expected_calibration_error(y: np.ndarray, proba: np.ndarray, n_bins: int = 10) -> float:
    """Expected calibration error of binary probabilities (equal-width bins).

    ``sum_b (n_b / n) |mean(y in b) - mean(p in b)|`` over ``n_bins`` bins of ``[0, 1]``
    (Naeini et al. 2015; Guo et al. 2017 use the confidence of the predicted class, which
    for binary tasks bins ``max(p, 1 - p)`` instead; this is the positive-class version).

    Parameters
    ----------
    y : numpy.ndarray
        ``n`` labels in {0, 1}; NaN rows are ignored.
    proba : numpy.ndarray
        ``n`` probabilities of class 1; NaN rows are ignored.
    n_bins : int

    Returns
    -------
    float
        In [0, 1]; NaN when no row is usable.
    """
    y = np.asarray(y, dtype=np.float64).ravel()
    p = np.asarray(proba, dtype=np.float64).ravel()
    ok = np.isfinite(y) & np.isfinite(p)
    if not ok.any():
        return float("nan")
    y, p = y[ok], np.clip(p[ok], 0.0, 1.0)
    edges = _expected_grid(n_bins)
    which = np.clip(np.searchsorted(edges, p, side="right") - 1, 0, n_bins - 1)
    ece = 0.0
    for b in range(n_bins):
        m = which == b
        if m.any():
            ece += m.mean() * abs(float(y[m].mean()) - float(p[m].mean()))
    return float(ece)


def classification_uncertainty_metrics(
    y: np.ndarray, proba: np.ndarray, sets: np.ndarray | None = None, n_bins: int = 10
) -> dict[str, float]:
    """Calibration of one binary task's probabilities, and of its conformal prediction sets.

    Parameters
    ----------
    y : numpy.ndarray
        ``n`` labels in {0, 1}, NaN for missing.
    proba : numpy.ndarray
        ``n`` probabilities of class 1.
    sets : numpy.ndarray or None
        ``n x 2`` booleans from :meth:`ConformalClassifier.predict_set` (class 0, class 1).
    n_bins : int
        Bins of the expected calibration error.

    Returns
    -------
    dict
        ``ece``, ``brier`` (mean squared error of the probability), ``n`` (usable rows) and,
        with ``sets``: ``set_coverage`` (share of labels inside their set), ``mean_set_size``,
        ``share_empty`` and ``share_both`` (sets holding no class / both classes).
    """
    y = np.asarray(y, dtype=np.float64).ravel()
    p = np.asarray(proba, dtype=np.float64).ravel()
    if y.shape != p.shape:
        raise ValueError(f"y has shape {y.shape} but proba has shape {p.shape}")
    ok = np.isfinite(y) & np.isfinite(p)
    out = {
        "ece": expected_calibration_error(y, p, n_bins),
        "brier": float(np.mean((p[ok] - y[ok]) ** 2)) if ok.any() else float("nan"),
        "n": int(ok.sum()),
    }
    if sets is not None:
        sets = np.asarray(sets, dtype=bool)
        if sets.shape != (y.size, 2):
            raise ValueError(f"sets must have shape ({y.size}, 2), got {sets.shape}")
        s, labels = sets[ok], y[ok].astype(np.int64)
        size = s.sum(axis=1)
        has = bool(ok.any())
        out.update(
            set_coverage=float(s[np.arange(labels.size), labels].mean()) if has else float("nan"),
            mean_set_size=float(size.mean()) if has else float("nan"),
            share_empty=float((size == 0).mean()) if has else float("nan"),
            share_both=float((size == 2).mean()) if has else float("nan"),
        )
    return out
