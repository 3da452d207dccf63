"""Fine-tuning from a pretrained encoder or a model directory: validation, freezing, save/load."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest
import torch
from safetensors.torch import load_file

import molpred
from molpred import MolPropertyRegressor
from molpred.exceptions import ModelFileError
from tests.conftest import ESOL_TARGET

SMALL = dict(epochs=2, batch_size=32, applicability_domain=False, val_fraction=0.0, seed=0)


@pytest.fixture(scope="module")
def esol_small(esol):
    sub = esol.iloc[:96]
    return sub["smiles"].tolist(), sub[ESOL_TARGET].to_numpy()


def _encoder_state(est) -> dict:
    net = est.members_[0]
    return {f"{p}.{k}": v for p in ("encoder", "readout") for k, v in getattr(net, p).state_dict().items()}


def test_pretrained_encoder_is_loaded_and_sizes_come_from_the_bundle(tiny_encoder, esol_small):
    est = MolPropertyRegressor(pretrained=str(tiny_encoder), freeze_encoder=True, **SMALL).fit(*esol_small)
    assert est.spec_.hidden == 32  # hidden_size=None takes the bundle's width
    bundle = load_file(str(tiny_encoder / "encoder.safetensors"))
    state = _encoder_state(est)
    assert state.keys() == bundle.keys()
    for k in bundle:  # frozen for every epoch: exactly the pretrained weights
        assert torch.equal(state[k], bundle[k]), k
    assert est.train_summary_["encoder_start"]["sha256"] == json.loads(
        (tiny_encoder / "encoder.json").read_text())["weights"]["sha256"]


def test_freeze_for_some_epochs_then_unfreeze(tiny_encoder, esol_small):
    bundle = load_file(str(tiny_encoder / "encoder.safetensors"))
    est = MolPropertyRegressor(pretrained=str(tiny_encoder), freeze_encoder=1, **SMALL).fit(*esol_small)
    changed = [k for k, v in _encoder_state(est).items() if not torch.equal(v, bundle[k])]
    assert changed, "the encoder should train after the frozen epoch"
    scratch = MolPropertyRegressor(hidden_size=32, **SMALL).fit(*esol_small)
    assert not torch.equal(_encoder_state(scratch)["encoder.W_i.weight"], bundle["encoder.W_i.weight"])


def test_fine_tuned_model_saves_loads_and_predicts_identically(tiny_encoder, esol_small, tmp_path):
    smiles, y = esol_small
    est = MolPropertyRegressor(pretrained=str(tiny_encoder), freeze_encoder=1, encoder_lr_ratio=0.5,
                               **SMALL).fit(smiles, y)
    est.save(tmp_path / "m")
    params = json.loads((tmp_path / "m" / "model.json").read_text())["params"]
    assert params["pretrained"] == str(tiny_encoder) and params["freeze_encoder"] == 1
    assert params["encoder_lr_ratio"] == 0.5
    loaded = molpred.load(tmp_path / "m")
    query = smiles[:20] + ["not a smiles"]
    np.testing.assert_array_equal(est.predict(query), loaded.predict(query))
    assert np.isnan(loaded.predict(query)[-1])


@pytest.mark.parametrize("kwargs, message", [
    (dict(model="gine"), "pretrained as 'dmpnn'"),
    (dict(hidden_size=64), "hidden=32"),
])
def test_incompatible_encoder_is_refused(tiny_encoder, esol_small, kwargs, message):
    with pytest.raises(ModelFileError, match=message):
        MolPropertyRegressor(pretrained=str(tiny_encoder), **{**SMALL, **kwargs}).fit(*esol_small)


def test_other_featurizer_unknown_name_and_tampered_weights_are_refused(tiny_encoder, esol_small, tmp_path):
    bad = tmp_path / "bad"
    shutil.copytree(tiny_encoder, bad, ignore=shutil.ignore_patterns("cache", "checkpoints"))
    cfg = json.loads((bad / "encoder.json").read_text())
    cfg["featurizer"]["version"] = 99
    (bad / "encoder.json").write_text(json.dumps(cfg))
    with pytest.raises(ModelFileError, match="featurizer"):
        MolPropertyRegressor(pretrained=str(bad), **SMALL).fit(*esol_small)
    with pytest.raises(ValueError, match="did you mean 'molpred-base'"):
        MolPropertyRegressor(pretrained="molpred-bse", **SMALL).fit(*esol_small)
    cfg["featurizer"]["version"] = json.loads((tiny_encoder / "encoder.json").read_text())["featurizer"]["version"]
    (bad / "encoder.json").write_text(json.dumps(cfg))
    with open(bad / "encoder.safetensors", "r+b") as fh:
        fh.seek(-8, 2)
        fh.write(b"\x00" * 8)
    with pytest.raises(ModelFileError, match="checksum"):
        MolPropertyRegressor(pretrained=str(bad), **SMALL).fit(*esol_small)


def test_init_from_another_model_directory(esol_small, tmp_path):
    smiles, y = esol_small
    source = MolPropertyRegressor(hidden_size=32, **SMALL).fit(smiles, y)
    source.save(tmp_path / "source")
    est = MolPropertyRegressor(init_from=str(tmp_path / "source"), freeze_encoder=True, **SMALL).fit(smiles, -y)
    for k, v in _encoder_state(source).items():
        assert torch.equal(_encoder_state(est)[k], v), k
    with pytest.raises(ModelFileError, match="init_from model is 'dmpnn'"):
        MolPropertyRegressor(model="gine", init_from=str(tmp_path / "source"), **SMALL).fit(smiles, y)
    with pytest.raises(ValueError, match="not both"):
        MolPropertyRegressor(init_from=str(tmp_path / "source"), pretrained="molpred-base", **SMALL).fit(smiles, y)


def test_cli_train_with_pretrained_and_frozen_encoder(tiny_encoder, esol, tmp_path):
    from molpred.cli.main import main

    data = tmp_path / "esol.csv"
    esol.iloc[:120][["smiles", ESOL_TARGET]].rename(columns={ESOL_TARGET: "logS"}).to_csv(data, index=False)
    rc = main(["train", "--data", str(data), "--target", "logS", "--split", "random", "--out", str(tmp_path / "m"),
               "--epochs", "2", "--pretrained", str(tiny_encoder), "--freeze-encoder", "--no-domain"])
    assert rc == 0
    params = json.loads((tmp_path / "m" / "model.json").read_text())["params"]
    assert params["pretrained"] == str(tiny_encoder) and params["freeze_encoder"] is True
    pred = molpred.load(tmp_path / "m").predict_frame(pd.Series(["CCO", "xx"]))
    assert pred["status"].tolist() == ["ok", "invalid_smiles"]


# ---------------------------------------------------------------- pretrained="auto" (the default)
def test_auto_fine_tunes_molpred_base_on_a_small_set(esol_small):
    from molpred.pretrain.bundle import resolve_pretrained

    # default pretrained="auto", model="dmpnn"; frozen, so the encoder must be the shipped one exactly
    est = MolPropertyRegressor(freeze_encoder=True, **SMALL).fit(*esol_small)
    assert est.train_summary_["encoder_start"]["pretrained"] == "molpred-base"
    assert "auto fine-tunes up to 5000" in est.train_summary_["encoder_start_reason"]
    shipped = load_file(str(resolve_pretrained("molpred-base") / "encoder.safetensors"))
    state = _encoder_state(est)
    assert shipped.keys() == state.keys()
    for k, v in shipped.items():
        assert torch.equal(state[k], v), k
    scratch = MolPropertyRegressor(pretrained=None, **SMALL).fit(*esol_small)
    assert scratch.train_summary_["encoder_start"] is None
    assert scratch.train_summary_["encoder_start_reason"] == "pretrained=None"


@pytest.mark.parametrize("kwargs, reason", [
    (dict(hidden_size=32), "hidden_size=32 differs"),
    (dict(model="gine"), "no shipped encoder for model 'gine'"),
    (dict(model="mlp"), "no shipped encoder for model 'mlp'"),
])
def test_auto_starts_from_scratch_when_the_bundle_does_not_fit(esol_small, kwargs, reason):
    est = MolPropertyRegressor(**{**SMALL, **kwargs}).fit(*esol_small)
    assert est.train_summary_["encoder_start"] is None
    assert reason in est.train_summary_["encoder_start_reason"]


def test_auto_starts_from_scratch_on_a_large_set():
    from molpred.featurize.registry import get_featurizer
    from molpred.pretrain.finetune import AUTO_MAX_MOLECULES, choose_start

    feat = get_featurizer("molgraph")
    est = MolPropertyRegressor()
    assert choose_start(est, feat, AUTO_MAX_MOLECULES)[0] == "molpred-base"
    chosen, reason = choose_start(est, feat, AUTO_MAX_MOLECULES + 1)
    assert chosen is None and f"{AUTO_MAX_MOLECULES + 1} training molecules" in reason
    assert choose_start(MolPropertyRegressor(init_from="somewhere"), feat, 100) == (None, "init_from given")


def test_cli_pretrained_none_trains_from_scratch(esol, tmp_path):
    from molpred.cli.main import main

    data = tmp_path / "esol.csv"
    esol.iloc[:120][["smiles", ESOL_TARGET]].rename(columns={ESOL_TARGET: "logS"}).to_csv(data, index=False)
    for flag, expected in (("none", None), ("auto", "molpred-base")):
        out = tmp_path / flag
        assert main(["train", "--data", str(data), "--target", "logS", "--split", "random", "--out", str(out),
                     "--epochs", "1", "--pretrained", flag, "--no-domain"]) == 0
        start = json.loads((out / "model.json").read_text())["train_summary"]["encoder_start"]
        assert (start or {}).get("pretrained") == expected
