"""Uncertainty metrics: golden values and the behaviour on calibrated vs overconfident data."""

from __future__ import annotations

import numpy as np
import pytest

from molpred.uncertainty import (
    calibration_curve,
    gaussian_nll,
    miscalibration_area,
    regression_uncertainty_metrics,
)

KEYS = {
    "coverage",
    "mean_width",
    "nll",
    "miscalibration_area",
    "spearman_unc_error",
    "mean_std",
    "nominal_coverage",
    "n",
}


def _calibrated(n: int = 20_000, seed: int = 0):
    rng = np.random.default_rng(seed)
    mean = rng.normal(size=n)
    std = rng.lognormal(-0.5, 0.5, size=n)
    return mean + std * rng.normal(size=n), mean, std


def test_miscalibration_area_calibrated_vs_overconfident():
    y, mean, std = _calibrated()
    assert miscalibration_area(y, mean, std) < 0.01
    assert miscalibration_area(y, mean, 0.3 * std) > 0.25
    assert miscalibration_area(y, mean, 3.0 * std) > 0.2  # underconfident is penalised too
    # a vanishing std puts every observed coverage at 0: the maximal area, 1/2
    assert miscalibration_area(y, mean, 1e-9 * std) == pytest.approx(0.5, abs=0.01)


def test_calibration_curve_shape_and_direction():
    y, mean, std = _calibrated()
    exp, obs = calibration_curve(y, mean, std, n_bins=20)
    assert exp.shape == obs.shape == (21,)
    assert exp[0] == 0.0 and exp[-1] == 1.0 and obs[-1] == 1.0
    assert np.all(np.diff(obs) >= 0)
    np.testing.assert_allclose(obs, exp, atol=0.02)
    _, obs_over = calibration_curve(y, mean, 0.5 * std, n_bins=20)
    assert np.all(obs_over[1:-1] < exp[1:-1])  # overconfident: below the diagonal


def test_gaussian_nll_golden():
    assert gaussian_nll(np.zeros(3), np.zeros(3), np.ones(3)) == pytest.approx(
        0.5 * np.log(2 * np.pi)
    )
    # y - mean = 2, std = 2: 0.5 log(2 pi 4) + 4 / 8
    assert gaussian_nll(np.array([2.0]), np.array([0.0]), np.array([2.0])) == pytest.approx(
        0.5 * np.log(8 * np.pi) + 0.5
    )


def test_regression_metrics_golden_intervals():
    y = np.array([0.0, 1.0, 2.0, 3.0, np.nan])
    mean = np.array([0.0, 0.0, 0.0, 0.0, 0.0])
    std = np.array([0.5, 1.0, 2.0, 3.0, 1.0])  # std ranks the errors perfectly
    lo = np.array([-1.0, -1.0, -1.0, -1.0, -1.0])
    hi = np.array([1.0, 1.0, 1.0, 4.0, 1.0])
    m = regression_uncertainty_metrics(y, mean, std, lo, hi)
    assert set(m) == KEYS
    assert m["n"] == 4  # the NaN label is ignored
    assert m["coverage"] == pytest.approx(3 / 4)  # y = 2 is outside [-1, 1]
    assert m["mean_width"] == pytest.approx((2 + 2 + 2 + 5) / 4)
    assert m["spearman_unc_error"] == pytest.approx(1.0)
    assert np.isnan(m["nominal_coverage"])
    assert m["mean_std"] == pytest.approx(6.5 / 4)


def test_regression_metrics_gaussian_default_interval():
    y, mean, std = _calibrated()
    m = regression_uncertainty_metrics(y, mean, std, coverage=0.9)
    assert set(m) == KEYS
    assert m["coverage"] == pytest.approx(0.9, abs=0.01)
    assert m["nominal_coverage"] == 0.9
    assert m["mean_width"] == pytest.approx(2 * 1.6449 * std.mean(), rel=1e-3)
    assert m["spearman_unc_error"] > 0.2  # std is informative here
    over = regression_uncertainty_metrics(y, mean, 0.3 * std)
    assert over["coverage"] < 0.5 and over["nll"] > m["nll"] + 1


def test_regression_metrics_multi_target_macro_average():
    y0, m0, s0 = _calibrated(5000, 1)
    y1, m1, s1 = _calibrated(5000, 2)
    y = np.stack([y0, y1], 1)
    mean = np.stack([m0, m1], 1)
    std = np.stack([s0, 0.3 * s1], 1)  # second target overconfident
    m = regression_uncertainty_metrics(y, mean, std)
    a0 = miscalibration_area(y0, m0, s0)
    a1 = miscalibration_area(y1, m1, 0.3 * s1)
    assert m["miscalibration_area"] == pytest.approx((a0 + a1) / 2)
    assert m["n"] == 10_000


def test_regression_metrics_input_errors_and_constant_std():
    with pytest.raises(ValueError, match="both"):
        regression_uncertainty_metrics(np.zeros(3), np.zeros(3), np.ones(3), lo=np.zeros(3))
    with pytest.raises(ValueError, match="shape"):
        regression_uncertainty_metrics(np.zeros(3), np.zeros(4), np.ones(3))
    m = regression_uncertainty_metrics(np.arange(5.0), np.zeros(5), np.ones(5))
    assert np.isnan(m["spearman_unc_error"])  # constant std has no ranking


def test_ece_and_brier_golden_and_set_metrics():
    from molpred.uncertainty import classification_uncertainty_metrics, expected_calibration_error

    y = np.array([1, 1, 0, 0, np.nan])
    p = np.array([0.95, 0.95, 0.05, 0.45, 0.5])
    # bins: [0.9, 1.0) holds 2 rows (mean p 0.95, mean y 1); [0.0, 0.1) 1 row (0.05 vs 0);
    # [0.4, 0.5) 1 row (0.45 vs 0): ECE = 0.5 * 0.05 + 0.25 * 0.05 + 0.25 * 0.45
    assert expected_calibration_error(y, p) == pytest.approx(0.5 * 0.05 + 0.25 * 0.05 + 0.25 * 0.45)
    sets = np.array([[False, True], [True, True], [False, False], [True, False], [True, True]])
    m = classification_uncertainty_metrics(y, p, sets)
    assert m["brier"] == pytest.approx(np.mean([0.05**2, 0.05**2, 0.05**2, 0.45**2]))
    assert m["n"] == 4
    assert m["set_coverage"] == pytest.approx(3 / 4)  # the empty set misses its label
    assert m["mean_set_size"] == pytest.approx((1 + 2 + 0 + 1) / 4)
    assert m["share_empty"] == pytest.approx(0.25) and m["share_both"] == pytest.approx(0.25)
    # a calibrated forecaster has a small ECE, a confidently wrong one a large ECE
    rng = np.random.default_rng(0)
    q = rng.uniform(size=20_000)
    labels = (rng.uniform(size=q.size) < q).astype(float)
    assert expected_calibration_error(labels, q) < 0.02
    assert expected_calibration_error(labels, np.where(q > 0.5, 0.99, 0.01)) > 0.2
