"""Graph networks with molecule-level features, trained for real on ESOL: files, rows, screening, explain, CLI."""

from __future__ import annotations

import json

import numpy as np
import pytest

import molpred
from molpred import MolPropertyClassifier, MolPropertyRegressor
from molpred.exceptions import ModelFileError
from tests.conftest import ESOL_TARGET

FEATURES = ["morgan_count", "rdkit2d"]
QUERY = ["CCO", "c1ccccc1O", "not a smiles", "", "CC(=O)Nc1ccc(O)cc1", "[H][H]", "CC(=O)[O-].[Na+]"]
SMALL = {"hidden_size": 32, "ffn_hidden_size": 32, "epochs": 4, "seed": 0, "device": "cpu"}


@pytest.fixture(scope="module")
def esol_small(esol):
    sub = esol.iloc[:160]
    return sub["smiles"].tolist(), sub[ESOL_TARGET].rename("logS")


@pytest.fixture(scope="module")
def featured(esol_small):
    smiles, y = esol_small
    return MolPropertyRegressor(model="dmpnn", features=FEATURES, **SMALL).fit(smiles, y)


def test_trains_and_records_the_features(featured, esol_small):
    from molpred.chem.standardize import to_mol

    summary = featured.train_summary_["molecule_features"]
    assert summary["names"] == FEATURES and summary["d_mol"] == 2048 + 202
    assert featured.spec_.d_mol == 2250 and featured.featurizer_.d_mol == 2250
    stats = featured.members_[0].mol_features
    # statistics come from the training molecules only: the descriptors' medians; log1p counts untouched
    names = list(featured.featurizer_.features.blocks[1].names)
    mw = 2048 + names.index("MolWt")
    smiles = np.asarray(esol_small[0], dtype=object)
    train = [featured.featurizer_.features(to_mol(s, featured.std_config_)) for s in smiles[featured.fit_positions_["train"]]]
    everything = [featured.featurizer_.features(to_mol(s, featured.std_config_)) for s in smiles]
    assert float(stats.center[mw]) == pytest.approx(np.median([v[mw] for v in train]), rel=1e-6)
    from molpred.data.scaler import fit_robust_scaling

    mask = featured.featurizer_.features.scaled_mask
    np.testing.assert_allclose(stats.scale.numpy(), fit_robust_scaling(np.stack(train), mask)["scale"], rtol=1e-6)
    assert not np.allclose(stats.scale.numpy(), fit_robust_scaling(np.stack(everything), mask)["scale"])
    assert float(stats.center[:2048].abs().max()) == 0.0 and float(stats.scale[:2048].min()) == 1.0


def test_save_load_identical_and_spec_in_model_json(featured, tmp_path):
    featured.save(tmp_path / "m")
    cfg = json.loads((tmp_path / "m" / "model.json").read_text())
    assert cfg["params"]["features"] == FEATURES
    mf = cfg["featurizer"]["molecule_features"]
    assert mf["names"] == FEATURES and mf["d_mol"] == 2250 and len(mf["blocks"][1]["names"]) == 202
    assert cfg["model_spec"]["d_mol"] == 2250
    loaded = molpred.load(tmp_path / "m")
    a, b = featured.predict_frame(QUERY), loaded.predict_frame(QUERY)
    assert a["status"].tolist() == b["status"].tolist()
    np.testing.assert_allclose(a["logS"].to_numpy(float), b["logS"].to_numpy(float), rtol=0, atol=1e-6)
    # the saved feature settings are checked on load
    cfg["featurizer"]["molecule_features"]["d_mol"] = 99
    (tmp_path / "m" / "model.json").write_text(json.dumps(cfg))
    with pytest.raises(ModelFileError, match="molecule features have width"):
        molpred.load(tmp_path / "m")


def test_bad_rows_keep_their_row_and_status(featured):
    frame = featured.predict_frame(QUERY)
    assert len(frame) == len(QUERY) and frame["smiles"].tolist() == QUERY
    assert frame["status"].tolist() == ["ok", "ok", "invalid_smiles", "empty", "ok", "unsupported", "ok"]
    ok = frame["status"] == "ok"
    assert frame.loc[ok, "logS"].notna().all() and frame.loc[~ok, "logS"].isna().all()


def test_features_change_the_model_and_descriptor_failures_are_imputed(featured, esol_small):
    smiles, y = esol_small
    plain = MolPropertyRegressor(model="dmpnn", **SMALL).fit(smiles, y)
    assert plain.spec_.d_mol == 0 and "molecule_features" not in plain.featurizer_.spec()
    assert not np.allclose(plain.predict(QUERY[:2]), featured.predict(QUERY[:2]))
    # a molecule whose descriptors all fail still gets a prediction (NaN -> training median)
    data = [featured.featurizer_(molpred.chem.standardize.to_mol("c1ccccc1O", featured.std_config_)).to_pyg()]
    from molpred.predict import member_outputs

    data[0].mol_x[0, 2048:] = float("nan")
    mean, _ = member_outputs(featured, data)
    assert np.isfinite(mean).all()


