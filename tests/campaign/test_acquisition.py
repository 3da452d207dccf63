"""Tests for molpred.campaign.acquisition."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from molpred.campaign.acquisition import (
    ACQUISITIONS,
    AcquisitionConfig,
    ei,
    get_acquisition,
    greedy,
    list_acquisitions,
    pi,
    score,
    thompson,
    ucb,
)

RNG = np.random.default_rng(0)
MEAN = RNG.normal(size=50)
STD = RNG.uniform(0.05, 2.0, size=50)


def test_registry_lists_every_function():
    assert list_acquisitions() == ["greedy", "ucb", "ei", "pi", "thompson", "random"]
    assert set(ACQUISITIONS) == set(list_acquisitions())
    assert get_acquisition("UCB") is ucb
    assert get_acquisition(" ei ") is ei


def test_unknown_name_suggests_the_closest():
    with pytest.raises(ValueError, match="did you mean 'ucb'"):
        get_acquisition("ubc")
    with pytest.raises(ValueError, match="did you mean 'thompson'"):
        AcquisitionConfig(name="tompson")
    with pytest.raises(ValueError, match="Available"):
        get_acquisition("zzzzzzzz")


def test_config_is_frozen_validated_and_round_trips():
    cfg = AcquisitionConfig(name="EI", xi=0.1)
    assert cfg.name == "ei"
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.name = "ucb"  # type: ignore[misc]
    assert AcquisitionConfig.from_dict(cfg.to_dict()) == cfg
    with pytest.raises(ValueError, match="beta"):
        AcquisitionConfig(beta=-1.0)
    with pytest.raises(ValueError, match="xi"):
        AcquisitionConfig(xi=float("nan"))


def test_ucb_with_beta_zero_is_greedy():
    assert np.array_equal(np.argsort(-ucb(MEAN, STD, beta=0.0)), np.argsort(-greedy(MEAN, STD)))
    s_ucb = score(AcquisitionConfig("ucb", beta=0.0), MEAN, STD)
    s_greedy = score(AcquisitionConfig("greedy"), MEAN, STD)
    np.testing.assert_array_equal(s_ucb, s_greedy)
    np.testing.assert_allclose(ucb(MEAN, STD, beta=2.0), MEAN + 2.0 * STD)


def test_ei_prefers_larger_std_at_equal_mean():
    mean = np.array([1.0, 1.0, 1.0])
    std = np.array([0.1, 0.5, 2.0])
    values = ei(mean, std, best=1.5)
    assert values[0] < values[1] < values[2]
    assert np.all(values >= 0)


def test_ei_matches_monte_carlo():
    mean, std, best, xi = np.array([0.3, 1.2, -1.0]), np.array([0.7, 0.2, 1.5]), 1.0, 0.05
    draws = np.random.default_rng(1).normal(mean, std, size=(400_000, 3))
    expected = np.maximum(draws - best - xi, 0).mean(0)
    np.testing.assert_allclose(ei(mean, std, best, xi), expected, rtol=0.02, atol=1e-3)
    prob = (draws > best + xi).mean(0)
    np.testing.assert_allclose(pi(mean, std, best, xi), prob, atol=3e-3)


def test_zero_std_falls_back_to_improvement_without_nan():
    mean = np.array([2.0, 0.5, 1.0])
    std = np.zeros(3)
    np.testing.assert_allclose(ei(mean, std, best=1.0, xi=0.0), [1.0, 0.0, 0.0])
    np.testing.assert_array_equal(pi(mean, std, best=1.0, xi=0.0), [1.0, 0.0, 0.0])
    for name in list_acquisitions():
        s = score(AcquisitionConfig(name), mean, None, best=1.0)
        assert not np.isnan(s).any(), name


def test_nan_mean_scores_minus_infinity_for_every_function():
    mean = np.array([0.5, np.nan, 1.5, np.nan])
    std = np.array([0.1, np.nan, 0.2, 0.3])
    for name in list_acquisitions():
        s = score(AcquisitionConfig(name), mean, std, best=1.0, seed=3)
        assert np.isneginf(s[[1, 3]]).all(), name
        assert np.isfinite(s[[0, 2]]).all(), name


def test_thompson_is_reproducible_and_centred():
    cfg = AcquisitionConfig("thompson")
    a = score(cfg, MEAN, STD, seed=7)
    b = score(cfg, MEAN, STD, seed=7)
    c = score(cfg, MEAN, STD, seed=8)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    draws = np.stack([thompson(MEAN, STD, np.random.default_rng(s)) for s in range(400)])
    np.testing.assert_allclose(draws.mean(0), MEAN, atol=4 * STD.max() / np.sqrt(400))
    # std = 0 gives back the mean exactly
    np.testing.assert_array_equal(thompson(MEAN, np.zeros(50), np.random.default_rng(0)), MEAN)


def test_random_is_reproducible_and_ignores_predictions():
    cfg = AcquisitionConfig("random")
    a = score(cfg, MEAN, STD, seed=1)
    np.testing.assert_array_equal(a, score(cfg, -MEAN, STD * 3, seed=1))
    assert not np.array_equal(a, score(cfg, MEAN, STD, seed=2))


def test_best_defaults_to_the_best_predicted_mean():
    cfg = AcquisitionConfig("ei", xi=0.0)
    np.testing.assert_allclose(score(cfg, MEAN, STD), score(cfg, MEAN, STD, best=MEAN.max()))


def test_minimisation_by_negating_the_mean():
    mean = np.array([5.0, 1.0, 3.0])  # e.g. IC50: lower is better
    s = score(AcquisitionConfig("greedy"), -mean, np.zeros(3))
    assert int(np.argmax(s)) == 1


def test_bad_shapes_and_negative_std_raise():
    cfg = AcquisitionConfig()
    with pytest.raises(ValueError, match="1-D"):
        score(cfg, np.zeros((2, 2)), np.zeros((2, 2)))
    with pytest.raises(ValueError, match="shape"):
        score(cfg, np.zeros(3), np.zeros(4))
    with pytest.raises(ValueError, match=">= 0"):
        score(cfg, np.zeros(3), np.array([0.1, -0.1, 0.2]))


_finite = st.floats(min_value=-1e6, max_value=1e6)
_floats = _finite | st.just(float("nan"))


@settings(max_examples=60, deadline=None)
@given(
    mean=arrays(np.float64, st.integers(0, 20), elements=_floats),
    data=st.data(),
    name=st.sampled_from(["greedy", "ucb", "ei", "pi", "thompson", "random"]),
)
def test_scores_are_never_nan(mean, data, name):
    std = data.draw(
        arrays(
            np.float64,
            mean.shape,
            elements=st.floats(min_value=0, max_value=1e3) | st.just(float("nan")),
        )
    )
    s = score(AcquisitionConfig(name), mean, std, best=data.draw(st.none() | _finite), seed=0)
    assert s.shape == mean.shape
    assert not np.isnan(s).any()
    assert np.array_equal(np.isneginf(s), np.isnan(mean))
