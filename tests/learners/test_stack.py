"""``model="auto"``: the cross-validated stack, trained on a real MoleculeACE target.

Checks what the stack promises: it predicts like a normal molpred model (one row per input,
status/error, std, intervals, domain), survives save/load with identical predictions and no
pickle, its weights are non-negative and sum to 1, and neither test rows nor calibration
rows ever reach the stacking fit.
"""

from __future__ import annotations

import itertools
import json
import pickle
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

import molpred
from molpred import MolPropertyClassifier, MolPropertyRegressor
from molpred.exceptions import ModelFileError, NotFittedError
from molpred.learners.stack_members import parse_member
from molpred.learners.stack_weights import simplex_least_squares

ROOT = Path(__file__).resolve().parents[2]
TARGET = ROOT / "datasets" / "moleculeace" / "CHEMBL2835_Ki.csv"  # 616 molecules, the smallest shipped


@pytest.fixture(scope="module")
def ace():
    df = pd.read_csv(TARGET)
    train, test = df[df["split"] == "train"], df[df["split"] == "test"]
    return train.iloc[:250], test.iloc[:60]


@pytest.fixture(scope="module")
def stack(ace):
    train, _ = ace
    return MolPropertyRegressor(model="auto", epochs=5, seed=0).fit(train["smiles"].tolist(),
                                                                     train["y"].rename("pKi"))


def _rmse(a, b) -> float:
    return float(np.sqrt(np.mean((np.asarray(a) - np.asarray(b)) ** 2)))


def test_stack_predicts_held_out_molecules_and_reports_its_choice(stack, ace):
    train, test = ace
    pred = stack.predict(test["smiles"].tolist())
    assert _rmse(pred, test["y"]) < 0.8 * _rmse(train["y"].mean(), test["y"])
    w = stack.stack_weights_
    assert w.shape == (len(stack.members_), 1) and (w >= 0).all() and np.allclose(w.sum(axis=0), 1.0)
    cands = stack.cv_scores_["candidates"]
    assert list(cands) == ["gp-minmax", "svr-minmax", "mlp"]
    assert stack.stack_members_ == [n for n in cands if cands[n]["weight"][0] > 0]
    assert [m.model for m in stack.members_] == [parse_member(n).model for n in stack.stack_members_]
    # the stack's CV error is no worse than its best candidate's (the simplex contains every vertex)
    assert stack.cv_scores_["stack_cv_rmse"][0] <= min(c["cv_rmse"][0] for c in cands.values()) + 1e-9
    # the calibration molecules were held out of everything
    assert stack.train_summary_["n_calibration"] == len(stack.fit_positions_["calibration"]) > 0
    assert not set(stack.fit_positions_["calibration"]) & set(stack.fit_positions_["train"])


