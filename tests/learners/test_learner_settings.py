"""Learner settings on the estimator (C, epsilon, alpha, n_estimators, max_depth, max_features)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import molpred
from molpred import MolPropertyClassifier, MolPropertyRegressor

ROOT = Path(__file__).resolve().parents[2]
TARGET = ROOT / "datasets" / "moleculeace" / "CHEMBL2835_Ki.csv"


@pytest.fixture(scope="module")
def ace():
    df = pd.read_csv(TARGET)
    train = df[df["split"] == "train"].iloc[:150]
    return train["smiles"].tolist(), train["y"].rename("pKi")


def test_fixed_svr_settings_replace_the_inner_grid(ace):
    X, y = ace
    est = MolPropertyRegressor(model="svr", C=3.0, epsilon=0.05).fit(X, y)
    params = est.training_[0]
    assert params["C"] == 3.0 and params["epsilon"] == 0.05 and np.isnan(params["cv_rmse"])
    half = MolPropertyRegressor(model="svr", C=3.0).fit(X, y).training_[0]  # epsilon still by CV
    assert half["C"] == 3.0 and half["epsilon"] in (0.01, 0.1, 0.2) and np.isfinite(half["cv_rmse"])


def test_gp_alpha_fixes_the_noise(ace):
    X, y = ace
    free = MolPropertyRegressor(model="gp").fit(X, y)
    noisy = MolPropertyRegressor(model="gp", alpha=2.0).fit(X, y)
    assert noisy.training_[0]["noise"] == 2.0 != free.training_[0]["noise"]
    probe = X[:20]
    assert not np.allclose(noisy.predict(probe), free.predict(probe))


def test_rf_depth_and_features_reach_the_trees_and_survive_save_load(ace, tmp_path):
    X, y = ace
    est = MolPropertyRegressor(model="rf", n_estimators=20, max_depth=2, max_features=0.5).fit(X, y)
    forest = est.members_[0]
    assert len(forest.roots_) == 20
    assert len(forest.left_) <= 20 * 7  # depth 2: at most 7 nodes a tree
    est.save(tmp_path / "rf")
    back = molpred.load(tmp_path / "rf")
    assert back.get_params()["max_depth"] == 2
    np.testing.assert_allclose(back.predict(X[:10]), est.predict(X[:10]))
    clf = MolPropertyClassifier(model="rf", n_estimators=10, max_depth=3)
    assert clf.fit(X, (y > y.median()).astype(int)).members_[0].max_depth == 3


@pytest.mark.parametrize("params, message", [
    ({"model": "rf", "C": 1.0}, "C is a setting of model='svr'"),
    ({"model": "dmpnn", "alpha": 0.1}, "alpha is a setting of model='gp'"),
    ({"model": "rf", "max_features": 1.5}, "max_features must be in"),
    ({"model": "svr", "C": -1.0}, "C must be positive"),
])
def test_settings_of_another_learner_are_refused(params, message):
    with pytest.raises(ValueError, match=message):
        MolPropertyRegressor(**params).fit(["CCO", "CCN", "CCC"], [1.0, 2.0, 3.0])