def test_unknown_feature_name_is_a_precise_error(esol_small):
    smiles, y = esol_small
    with pytest.raises(ValueError, match=r"unknown molecule feature 'morgan_counts'; did you mean 'morgan_count'\?"):
        MolPropertyRegressor(features=["morgan_counts"]).fit(smiles[:20], y[:20])
    with pytest.raises(ValueError, match="takes no molecule features"):
        MolPropertyRegressor(model="rf", features=["rdkit2d"]).fit(smiles[:20], y[:20])


def test_ensemble_dropout_classifier_and_mlp_variant(esol_small, tmp_path):
    from sklearn.base import clone

    smiles, y = esol_small
    ens = MolPropertyRegressor(model="gine", features=["rdkit2d"], ensemble=2, uncertainty="ensemble", **SMALL)
    assert clone(ens).get_params()["features"] == ["rdkit2d"]
    ens.fit(smiles, y)
    mean, std = ens.predict(QUERY, return_std=True)
    assert np.isfinite(mean[[0, 1, 4]]).all() and (std[[0, 1, 4]] > 0).all()
    mc = MolPropertyRegressor(model="attentivefp", features=["rdkit2d"], uncertainty="dropout", mc_samples=4,
                              **SMALL).fit(smiles, y)
    assert np.isfinite(mc.predict(QUERY[:2], return_std=True)[1]).all()
    labels = (y > y.median()).astype(int)
    clf = MolPropertyClassifier(model="dmpnn", features=["rdkit2d"], **SMALL).fit(smiles, labels)
    p = clf.predict_proba(QUERY)
    assert np.isfinite(p[[0, 1, 4]]).all() and np.isnan(p[2]).all()
    mlp = MolPropertyRegressor(model="mlp", features=["rdkit2d"], **SMALL).fit(smiles, y)
    assert mlp.spec_.d_mol == 202
    mlp.save(tmp_path / "mlp")
    np.testing.assert_allclose(molpred.load(tmp_path / "mlp").predict(QUERY), mlp.predict(QUERY), atol=1e-6)
    with pytest.raises(ValueError, match="already reads Morgan counts"):
        MolPropertyRegressor(model="mlp", features=["morgan_count"]).fit(smiles[:20], y[:20])


def test_screen_gives_predict_frame_numbers(featured, esol, tmp_path):
    from molpred.screen import load_results, screen

    lib = tmp_path / "lib.smi"
    library = QUERY + esol["smiles"].iloc[300:340].tolist()
    lib.write_text("".join(f"{s}\n" for s in library))
    featured.save(tmp_path / "m")
    screen(tmp_path / "m", lib, tmp_path / "out", workers=0, chunk_size=16, progress=False, image=False,
           top_k=5, rank="raw")
    res = load_results(tmp_path / "out")
    ref = featured.predict_frame(library)
    assert res["status"].tolist() == ref["status"].tolist()
    ok = (ref["status"] == "ok").to_numpy()
    np.testing.assert_allclose(res.loc[ok, "logS"].to_numpy(float), ref.loc[ok, "logS"].to_numpy(float),
                               rtol=1e-5, atol=1e-5)
    # bf16 batches are padded with a filler graph: its features must not shift the real rows
    screen(tmp_path / "m", lib, tmp_path / "bf16", workers=0, chunk_size=16, progress=False, image=False,
           top_k=5, rank="raw", precision="bf16")
    bf = load_results(tmp_path / "bf16")
    assert np.abs(bf.loc[ok, "logS"].to_numpy(float) - ref.loc[ok, "logS"].to_numpy(float)).max() < 0.2


def test_explain_attributes_atoms_with_features_held_fixed(featured):
    from molpred.explain import atom_attributions

    expl = atom_attributions(featured, ["c1ccccc1O", "bad"], n_steps=32)
    assert expl[0].ok and expl[0].weights.shape == (7,) and abs(expl[0].completeness_gap) < 0.05
    assert expl[1].status == "invalid_smiles"
    assert expl[0].prediction == pytest.approx(float(featured.predict(["c1ccccc1O"])[0]), abs=1e-5)


def test_cli_train_with_features(esol, tmp_path, capsys):
    from molpred.cli.main import main

    data = tmp_path / "esol.csv"
    esol.iloc[:120][["smiles", ESOL_TARGET]].rename(columns={ESOL_TARGET: "logS"}).to_csv(data, index=False)
    code = main(["train", "--data", str(data), "--target", "logS", "--split", "random", "--epochs", "2",
                 "--hidden-size", "16", "--features", "morgan_count", "rdkit2d", "--out", str(tmp_path / "m")])
    assert code == 0
    cfg = json.loads((tmp_path / "m" / "model.json").read_text())
    assert cfg["featurizer"]["molecule_features"]["names"] == FEATURES
    assert main(["list", "features"]) == 0
    assert capsys.readouterr().out.strip().splitlines()[-2:] == ["morgan_count", "rdkit2d"]
    assert main(["train", "--data", str(data), "--target", "logS", "--features", "rdkit3d",
                 "--out", str(tmp_path / "x")]) == 2
    assert "did you mean 'rdkit2d'" in capsys.readouterr().err