def _no_pickle(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("loading a model must not unpickle anything")

    for name in ("load", "loads", "Unpickler"):
        monkeypatch.setattr(pickle, name, refuse)
    import torch

    monkeypatch.setattr(torch, "load", refuse)


def test_save_load_gives_identical_predictions_without_pickle(stack, ace, tmp_path, monkeypatch):
    smiles = ["not a smiles", *ace[1]["smiles"].tolist(), ""]
    before = stack.predict_frame(smiles)
    stack.save(tmp_path / "auto")
    config = json.loads((tmp_path / "auto" / "model.json").read_text())
    assert config["model_spec"]["arch"] == "auto" and config["params"]["model"] == "auto"
    assert [m["dir"] for m in config["stack"]["members"]] == [
        f"members/{i}-{n}" for i, n in enumerate(stack.stack_members_)]
    _no_pickle(monkeypatch)
    loaded = molpred.load(tmp_path / "auto")
    after = loaded.predict_frame(smiles)
    pd.testing.assert_frame_equal(before, after, check_exact=True)
    assert after["status"].tolist()[0] == "invalid_smiles" and after["status"].tolist()[-1] == "empty"
    for col in ("pKi_std", "pKi_lo", "pKi_hi", "max_sim_train", "in_domain"):
        assert after[col].iloc[1:-1].notna().all(), col
    assert (after["pKi_lo"] < after["pKi"]).iloc[1:-1].all() and (after["pKi"] < after["pKi_hi"]).iloc[1:-1].all()
    np.testing.assert_array_equal(loaded.stack_weights_, stack.stack_weights_)
    # each member is a molpred model of its own
    member = molpred.load(tmp_path / "auto" / config["stack"]["members"][0]["dir"])
    assert member.model == parse_member(stack.stack_members_[0]).model


def test_loading_refuses_altered_stack_files(stack, tmp_path):
    stack.save(tmp_path / "good")

    def altered(name, edit):
        d = tmp_path / name
        shutil.copytree(tmp_path / "good", d)
        edit(d)
        return d

    def member_json(d):
        p = d / "members" / f"0-{stack.stack_members_[0]}" / "model.json"
        p.write_text(p.read_text().replace('"created"', '"created" ', 1))

    def stack_json(d, change):
        cfg = json.loads((d / "model.json").read_text())
        change(cfg["stack"])
        (d / "model.json").write_text(json.dumps(cfg))

    def negative(s):
        s["weights"][0][0] = -0.5

    def escape(s):
        s["members"][0]["dir"] = "../../elsewhere"

    with pytest.raises(ModelFileError, match="checksum"):
        molpred.load(altered("member", member_json))
    with pytest.raises(ModelFileError, match="non-negative"):
        molpred.load(altered("weights", lambda d: stack_json(d, negative)))
    with pytest.raises(ModelFileError, match="should live in"):
        molpred.load(altered("escape", lambda d: stack_json(d, escape)))
    with pytest.raises(ModelFileError, match="missing"):
        molpred.load(altered("gone", lambda d: shutil.rmtree(d / "members")))


def test_calibration_and_test_labels_never_reach_the_stacking_fit(ace, monkeypatch):
    """Poison every label the stack must not learn from; spy on what each member is fitted on."""
    from molpred.learners.kernel import TanimotoGP, TanimotoSVR

    train, test = ace
    smiles = [*train["smiles"], *test["smiles"]]
    y = np.concatenate([train["y"], test["y"]])
    n_train = len(train)
    params = dict(model="auto", members=("gp-minmax", "svr-minmax", "mlp"), epochs=3, seed=0)
    clean = MolPropertyRegressor(**params).fit(smiles[:n_train], y[:n_train])
    cal = clean.fit_positions_["calibration"]
    poisoned = y.copy()
    poisoned[cal] = 1000.0 + np.arange(len(cal))  # calibration rows: unique sentinels
    poisoned[n_train:] = 2000.0  # test rows (never given to fit; here they sit in the same array)

    seen: list[np.ndarray] = []
    for cls in (TanimotoGP, TanimotoSVR):
        original = cls.fit

        def spy(self, X, yy, gram=None, _original=original):
            seen.append(np.asarray(yy))
            return _original(self, X, yy, gram=gram)

        monkeypatch.setattr(cls, "fit", spy)
    original_fit = MolPropertyRegressor.fit

    def spy_fit(self, X, yy=None, **kw):
        if self.model != "auto":
            seen.append(np.asarray(yy, dtype=float).ravel())
        return original_fit(self, X, yy, **kw)

    monkeypatch.setattr(MolPropertyRegressor, "fit", spy_fit)
    dirty = MolPropertyRegressor(**params).fit(smiles[:n_train], poisoned[:n_train])
    assert len(seen) > 10  # 5 folds x (gp, svr, mlp) + refits
    assert max(float(np.nanmax(s)) for s in seen) < 1000.0
    np.testing.assert_array_equal(dirty.stack_weights_, clean.stack_weights_)
    assert dirty.cv_scores_ == clean.cv_scores_
    test_smiles = test["smiles"].tolist()
    np.testing.assert_array_equal(dirty.predict(test_smiles), clean.predict(test_smiles))
    # the poison did reach what calibration is for: the intervals
    assert not np.allclose(dirty.predict_frame(test_smiles)["y_hi"], clean.predict_frame(test_smiles)["y_hi"])


def test_simplex_least_squares_is_exact():
    rng = np.random.default_rng(0)
    a, b, c = rng.normal(size=(3, 200))
    np.testing.assert_allclose(simplex_least_squares(np.column_stack([a, b, c]), 0.3 * a + 0.7 * c),
                               [0.3, 0.0, 0.7], atol=1e-9)
    np.testing.assert_allclose(simplex_least_squares(np.column_stack([a, b]), b), [0.0, 1.0], atol=1e-9)
    # against a fine grid over the simplex, on noisy data whose best unconstrained fit is outside it
    P = rng.normal(size=(100, 3)) + rng.normal(size=(100, 1))
    y = P @ np.array([1.4, -0.2, 0.1]) + rng.normal(0, 0.3, 100)
    w = simplex_least_squares(P, y)
    assert (w >= 0).all() and np.isclose(w.sum(), 1.0)
    best = min(np.sum((P @ np.array([i, j, 1 - i - j]) - y) ** 2)
               for i, j in itertools.product(np.linspace(0, 1, 201), repeat=2) if i + j <= 1)
    assert np.sum((P @ w - y) ** 2) <= best + 1e-9


def test_parameters_clone_and_refusals():
    est = MolPropertyRegressor(model="auto", members=("gp", "rf"), cv_folds=3, seed=4)
    twin = clone(est)
    assert twin.get_params() == est.get_params() and twin.get_params()["members"] == ("gp", "rf")
    with pytest.raises(NotFittedError):
        twin.predict(["CCO"])
    assert parse_member("gp").name == "gp-tanimoto" and parse_member("SVR-minmax").name == "svr-minmax"
    assert parse_member("gp-multi").featurizer == "multi_raw_counts"
    with pytest.raises(ValueError, match="did you mean 'gp-minmax'"):
        MolPropertyRegressor(model="auto", members=("gp-minmx",)).fit(["CCO"] * 12, np.arange(12.0))
    with pytest.raises(ValueError, match="do regression only"):
        MolPropertyClassifier(model="auto", members=("gp-minmax", "rf")).fit(["CCO", "CCN"], [0, 1])
    with pytest.raises(ValueError, match="uncertainty"):
        MolPropertyRegressor(model="auto", uncertainty="ensemble", ensemble=2).fit(["CCO", "CCN"], [0.0, 1.0])
    with pytest.raises(ValueError, match="at least 10 labelled"):
        MolPropertyRegressor(model="auto", members=("gp-minmax",)).fit(["C" * i for i in range(1, 8)],
                                                                       np.arange(7.0))
    assert "auto" in molpred.estimators.list_models()


def test_explain_needs_network_members(stack, ace):
    from molpred.explain import atom_attributions

    with pytest.raises(ValueError, match="kernel/tree learners"):
        atom_attributions(stack, ace[1]["smiles"].tolist()[:2])
    train, test = ace
    nets = MolPropertyRegressor(model="auto", members=("mlp",), epochs=3).fit(train["smiles"].tolist(),
                                                                              train["y"].to_numpy())
    expl = atom_attributions(nets, [test["smiles"].iloc[0], "not a smiles"], n_steps=16)
    assert expl[0].status == "ok" and expl[1].status == "invalid_smiles"
    assert len(expl[0].weights) == expl[0].mol.GetNumAtoms()
    np.testing.assert_allclose(expl[0].prediction, nets.predict([test["smiles"].iloc[0]])[0], rtol=1e-5)


def test_cli_trains_and_predicts_with_model_auto(ace, tmp_path, capsys):
    from molpred.cli.main import main

    train, _ = ace
    data = tmp_path / "small.csv"
    train[["smiles", "y"]].to_csv(data, index=False)
    out = tmp_path / "model"
    assert main(["train", "--data", str(data), "--target", "y", "--model", "auto", "--members",
                 "gp-minmax,svr-minmax", "--split", "random", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "stack (5-fold CV" in printed and "gp-minmax" in printed
    assert (out / "members").is_dir() and json.loads((out / "model.json").read_text())["stack"]["members"]
    assert main(["predict", str(out), str(data), "--out", str(tmp_path / "pred.csv")]) == 0
    pred = pd.read_csv(tmp_path / "pred.csv")
    assert len(pred) == len(train) and (pred["status"] == "ok").all() and pred["pred_y"].notna().all()


def test_screen_scores_a_stack_like_predict_frame(stack, ace, tmp_path):
    from molpred.screen.api import screen

    lib = tmp_path / "lib.csv"
    smiles = [*ace[1]["smiles"].iloc[:15], "not a smiles"]
    pd.DataFrame({"smiles": smiles}).to_csv(lib, index=False)
    screen(stack, lib, tmp_path / "screen", top_k=5)  # an in-memory model
    shards = pd.concat([pd.read_parquet(p) for p in sorted((tmp_path / "screen" / "shards").glob("*.parquet"))])
    shards = shards.sort_values("row").reset_index(drop=True)
    frame = stack.predict_frame(smiles)
    assert shards["status"].tolist() == frame["status"].tolist()
    for col in ("pKi", "pKi_std", "pKi_lo", "pKi_hi"):
        np.testing.assert_allclose(shards[col].to_numpy(float), frame[col].to_numpy(float), rtol=1e-9, equal_nan=True)


def test_classifier_stack_of_forest_and_mlp(ace, tmp_path):
    from sklearn.metrics import roc_auc_score

    train, test = ace
    cut = train["y"].median()
    est = MolPropertyClassifier(model="auto", epochs=5, seed=0).fit(train["smiles"].tolist(),
                                                                    (train["y"] > cut).astype(int).rename("active"))
    assert list(est.cv_scores_["candidates"]) == ["rf", "mlp"]
    w = est.stack_weights_
    assert (w >= 0).all() and np.allclose(w.sum(axis=0), 1.0)
    proba = est.predict_proba(test["smiles"].tolist())
    assert proba.shape == (len(test), 2) and np.allclose(proba.sum(axis=1), 1.0)
    assert roc_auc_score(test["y"] > cut, proba[:, 1]) > 0.8
    assert est.prob_calibrator_ is not None  # the stacked probability is recalibrated on held-out molecules
    frame = est.predict_frame(test["smiles"].tolist())
    assert frame["active_set"].isin(["{0}", "{1}", "{0,1}", "{}"]).all()
    est.save(tmp_path / "cls")
    np.testing.assert_array_equal(molpred.load(tmp_path / "cls").predict_proba(test["smiles"].tolist()), proba)


def test_a_graph_network_member_predicts_as_it_does_alone(ace, tmp_path):
    train, test = ace
    est = MolPropertyRegressor(model="auto", members=("gine",), epochs=2, hidden_size=32, cv_folds=2, seed=0).fit(
        train["smiles"].tolist()[:120], train["y"].to_numpy()[:120])
    assert est.stack_members_ == ["gine"] and [p["name"] for p in est.featurizer_.spec()["parts"]] == ["molgraph"]
    smiles = test["smiles"].tolist()
    pred = est.predict(smiles)
    np.testing.assert_array_equal(pred, est.members_[0].predict(smiles))
    est.save(tmp_path / "gine")
    np.testing.assert_array_equal(molpred.load(tmp_path / "gine").predict(smiles), pred)
