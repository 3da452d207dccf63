"""Split-conformal intervals and sets: coverage on synthetic and real data, state round trips."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from molpred.datasets import find_data_dir
from molpred.exceptions import ModelFileError, NotFittedError
from molpred.uncertainty import (
    ConformalClassifier,
    ConformalRegressor,
    VarianceScaler,
    conformal_quantile,
    regression_uncertainty_metrics,
)


def _hetero(n: int, seed: int):
    rng = np.random.default_rng(seed)
    mu = rng.normal(size=n)
    sigma = rng.lognormal(mean=-0.5, sigma=0.7, size=n)
    return mu + sigma * rng.normal(size=n), mu, sigma


def _covered(y, lo, hi):
    return (y >= lo) & (y <= hi)


def test_finite_sample_quantile_golden():
    s = np.arange(1.0, 10.0)  # n = 9 scores 1..9
    assert conformal_quantile(s, 0.9) == 9.0  # ceil(10 * 0.9) = 9th smallest
    assert conformal_quantile(s, 0.8) == 8.0  # ceil(10 * 0.8) = 8
    assert conformal_quantile(s, 0.75) == 8.0  # ceil(7.5) = 8
    assert conformal_quantile(np.arange(1.0, 6.0), 0.9) == math.inf  # ceil(5.4) = 6 > 5
    assert conformal_quantile(np.arange(1.0, 100.0), 0.9) == 90.0  # (99+1)*0.9 exactly 90


@pytest.mark.parametrize("coverage", [0.8, 0.9, 0.95])
@pytest.mark.parametrize("normalized", [True, False])
def test_regression_coverage_synthetic(coverage, normalized):
    y_cal, mu_cal, sig_cal = _hetero(2000, 0)
    y_te, mu_te, sig_te = _hetero(50_000, 1)
    cp = ConformalRegressor().fit(y_cal, mu_cal, sig_cal if normalized else None)
    lo, hi = cp.interval(mu_te, sig_te if normalized else None, coverage=coverage)
    assert lo.shape == hi.shape == mu_te.shape
    assert abs(_covered(y_te, lo, hi).mean() - coverage) < 0.03


def test_normalized_scores_adapt_to_difficulty():
    """With a good std, normalised intervals cover hard molecules too and are narrower."""
    y_cal, mu_cal, sig_cal = _hetero(3000, 2)
    y_te, mu_te, sig_te = _hetero(30_000, 3)
    hard = sig_te > np.quantile(sig_te, 0.8)
    norm = ConformalRegressor().fit(y_cal, mu_cal, sig_cal)
    plain = ConformalRegressor().fit(y_cal, mu_cal)
    lo_n, hi_n = norm.interval(mu_te, sig_te, 0.9)
    lo_p, hi_p = plain.interval(mu_te, coverage=0.9)
    assert abs(_covered(y_te, lo_n, hi_n)[hard].mean() - 0.9) < 0.03
    assert _covered(y_te, lo_p, hi_p)[hard].mean() < 0.8  # plain intervals fail on hard ones
    assert np.mean(hi_n - lo_n) < np.mean(hi_p - lo_p)
    assert np.ptp(hi_p - lo_p) == pytest.approx(0.0)  # constant width without std


def test_regression_multi_target_nan_and_json():
    y0, m0, s0 = _hetero(400, 4)
    y1, m1, s1 = _hetero(400, 5)
    y = np.stack([y0, y1], 1)
    y[:100, 1] = np.nan
    cp = ConformalRegressor().fit(y, np.stack([m0, m1], 1), np.stack([s0, 3 * s1], 1))
    assert [s.size for s in cp.scores_] == [400, 300]
    mean = np.stack([m0, m1], 1)
    std = np.stack([s0, s1], 1)
    mean[3, 0] = np.nan
    lo, hi = cp.interval(mean, std, 0.9)
    assert lo.shape == (400, 2)
    assert np.isnan(lo[3, 0]) and np.isfinite(lo[3, 1])
    back = ConformalRegressor.from_dict(json.loads(json.dumps(cp.to_dict())))
    for cov in (0.5, 0.9, 0.99):
        for a, b in zip(back.interval(mean, std, cov), cp.interval(mean, std, cov), strict=True):
            np.testing.assert_array_equal(a, b)


def test_regression_errors():
    cp = ConformalRegressor()
    with pytest.raises(NotFittedError):
        cp.interval(np.zeros(3))
    cp.fit(np.zeros(10), np.zeros(10), np.ones(10))
    with pytest.raises(ValueError, match="pass std"):
        cp.interval(np.zeros(3))
    with pytest.raises(ValueError, match="coverage"):
        cp.interval(np.zeros(3), np.ones(3), coverage=90)
    with pytest.raises(ModelFileError):
        ConformalRegressor.from_dict(
            {
                "type": "ConformalRegressor",
                "version": 1,
                "normalized": True,
                "scores": [[2.0, 1.0]],
                "one_d": True,
            }
        )
    # too few calibration points for 99%: the honest answer is an infinite interval
    lo, hi = ConformalRegressor().fit(np.ones(20), np.zeros(20)).interval(np.zeros(2), None, 0.99)
    assert np.all(np.isinf(lo)) and np.all(np.isinf(hi))


def _far(n: int, seed: int):
    """Synthetic molecules whose error grows with the distance to the training set, while
    the model's std does not see it (the ethanol-on-a-kinase-model failure)."""
    rng = np.random.default_rng(seed)
    mu = rng.normal(size=n)
    dist = rng.uniform(0.0, 0.9, size=n)
    std = np.full(n, 0.3)
    return mu + 0.3 * (1 + 3 * dist) * rng.normal(size=n), mu, std, dist


