"""Hyperparameter search on a real MoleculeACE target: seeded, resumable, pruned, train rows only."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import optuna
import pandas as pd
import pytest

import molpred
from molpred import MolPropertyRegressor
from molpred.tuning import cv_folds, space_for, tune
from molpred.tuning.space import FEATURE_SETS, suggest

ROOT = Path(__file__).resolve().parents[2]
TARGET = ROOT / "datasets" / "moleculeace" / "CHEMBL2835_Ki.csv"  # the smallest shipped target


@pytest.fixture(scope="module")
def ace():
    df = pd.read_csv(TARGET)
    train = df[df["split"] == "train"].iloc[:160]
    return train["smiles"].tolist(), train["y"].rename("pKi")


def _params(result) -> list[dict]:
    cols = [c for c in result.trials.columns if c.startswith("params_")]
    return result.trials[cols].to_dict("records")


def test_same_seed_same_trials_other_seed_other_draws(ace):
    X, y = ace
    a = tune(MolPropertyRegressor(model="svr"), X, y, n_trials=3, cv=3, seed=0, refit=False)
    b = tune(MolPropertyRegressor(model="svr"), X, y, n_trials=3, cv=3, seed=0, refit=False)
    c = tune(MolPropertyRegressor(model="svr"), X, y, n_trials=3, cv=3, seed=1, refit=False)
    assert _params(a) == _params(b)
    np.testing.assert_allclose(a.trials["value"], b.trials["value"])
    assert a.best_params == b.best_params
    assert _params(a)[1:] != _params(c)[1:]  # trial 0 is the defaults in both
    assert a.trials["defaults"].tolist() == [True, False, False]
    assert set(a.settings["searched"]) == {"kernel", "C", "epsilon"}


def test_sqlite_study_resumes_and_refuses_other_settings(ace, tmp_path):
    X, y = ace
    storage = f"sqlite:///{tmp_path / 'study.db'}"
    first = tune(MolPropertyRegressor(model="gp"), X, y, n_trials=2, cv=3, storage=storage, refit=False)
    again = tune(MolPropertyRegressor(model="gp"), X, y, n_trials=2, cv=3, storage=storage, refit=False)
    assert len(first.trials) == 2 and len(again.trials) == 4 and again.n_new_trials == 2
    assert again.trials["number"].tolist() == [0, 1, 2, 3]
    assert _params(again)[:2] == _params(first)  # the stored trials are kept as they were
    assert again.trials["defaults"].tolist() == [True, False, False, False]  # defaults run once
    # the resumed sampler is seeded apart: it does not replay the first run's draw
    assert again.trials.loc[2, "params_alpha"] != first.trials.loc[1, "params_alpha"]
    with pytest.raises(ValueError, match="other settings"):
        tune(MolPropertyRegressor(model="gp"), X, y, n_trials=1, cv=4, storage=storage)
    with pytest.raises(ValueError, match="other settings.*data"):
        tune(MolPropertyRegressor(model="gp"), X[:-5], y[:-5], n_trials=1, cv=3, storage=storage)


def test_pruned_trial_is_recorded_as_pruned(ace, tmp_path):
    X, y = ace
    # one finished trial is enough to compare with: any trial behind the defaults after fold 1 stops
    result = tune(MolPropertyRegressor(model="gp"), X, y, n_trials=5, cv=3, seed=0,
                  pruner=optuna.pruners.MedianPruner(n_startup_trials=1), refit=False)
    pruned = result.trials[result.trials["state"] == "PRUNED"]
    assert len(pruned) >= 1
    assert (pruned["n_folds_scored"] < 3).all()  # stopped before its last fold
    np.testing.assert_allclose(pruned["value"], pruned["last_intermediate"])  # Optuna keeps the last report
    assert result.summary()["trial_states"]["PRUNED"] == len(pruned)
    files = result.save(tmp_path / "out")  # refit=False: study files only
    table = pd.read_csv(files["study"])
    assert (table["state"] == "PRUNED").sum() == len(pruned)
    assert Path(files["plot"]).stat().st_size > 0


def test_network_trials_are_pruned_between_epochs(ace):
    X, y = ace
    result = tune(MolPropertyRegressor(model="mlp", epochs=8, patience=0), X, y, n_trials=4, cv=2, seed=0,
                  pruner=optuna.pruners.MedianPruner(n_startup_trials=1), refit=False)
    pruned = result.trials[result.trials["state"] == "PRUNED"]
    assert len(pruned) >= 1
    assert pruned["pruned_at"].str.match(r"fold \d, epoch \d").all()  # inside a fold, not after it
    assert (pruned["n_folds_scored"] < 2).all() and (pruned["cpu_seconds"] > 0).all()


def test_timeout_alone_stops_after_the_running_trial_and_scaffold_folds_work(ace):
    X, y = ace
    result = tune(MolPropertyRegressor(model="gp"), X, y, n_trials=None, timeout=0.01, cv=3, cv_split="scaffold")
    assert len(result.trials) == 1 and result.trials["defaults"].iloc[0]  # a started trial always finishes
    assert result.settings["cv_split"] == "scaffold" and result.estimator is not None
    with pytest.raises(ValueError, match="n_trials, timeout"):
        tune(MolPropertyRegressor(model="gp"), X, y, n_trials=None)


def test_tune_sees_training_rows_only(tmp_path, monkeypatch):
    from molpred.estimators import _MolEstimator
    from molpred.tuning.table import tune_table

    df = pd.read_csv(TARGET).iloc[:220]
    seen_fit, seen_predict = [], []
    fit, predict_raw = _MolEstimator.fit, _MolEstimator._predict_raw

    def spy_fit(self, X, y=None, **kw):
        seen_fit.append(list(X))
        return fit(self, X, y, **kw)

    def spy_predict(self, X):
        seen_predict.append(list(X))
        return predict_raw(self, X)

    monkeypatch.setattr(_MolEstimator, "fit", spy_fit)
    monkeypatch.setattr(_MolEstimator, "_predict_raw", spy_predict)
    outcome = tune_table(df, "smiles", ["y"], model="gp", split="column:split", n_trials=2, cv=3,
                         out=tmp_path / "m")
    train, test = set(df.loc[df["split"] == "train", "smiles"]), set(df.loc[df["split"] == "test", "smiles"])
    assert len(seen_fit) == 2 * 3 + 1  # two trials of three folds, then the refit
    assert all(set(x) <= train for x in seen_fit)
    assert set(seen_fit[-1]) == train  # the refit uses every training row
    assert all(set(x) <= train for x in seen_predict[:-1])  # CV scores on held-out training folds
    assert set(seen_predict[-1]) == test  # the test rows are scored once, at the end
    assert outcome.n_tune_rows == len(df[df["split"] == "train"])
    assert outcome.test_metrics["n_test_rows"] == len(test)


def test_graph_network_tuned_model_directory_loads_and_predicts(tmp_path):
    df = pd.read_csv(TARGET)
    train = df[df["split"] == "train"].iloc[:90]
    base = MolPropertyRegressor(model="dmpnn", epochs=2, patience=0, calibration_fraction=0.0)
    result = base.tune(train["smiles"].tolist(), train["y"].rename("pKi"), n_trials=2, cv=2, seed=3)
    assert set(result.settings["searched"]) >= {"hidden_size", "depth", "dropout", "lr", "batch_size"}
    assert base.get_params() == MolPropertyRegressor(model="dmpnn", epochs=2, patience=0,
                                                     calibration_fraction=0.0).get_params()  # untouched
    files = result.save(tmp_path / "tuned")
    loaded = molpred.load(files["model"])
    for name, value in result.best_params.items():
        assert loaded.get_params()[name] == value
    probe = ["CCOc1ccc(CCN)cc1", "not a smiles", *train["smiles"].iloc[:5]]
    np.testing.assert_allclose(loaded.predict(probe), result.estimator.predict(probe), rtol=1e-6, equal_nan=True)
    assert np.isnan(loaded.predict(probe)[1])
    assert (tmp_path / "tuned" / "best_params.json").exists()


def test_cv_folds_partition_molecules_and_scaffolds():
    from rdkit import Chem

    from molpred.data.splits import murcko_scaffold

    df = pd.read_csv(TARGET).iloc[:120]
    smiles = df["smiles"].tolist() + ["OCC", "CCO"]  # one molecule written two ways
    for split in ("random", "scaffold"):
        folds = cv_folds(smiles, 4, split, seed=0)
        val = np.concatenate([v for _, v in folds])
        assert sorted(val) == list(range(len(smiles)))
        for tr, va in folds:
            assert not set(tr) & set(va)
        fold_of = {int(i): k for k, (_, v) in enumerate(folds) for i in v}
        assert fold_of[len(smiles) - 1] == fold_of[len(smiles) - 2]
        if split == "scaffold":
            scaf = [murcko_scaffold(Chem.MolFromSmiles(s)) for s in smiles]
            for tr, va in folds:
                assert not ({scaf[i] for i in tr if scaf[i]} & {scaf[i] for i in va if scaf[i]})
    assert [v.tolist() for _, v in cv_folds(smiles, 3, "random", 5)] == [v.tolist() for _, v in cv_folds(smiles, 3, "random", 5)]
    with pytest.raises(ValueError, match="cv split"):
        cv_folds(smiles, 3, "time")


def test_search_space_follows_the_estimator():
    names = lambda est: [p.name for p in space_for(est)]  # noqa: E731
    assert "hidden_size" in names(MolPropertyRegressor(model="dmpnn"))
    assert "hidden_size" not in names(MolPropertyRegressor(model="dmpnn", pretrained="molpred-base"))
    assert names(MolPropertyRegressor(model="rf")) == ["n_estimators", "max_depth", "max_features"]
    has_features = "features" in MolPropertyRegressor().get_params()  # molecule-level features (issue 18 item 1)
    assert ("features" in names(MolPropertyRegressor(model="dmpnn"))) == has_features

    class WithFeatures:  # an estimator exposing molecule-level features (the extension point)
        model = "gine"

        def get_params(self, deep=False):
            return {**MolPropertyRegressor(model="gine").get_params(), "features": None}

    space = space_for(WithFeatures())
    assert "features" in [p.name for p in space]
    trial = optuna.trial.FixedTrial({"hidden_size": 200, "depth": 3, "dropout": 0.1, "lr": 1e-3, "batch_size": 32,
                                     "ffn_layers": 2, "features": "morgan_count+rdkit2d"})
    assert suggest(trial, space)["features"] == FEATURE_SETS["morgan_count+rdkit2d"] == ["morgan_count", "rdkit2d"]
    with pytest.raises(ValueError, match="fixed"):
        tune(MolPropertyRegressor(model="gp"), ["CCO"] * 10, np.arange(10.0), n_trials=1, fixed=("depth",))


def test_classifier_is_tuned_on_roc_auc(ace):
    from molpred import MolPropertyClassifier

    X, y = ace
    labels = (y > y.median()).astype(int).rename("active")
    result = MolPropertyClassifier(model="rf", n_estimators=50).tune(X, labels, n_trials=2, cv=2, seed=0,
                                                                     fixed=("n_estimators",))
    assert "n_estimators" not in result.settings["searched"] and result.estimator.n_estimators == 50
    assert result.metric == "roc_auc" and result.direction == "maximize"
    done = result.trials[result.trials["state"] == "COMPLETE"]
    assert result.best_value == done["value"].max() and 0.5 < result.best_value <= 1.0
    proba = result.estimator.predict_proba(X[:5])
    assert proba.shape == (5, 2) and np.allclose(proba.sum(1), 1.0)
