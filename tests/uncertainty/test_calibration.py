"""VarianceScaler and ProbabilityCalibrator: they must fix miscalibrated outputs."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy.special import expit, logit

from molpred.exceptions import ModelFileError, NotFittedError
from molpred.uncertainty import (
    ProbabilityCalibrator,
    VarianceScaler,
    gaussian_nll,
    miscalibration_area,
)


def _hetero(n: int, seed: int):
    """Gaussian data whose true std varies by molecule: y ~ N(mu, sigma^2)."""
    rng = np.random.default_rng(seed)
    mu = rng.normal(size=n)
    sigma = rng.lognormal(mean=-0.5, sigma=0.5, size=n)
    return mu + sigma * rng.normal(size=n), mu, sigma


def test_variance_scaler_fixes_overconfident_std():
    y_val, mu_val, sig_val = _hetero(5000, 0)
    y_te, mu_te, sig_te = _hetero(5000, 1)
    scaler = VarianceScaler().fit(y_val, mu_val, 0.3 * sig_val)  # std 3.3x too small
    assert scaler.scale_.shape == (1,)
    assert scaler.scale_[0] == pytest.approx(1 / 0.3, rel=0.05)
    raw = 0.3 * sig_te
    fixed = scaler.transform(raw)
    assert fixed.shape == raw.shape
    assert miscalibration_area(y_te, mu_te, raw) > 0.25
    assert miscalibration_area(y_te, mu_te, fixed) < 0.02
    assert gaussian_nll(y_te, mu_te, fixed) < gaussian_nll(y_te, mu_te, raw) - 1.0


def test_variance_scaler_closed_form_golden():
    y = np.array([1.0, -2.0, 3.0, np.nan])
    mean = np.zeros(4)
    std = np.array([1.0, 1.0, 1.0, 1.0])
    s = VarianceScaler("mean").fit(y, mean, std)
    assert s.scale_[0] == pytest.approx(np.sqrt((1 + 4 + 9) / 3))  # the NaN row is ignored
    robust = VarianceScaler().fit(y, mean, std)  # median |z| = 2 over the three labelled rows
    assert robust.method == "median"
    assert robust.scale_[0] == pytest.approx(2.0 / 0.6744897501960817)


def test_robust_variance_scaling_ignores_a_few_wild_points():
    """Issue 16 item 10: mean(z^2) on a small set is dominated by a few points."""
    rng = np.random.default_rng(7)
    n = 100
    std = np.full(n, 0.5)
    y = rng.normal(scale=0.5, size=n)  # std is right: the ideal factor is 1
    y[:3] = [8.0, -9.0, 10.0]  # three molecules with a tiny std and a huge error
    mean_scale = VarianceScaler("mean").fit(y, np.zeros(n), std).scale_[0]
    robust_scale = VarianceScaler("median").fit(y, np.zeros(n), std).scale_[0]
    assert mean_scale > 3.0  # every std inflated more than 3x by three points
    assert 0.8 < robust_scale < 1.25


def test_version_1_variance_scaler_state_still_loads_unchanged():
    old = {"type": "VarianceScaler", "version": 1, "scale": [2.5], "one_d": True}
    s = VarianceScaler.from_dict(old)
    assert s.method == "mean"
    np.testing.assert_allclose(s.transform(np.array([0.1, 1.0])), [0.25, 2.5])
    with pytest.raises(ValueError, match="Did you mean 'median'"):
        VarianceScaler("medain").fit(np.zeros(3), np.zeros(3), np.ones(3))


def test_variance_scaler_multi_target_with_nan_labels():
    y1, mu1, s1 = _hetero(3000, 2)
    y2, mu2, s2 = _hetero(3000, 3)
    y = np.stack([y1, y2], axis=1)
    y[::3, 0] = np.nan  # a third of target 0 is unlabelled
    y[1::2, 1] = np.nan
    std = np.stack([0.5 * s1, 2.0 * s2], axis=1)
    scaler = VarianceScaler().fit(y, np.stack([mu1, mu2], 1), std)
    np.testing.assert_allclose(scaler.scale_, [2.0, 0.5], rtol=0.06)
    out = scaler.transform(std)
    assert out.shape == (3000, 2)
    np.testing.assert_allclose(out, std * scaler.scale_)
    with pytest.raises(ValueError, match="target"):
        scaler.transform(std[:, 0])  # one column for a two-target scaler


def test_variance_scaler_json_round_trip_and_errors():
    y, mu, sig = _hetero(500, 4)
    scaler = VarianceScaler().fit(y, mu, 0.5 * sig)
    back = VarianceScaler.from_dict(json.loads(json.dumps(scaler.to_dict())))
    np.testing.assert_array_equal(back.transform(sig), scaler.transform(sig))
    with pytest.raises(NotFittedError):
        VarianceScaler().transform(sig)
    with pytest.raises(ModelFileError):
        VarianceScaler.from_dict(
            {"type": "VarianceScaler", "version": 1, "scale": [-1.0], "one_d": True}
        )
    with pytest.raises(ModelFileError):
        VarianceScaler.from_dict({"type": "ConformalRegressor", "version": 1})
    with pytest.raises(ValueError, match="shape"):
        VarianceScaler().fit(y, mu[:-1], sig)


def _overconfident_binary(n: int, seed: int):
    rng = np.random.default_rng(seed)
    p_true = expit(rng.normal(scale=1.5, size=n))
    y = (rng.random(n) < p_true).astype(float)
    p_model = expit(3.0 * logit(p_true) + 0.5)  # too extreme and shifted
    return p_model, y, p_true


def _log_loss(p, y):
    p = np.clip(p, 1e-12, 1 - 1e-12)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


@pytest.mark.parametrize("method", ["platt", "isotonic"])
def test_probability_calibrator_improves_log_loss(method):
    p_val, y_val, _ = _overconfident_binary(4000, 10)
    p_te, y_te, p_true_te = _overconfident_binary(4000, 11)
    cal = ProbabilityCalibrator(method).fit(p_val, y_val)
    fixed = cal.transform(p_te)
    assert fixed.shape == p_te.shape
    assert np.all((fixed >= 0) & (fixed <= 1))
    assert _log_loss(fixed, y_te) < _log_loss(p_te, y_te) - 0.05
    # and the calibrated probabilities are close to the truth
    assert np.mean(np.abs(fixed - p_true_te)) < 0.05
    assert np.mean(np.abs(p_te - p_true_te)) > 0.1
    if method == "platt":
        # p_model = sigmoid(3 logit(p) + 0.5), so the inverse is a = 1/3, b = -0.5/3
        assert cal.params_[0]["a"] == pytest.approx(1 / 3, abs=0.05)
        assert cal.params_[0]["b"] == pytest.approx(-0.5 / 3, abs=0.1)


@pytest.mark.parametrize("method", ["platt", "isotonic"])
def test_probability_calibrator_multitask_nan_and_json(method):
    p0, y0, _ = _overconfident_binary(1000, 20)
    p1, y1, _ = _overconfident_binary(1000, 21)
    proba = np.stack([p0, p1], 1)
    y = np.stack([y0, y1], 1)
    y[:300, 1] = np.nan
    proba[5, 0] = np.nan
    cal = ProbabilityCalibrator(method).fit(proba, y)
    out = cal.transform(proba)
    assert out.shape == (1000, 2)
    assert np.isnan(out[5, 0]) and np.isfinite(out[6, 0])
    back = ProbabilityCalibrator.from_dict(json.loads(json.dumps(cal.to_dict())))
    np.testing.assert_array_equal(back.transform(proba), out)
    assert back.method == method


def test_probability_calibrator_validation():
    with pytest.raises(ValueError, match="Did you mean 'platt'"):
        ProbabilityCalibrator("plat").fit(np.array([0.2, 0.8]), np.array([0, 1]))
    with pytest.raises(ValueError, match="0, 1 or NaN"):
        ProbabilityCalibrator().fit(np.array([0.2, 0.8]), np.array([0, 2]))
    with pytest.raises(NotFittedError):
        ProbabilityCalibrator().transform(np.array([0.5]))
    with pytest.raises(ModelFileError):
        ProbabilityCalibrator.from_dict(
            {
                "type": "ProbabilityCalibrator",
                "version": 1,
                "method": "isotonic",
                "one_d": True,
                "params": [{"x": [0.5, 0.1], "y": [0.0, 1.0]}],
            }
        )
