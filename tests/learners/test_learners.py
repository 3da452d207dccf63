"""Kernel and tree learners as molpred models, trained on a real MoleculeACE target.

Each learner: trains through the public estimator, predicts one row per input with
status/error, conformal intervals and domain columns, and survives save/load with identical
predictions while loading runs no pickle.
"""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import molpred
from molpred import MolPropertyClassifier, MolPropertyRegressor
from molpred.exceptions import ModelFileError

ROOT = Path(__file__).resolve().parents[2]
TARGET = ROOT / "datasets" / "moleculeace" / "CHEMBL2835_Ki.csv"  # 616 molecules, the smallest shipped


@pytest.fixture(scope="module")
def ace():
    df = pd.read_csv(TARGET)
    train, test = df[df["split"] == "train"], df[df["split"] == "test"]
    return train.iloc[:250], test.iloc[:60]


def _no_pickle(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("loading a model must not unpickle anything")

    for name in ("load", "loads", "Unpickler"):
        monkeypatch.setattr(pickle, name, refuse)
    import torch

    monkeypatch.setattr(torch, "load", refuse)


@pytest.fixture(scope="module", params=["svr", "gp", "rf"])
def fitted(request, ace):
    train, _ = ace
    est = MolPropertyRegressor(model=request.param, seed=0).fit(train["smiles"].tolist(), train["y"].rename("pKi"))
    return request.param, est


def test_learner_beats_the_mean_on_held_out_molecules(fitted, ace):
    name, est = fitted
    _, test = ace
    pred = est.predict(test["smiles"].tolist())
    rmse = float(np.sqrt(np.mean((pred - test["y"].to_numpy()) ** 2)))
    baseline = float(np.sqrt(np.mean((test["y"] - ace[0]["y"].mean()) ** 2)))
    assert rmse < 0.8 * baseline, (name, rmse, baseline)


def test_save_load_identical_and_no_code_runs(fitted, ace, tmp_path, monkeypatch):
    name, est = fitted
    smiles = ["not a smiles", *ace[1]["smiles"].tolist(), ""]
    before = est.predict_frame(smiles)
    est.save(tmp_path / name)
    config = json.loads((tmp_path / name / "model.json").read_text())
    assert config["model_spec"]["arch"] == name and config["learners"][0]["learner"] == name
    _no_pickle(monkeypatch)
    loaded = molpred.load(tmp_path / name)
    after = loaded.predict_frame(smiles)
    pd.testing.assert_frame_equal(before, after, check_exact=True)
    assert after["status"].tolist()[0] == "invalid_smiles" and after["status"].tolist()[-1] == "empty"
    assert len(after) == len(smiles) and after["pKi"].iloc[1:-1].notna().all()
    for col in ("pKi_lo", "pKi_hi", "max_sim_train", "in_domain"):
        assert col in after, col
    assert (after["pKi_lo"].iloc[1:-1] < after["pKi"].iloc[1:-1]).all()
    assert ("pKi_std" in after) == (name == "gp")


def test_gp_std_grows_away_from_the_training_data(ace):
    train, test = ace
    est = MolPropertyRegressor(model="gp").fit(train["smiles"].tolist(), train["y"].to_numpy())
    near = train["smiles"].iloc[0]
    far = "CCCCCCCCCCCCCCCCCC(=O)OCC[Si](C)(C)C"
    _, std = est.predict([near, far], return_std=True)
    assert std[1] > 2 * std[0]
    with pytest.raises(ValueError, match="no uncertainty"):
        MolPropertyRegressor(model="svr").fit(train["smiles"].tolist()[:40], train["y"].to_numpy()[:40]).predict(
            [near], return_std=True)


def test_svr_reproduces_the_benchmark_svm_peer(ace):
    from benchmarks.fingerprint_peers import SVMPeer

    train, test = ace
    ours = MolPropertyRegressor(model="svr", standardize=False).fit(train["smiles"].tolist(), train["y"].to_numpy())
    peer = SVMPeer("regression", seed=0).fit(train["smiles"].tolist(), train["y"].to_numpy()[:, None])
    assert ours.training_[0]["C"] == peer.models_[0][2]["C"]
    assert ours.training_[0]["epsilon"] == peer.models_[0][2]["epsilon"]
    np.testing.assert_allclose(ours.predict(test["smiles"].tolist()), peer.predict(test["smiles"].tolist())[:, 0],
                               atol=1e-5)


def test_forest_arrays_predict_what_scikit_learn_predicts(ace):
    from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor

    from molpred.learners import FingerprintForest  # noqa: F401 - re-exported
    from molpred.learners.forest import FingerprintForest as Forest

    rng = np.random.default_rng(0)
    X = (rng.random((120, 64)) < 0.3).astype(np.uint8)
    y = X[:, :5].sum(1) + rng.normal(0, 0.1, 120)
    ours = Forest("regression", seed=3, n_estimators=20).fit(X, y)
    ref = RandomForestRegressor(20, max_features=0.33, random_state=3, oob_score=True).fit(X, y)
    np.testing.assert_allclose(ours.predict(X[:30])[0], ref.predict(X[:30]), rtol=1e-12)
    yc = (y > np.median(y)).astype(int)
    ours = Forest("classification", seed=3, n_estimators=20).fit(X, yc)
    ref = RandomForestClassifier(20, random_state=3, class_weight="balanced", oob_score=True).fit(X, yc)
    np.testing.assert_allclose(ours.predict(X[:30])[0], ref.predict_proba(X[:30])[:, 1], rtol=1e-12)


def test_rf_classifier_round_trip(ace, tmp_path):
    train, test = ace
    labels = (train["y"] > train["y"].median()).astype(int).rename("active")
    est = MolPropertyClassifier(model="rf").fit(train["smiles"].tolist(), labels)
    proba = est.predict_proba(test["smiles"].tolist())
    assert proba.shape == (len(test), 2) and np.allclose(proba.sum(1), 1.0)
    truth = (test["y"] > train["y"].median()).astype(int).to_numpy()
    from sklearn.metrics import roc_auc_score

    assert roc_auc_score(truth, proba[:, 1]) > 0.7
    est.save(tmp_path / "rfc")
    np.testing.assert_array_equal(molpred.load(tmp_path / "rfc").predict_proba(test["smiles"].tolist()), proba)


def test_kernel_learners_refuse_classification_and_ensembles():
    with pytest.raises(ValueError, match="does not do classification"):
        MolPropertyClassifier(model="svr").fit(["CCO", "CCN", "CCC"], [0, 1, 0])
    with pytest.raises(ValueError, match="uncertainty"):
        MolPropertyRegressor(model="gp", ensemble=3).fit(["CCO", "CCN", "CCC"], [0.0, 1.0, 0.5])
    with pytest.raises(ValueError, match="did you mean 'svr'"):
        MolPropertyRegressor(model="svm").fit(["CCO", "CCN"], [0.0, 1.0])


def test_tampered_learner_arrays_are_rejected(fitted, tmp_path):
    from safetensors.numpy import load_file, save_file

    from molpred.io import sha256_file

    name, est = fitted
    d = tmp_path / name
    est.save(d)
    arrays = load_file(str(d / "weights.safetensors"))
    key = {"svr": "learner0.dual_coef", "gp": "learner0.alpha", "rf": "learner0.left"}[name]
    arrays[key] = arrays[key].copy()
    if name == "rf":
        arrays[key][0] = 10**8  # a child outside the forest
    else:
        arrays[key] = arrays[key][:-1]  # one coefficient short
    save_file(arrays, str(d / "weights.safetensors"))
    cfg = json.loads((d / "model.json").read_text())
    cfg["weights"]["sha256"] = sha256_file(d / "weights.safetensors")  # a consistent but wrong model
    (d / "model.json").write_text(json.dumps(cfg))
    with pytest.raises(ModelFileError, match="cannot be rebuilt"):
        molpred.load(d)


def test_cli_trains_and_lists_the_learners(ace, tmp_path, capsys):
    from molpred.cli.main import main

    assert main(["list", "models"]) == 0
    assert {"svr", "gp", "rf", "dmpnn"} <= set(capsys.readouterr().out.split())
    data = tmp_path / "ace.csv"
    ace[0][["smiles", "y"]].to_csv(data, index=False)
    out = tmp_path / "svr_model"
    assert main(["train", "--data", str(data), "--target", "y", "--model", "svr", "--split", "random",
                 "--out", str(out)]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["model"] == "svr" and metrics["test"]["per_target"]["y"]["rmse"] < 1.0
    assert molpred.load(out).training_[0]["learner"] == "svr"


def test_explain_refuses_learners_with_a_clear_message(fitted):
    from molpred.explain.attribution import atom_attributions

    name, est = fitted
    with pytest.raises(ValueError, match="need a network model"):
        atom_attributions(est, ["CCO"])


def test_minmax_kernel_is_exact_and_reduces_to_tanimoto_on_bits():
    from molpred.learners.kernel import minmax_kernel, tanimoto_kernel

    rng = np.random.default_rng(0)
    a, b = rng.integers(0, 5, (12, 48)), rng.integers(0, 5, (9, 48))
    b[0] = 0
    ref = np.array([[np.minimum(x, y).sum() / max(np.maximum(x, y).sum(), 1) for y in b] for x in a])
    np.testing.assert_allclose(minmax_kernel(a, b), ref, rtol=1e-12)
    bits_a, bits_b = (a > 0).astype(np.uint8), (b > 0).astype(np.uint8)
    np.testing.assert_allclose(minmax_kernel(bits_a, bits_b), tanimoto_kernel(bits_a, bits_b), rtol=1e-12)


@pytest.mark.parametrize("name", ["svr", "gp"])
def test_minmax_learners_store_counts_and_round_trip(name, ace, tmp_path, monkeypatch):
    train, test = ace
    est = MolPropertyRegressor(model=name, kernel="minmax").fit(train["smiles"].tolist(), train["y"].to_numpy())
    assert est.featurizer_.name == "morgan_raw_counts"
    pred = est.predict(test["smiles"].tolist())
    est.save(tmp_path / name)
    cfg = json.loads((tmp_path / name / "model.json").read_text())
    assert cfg["learners"][0]["kernel"] == "minmax" and cfg["params"]["kernel"] == "minmax"
    _no_pickle(monkeypatch)
    np.testing.assert_array_equal(molpred.load(tmp_path / name).predict(test["smiles"].tolist()), pred)
    with pytest.raises(ValueError, match="kernel is a setting of svr and gp"):
        MolPropertyRegressor(model="rf", kernel="minmax").fit(["CCO", "CCN"], [0.0, 1.0])


def test_multi_kernel_is_the_mean_of_the_block_minmax_kernels():
    from molpred.learners.kernel import minmax_kernel, multi_kernel, self_similarity

    rng = np.random.default_rng(1)
    a, b = rng.integers(0, 4, (7, 30)), rng.integers(0, 4, (5, 30))
    a[0, 20:] = 0  # an empty third block (a molecule without torsions)
    blocks = [slice(0, 10), slice(10, 20), slice(20, 30)]
    ref = sum(minmax_kernel(a[:, k], b[:, k]) for k in blocks) / 3
    np.testing.assert_allclose(multi_kernel(a, b), ref, rtol=1e-12)
    np.testing.assert_allclose(self_similarity("multi", a), np.diag(multi_kernel(a, a)), rtol=1e-12)
    assert self_similarity("multi", a)[0] == pytest.approx(2 / 3)
    with pytest.raises(ValueError, match="3 equal blocks"):
        multi_kernel(a[:, :29], b[:, :29])
    from molpred.featurize.fingerprint import MultiCountsFeaturizer

    with pytest.raises(ValueError, match="radius 2"):  # its Morgan block is ECFP4 whatever a spec says
        MultiCountsFeaturizer(radius=3)


@pytest.mark.parametrize("name", ["svr", "gp"])
def test_multi_kernel_learners_read_three_count_blocks_and_round_trip(name, ace, tmp_path, monkeypatch):
    from molpred.chem.fingerprints import count_fingerprints
    from molpred.chem.standardize import to_mol

    train, test = ace
    smiles = train["smiles"].tolist()
    est = MolPropertyRegressor(model=name, kernel="multi").fit(smiles, train["y"].to_numpy())
    assert est.featurizer_.name == "multi_raw_counts" and est.featurizer_.d_atom == 3 * 2048
    record = est.featurizer_(to_mol(smiles[0]))  # ECFP4 | atom pairs | torsions, 2,048 counts each
    np.testing.assert_array_equal(record.fp[2048:4096], count_fingerprints([to_mol(smiles[0])], "atompair")[0])
    pred = est.predict(test["smiles"].tolist())
    minmax = MolPropertyRegressor(model=name, kernel="minmax").fit(smiles, train["y"].to_numpy())
    assert not np.allclose(pred, minmax.predict(test["smiles"].tolist()))  # the other kinds change the model
    est.save(tmp_path / name)
    cfg = json.loads((tmp_path / name / "model.json").read_text())
    assert cfg["learners"][0]["kernel"] == "multi"
    _no_pickle(monkeypatch)
    np.testing.assert_array_equal(molpred.load(tmp_path / name).predict(test["smiles"].tolist()), pred)


def test_rf_classifier_probabilities_go_through_the_calibrator_fitted_on_x_val(ace):
    """With X_val, calibration fits Platt scaling and conformal sets on calibrated probabilities;
    predict_proba must return those calibrated probabilities (it returned the raw forest's)."""
    from molpred.learners.fitting import learner_outputs

    train, test = ace
    cut = train["y"].median()
    est = MolPropertyClassifier(model="rf").fit(train["smiles"].tolist()[:180], (train["y"] > cut).astype(int)[:180],
                                                X_val=train["smiles"].tolist()[180:],
                                                y_val=(train["y"] > cut).astype(int)[180:])
    assert est.prob_calibrator_ is not None
    fs = est._predict_raw(test["smiles"].tolist())[0]
    raw, _ = learner_outputs(est, fs.data, calibrated=False)
    np.testing.assert_allclose(est.predict_proba(test["smiles"].tolist())[:, 1],
                               est.prob_calibrator_.transform(raw)[:, 0])
    assert not np.allclose(raw[:, 0], est.predict_proba(test["smiles"].tolist())[:, 1])