def test_distance_difficulty_widens_far_molecules_and_keeps_coverage():
    y_cal, mu_cal, sd_cal, d_cal = _far(2000, 11)
    y_te, mu_te, sd_te, d_te = _far(40_000, 12)
    far = d_te > 0.6
    both = ConformalRegressor().fit(y_cal, mu_cal, sd_cal, d_cal)
    std_only = ConformalRegressor().fit(y_cal, mu_cal, sd_cal)
    assert both.difficulty_ == "std+distance" and std_only.difficulty_ == "std"
    assert both.median_dist_ == pytest.approx(np.median(d_cal))
    lo, hi = both.interval(mu_te, sd_te, 0.9, dist=d_te)
    lo_s, hi_s = std_only.interval(mu_te, sd_te, 0.9)
    width = hi - lo
    assert width[far].mean() > 1.5 * width[~far].mean()
    assert abs(_covered(y_te, lo, hi).mean() - 0.9) < 0.02  # marginal guarantee kept
    # std alone gives every molecule the same width and fails the far ones
    assert np.ptp(hi_s - lo_s) == pytest.approx(0.0)
    assert _covered(y_te, lo_s, hi_s)[far].mean() < 0.8
    assert _covered(y_te, lo, hi)[far].mean() > 0.85
    # a distance-only difficulty needs no std at all
    dist_only = ConformalRegressor("distance").fit(y_cal, mu_cal, dist_cal=d_cal)
    lo_d, hi_d = dist_only.interval(mu_te, None, 0.9, dist=d_te)
    assert abs(_covered(y_te, lo_d, hi_d).mean() - 0.9) < 0.02
    with pytest.raises(ValueError, match="pass dist"):
        both.interval(mu_te, sd_te, 0.9)
    with pytest.raises(ValueError, match="needs dist_cal"):
        ConformalRegressor("std+distance").fit(y_cal, mu_cal, sd_cal)
    with pytest.raises(ValueError, match="Did you mean"):
        ConformalRegressor("distanse").fit(y_cal, mu_cal, dist_cal=d_cal)
    back = ConformalRegressor.from_dict(json.loads(json.dumps(both.to_dict())))
    for a, b in zip(back.interval(mu_te, sd_te, 0.8, d_te), both.interval(mu_te, sd_te, 0.8, d_te), strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("normalized", [True, False])
def test_version_1_conformal_state_gives_the_old_intervals(normalized):
    """Model files written before distance difficulties keep their exact intervals."""
    scores = [0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5.0, 5.5]
    old = {"type": "ConformalRegressor", "version": 1, "normalized": normalized,
           "scores": [scores], "one_d": True}
    cp = ConformalRegressor.from_dict(old)
    mean, std = np.array([1.0, 2.0]), np.array([0.1, 0.4])
    lo, hi = cp.interval(mean, std, coverage=0.9)  # rank ceil(12 * 0.9) = 11 -> q = 5.5
    half = 5.5 * std if normalized else np.full(2, 5.5)
    np.testing.assert_allclose(lo, mean - half)
    np.testing.assert_allclose(hi, mean + half)
    assert cp.normalized_ is normalized


def _calibrated_multiclass(n: int, k: int, seed: int):
    rng = np.random.default_rng(seed)
    proba = rng.dirichlet(np.full(k, 0.7), size=n)
    y = np.array([rng.choice(k, p=p) for p in proba])
    return proba, y


@pytest.mark.parametrize("coverage", [0.8, 0.9])
def test_classifier_set_coverage(coverage):
    p_cal, y_cal = _calibrated_multiclass(2000, 4, 0)
    p_te, y_te = _calibrated_multiclass(20_000, 4, 1)
    cc = ConformalClassifier().fit(p_cal, y_cal)
    sets = cc.predict_set(p_te, coverage=coverage)
    assert sets.shape == (20_000, 4) and sets.dtype == bool
    assert abs(sets[np.arange(y_te.size), y_te].mean() - coverage) < 0.03
    assert 1.0 < sets.sum(1).mean() < 4.0  # informative sets


def test_classifier_mondrian_covers_rare_class():
    rng = np.random.default_rng(3)
    n = 30_000
    # imbalanced binary task: 10% positives, a mediocre model
    y = (rng.random(n) < 0.1).astype(int)
    p_pos = np.clip(0.1 + 0.25 * (y - 0.1) + rng.normal(scale=0.12, size=n), 0.001, 0.999)
    cal, te = slice(0, 5000), slice(5000, n)
    pooled = ConformalClassifier().fit(p_pos[cal], y[cal])
    mondrian = ConformalClassifier(class_conditional=True).fit(p_pos[cal], y[cal])
    pos = y[te] == 1
    s_pool = pooled.predict_set(p_pos[te], 0.9)
    s_mond = mondrian.predict_set(p_pos[te], 0.9)
    assert s_mond.shape == (n - 5000, 2)
    assert s_pool[pos, 1].mean() < 0.8  # pooled coverage neglects the rare class
    assert abs(s_mond[pos, 1].mean() - 0.9) < 0.03
    assert abs(s_mond[~pos, 0].mean() - 0.9) < 0.03
    back = ConformalClassifier.from_dict(json.loads(json.dumps(mondrian.to_dict())))
    np.testing.assert_array_equal(back.predict_set(p_pos[te], 0.9), s_mond)


def test_classifier_errors():
    with pytest.raises(ValueError, match="class labels"):
        ConformalClassifier().fit(np.full((3, 2), 0.5), np.array([0, 1, 2]))
    cc = ConformalClassifier().fit(np.array([0.2, 0.9, 0.6]), np.array([0, 1, np.nan]))
    assert cc.scores_[0].size == 2
    with pytest.raises(ValueError, match="classes"):
        cc.predict_set(np.full((2, 3), 1 / 3))


# -- real data: ESOL with a random forest ------------------------------------------------

ESOL = str(find_data_dir("moleculenet") / "moleculenet" / "delaney-processed.csv")


@pytest.fixture(scope="module")
def esol_rf():
    pd = pytest.importorskip("pandas")
    from pathlib import Path

    if not Path(ESOL).exists():
        pytest.skip("ESOL data not available")
    from rdkit import Chem
    from sklearn.ensemble import RandomForestRegressor

    from molpred.chem import morgan_fingerprints

    df = pd.read_csv(ESOL)
    X = morgan_fingerprints([Chem.MolFromSmiles(s) for s in df["smiles"]])
    y = df["measured log solubility in mols per litre"].to_numpy(float)
    idx = np.random.default_rng(0).permutation(len(y))
    n = len(y)
    tr, ca, te = idx[: int(0.6 * n)], idx[int(0.6 * n) : int(0.8 * n)], idx[int(0.8 * n) :]
    rf = RandomForestRegressor(n_estimators=100, random_state=0, n_jobs=1).fit(X[tr], y[tr])

    def predict(rows):
        per_tree = np.stack([t.predict(X[rows]) for t in rf.estimators_])
        return per_tree.mean(0), per_tree.std(0)

    return {"y": y, "cal": (ca, *predict(ca)), "test": (te, *predict(te)), "X": X, "train": tr}


@pytest.mark.parametrize("normalized", [True, False])
def test_esol_random_forest_coverage(esol_rf, normalized):
    y = esol_rf["y"]
    ca, m_ca, s_ca = esol_rf["cal"]
    te, m_te, s_te = esol_rf["test"]
    cp = ConformalRegressor().fit(y[ca], m_ca, s_ca if normalized else None)
    lo, hi = cp.interval(m_te, s_te if normalized else None, coverage=0.9)
    cov = _covered(y[te], lo, hi).mean()
    assert 0.8 <= cov <= 0.97
    metrics = regression_uncertainty_metrics(y[te], m_te, s_te, lo, hi)
    assert metrics["coverage"] == pytest.approx(cov)
    assert metrics["n"] == te.size
    # the spread of the trees carries some information about the error
    assert metrics["spearman_unc_error"] > 0.05


def test_esol_variance_scaler_keeps_calibration(esol_rf):
    y = esol_rf["y"]
    ca, m_ca, s_ca = esol_rf["cal"]
    te, m_te, s_te = esol_rf["test"]
    # make the forest's std 4x overconfident, then let the scaler undo it on calibration data
    scaler = VarianceScaler().fit(y[ca], m_ca, s_ca / 4)
    fixed = regression_uncertainty_metrics(y[te], m_te, scaler.transform(s_te / 4))
    broken = regression_uncertainty_metrics(y[te], m_te, s_te / 4)
    assert broken["miscalibration_area"] > 0.2
    assert fixed["miscalibration_area"] < 0.08
    assert 0.8 <= fixed["coverage"] <= 0.97
