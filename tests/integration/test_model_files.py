"""Model directories: identical predictions after a round trip; broken files fail cleanly."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest

import molpred
from molpred.exceptions import ModelFileError

QUERY = ["CCO", "c1ccccc1O", "bad smiles", "CC(=O)Nc1ccc(O)cc1"]


@pytest.fixture(scope="module")
def saved(small_regressor, tmp_path_factory):
    path = tmp_path_factory.mktemp("m") / "model"
    small_regressor.save(path)
    return path


def test_round_trip_gives_identical_predictions(small_regressor, saved):
    loaded = molpred.load(saved)
    pd.testing.assert_frame_equal(small_regressor.predict_frame(QUERY), loaded.predict_frame(QUERY))
    assert loaded.get_params() == small_regressor.get_params()
    files = sorted(p.name for p in saved.iterdir())
    assert files == ["model.json", "weights.safetensors"]
    assert b"pickle" not in (saved / "weights.safetensors").read_bytes()[:200]


def _copy(saved, tmp_path):
    dst = tmp_path / "copy"
    shutil.copytree(saved, dst)
    return dst


def test_missing_directory_and_files(saved, tmp_path):
    with pytest.raises(ModelFileError, match="no such model directory"):
        molpred.load(tmp_path / "absent")
    d = _copy(saved, tmp_path)
    (d / "weights.safetensors").unlink()
    with pytest.raises(ModelFileError, match="missing"):
        molpred.load(d)
    with pytest.raises(ModelFileError, match="not a molpred model"):
        molpred.load(tmp_path)


def test_truncated_and_tampered_weights(saved, tmp_path):
    d = _copy(saved, tmp_path)
    w = d / "weights.safetensors"
    data = w.read_bytes()
    w.write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelFileError, match="truncated or tampered"):
        molpred.load(d)
    flipped = bytearray(data)
    flipped[-10] ^= 0xFF
    w.write_bytes(bytes(flipped))
    with pytest.raises(ModelFileError, match="checksum"):
        molpred.load(d)


def test_bad_json_and_versions(saved, tmp_path):
    d = _copy(saved, tmp_path)
    cfg_path = d / "model.json"
    good = json.loads(cfg_path.read_text())
    cfg_path.write_text(cfg_path.read_text()[:100])
    with pytest.raises(ModelFileError, match="not valid JSON"):
        molpred.load(d)
    for change, match in [
        ({"format_version": 99}, "upgrade molpred"),
        ({"featurizer": {**good["featurizer"], "version": 7}}, "featurizer"),
        ({"model_spec": {**good["model_spec"], "hidden": 12}}, "do not fit the architecture"),
        ({"model_spec": {**good["model_spec"], "evil": 1}}, "invalid settings"),
        ({"task": "generation"}, "unknown task"),
        ({"params": "rm -rf /"}, "should be dict"),
    ]:
        cfg_path.write_text(json.dumps({**good, **change}))
        with pytest.raises(ModelFileError, match=match):
            molpred.load(d)
    bad = dict(good)
    del bad["scaler"]
    cfg_path.write_text(json.dumps(bad))
    with pytest.raises(ModelFileError, match="missing field 'scaler'"):
        molpred.load(d)


def test_model_without_domain_has_no_domain_columns(esol, tmp_path):
    sub = esol.iloc[:60]
    est = molpred.MolPropertyRegressor(model="mlp", epochs=2, applicability_domain=False)
    est.fit(sub["smiles"], sub.iloc[:, 8])
    est.save(tmp_path / "m")
    frame = molpred.load(tmp_path / "m").predict_frame(QUERY)
    assert "max_sim_train" not in frame.columns and "in_domain" not in frame.columns
    assert "domain." not in (tmp_path / "m" / "weights.safetensors").read_bytes()[:4000].decode("latin1")
    np.testing.assert_allclose(frame.iloc[:, 2].to_numpy(), est.predict(QUERY))
