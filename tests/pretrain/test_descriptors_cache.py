"""Descriptor pass: one row per input, exclusion of benchmark molecules, shard cache reuse."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from molpred.pretrain.cache import EXCLUDED, build_descriptor_cache, cache_summary, read_shard, shard_paths
from molpred.pretrain.descriptors import EXCLUDED_DESCRIPTORS, compute_descriptors, descriptor_names
from molpred.pretrain.exclusion import build_exclusion
from molpred.pretrain.scaling import DescriptorScaler


def test_descriptor_list_is_fixed_and_skips_slow_or_unstable():
    names = descriptor_names()
    assert len(names) == len(set(names)) > 150
    assert not set(names) & set(EXCLUDED_DESCRIPTORS)
    assert not any(n.startswith("BCUT2D") for n in names) and "Ipc" not in names and "qed" not in names
    from rdkit import Chem
    from rdkit.Chem import Descriptors

    mol = Chem.MolFromSmiles("CC(=O)Nc1ccc(O)cc1")  # paracetamol
    values = compute_descriptors(mol)
    assert values.shape == (len(names),) and np.isfinite(values).all()
    assert values[names.index("MolWt")] == pytest.approx(151.165, abs=1e-3)
    # the cached E-state path gives RDKit's own values
    for n in ("MaxAbsEStateIndex", "MinEStateIndex"):
        assert values[names.index(n)] == pytest.approx(getattr(Descriptors, n)(Chem.MolFromSmiles("CC(=O)Nc1ccc(O)cc1")))


def _library(moses_slice, tmp_path):
    """40 MOSES rows, then a benchmark molecule written differently (salt, other atom order), bad rows."""
    smiles = pd.read_csv(moses_slice)["SMILES"].tolist()[:40]
    rows = smiles + ["Oc1ccc(NC(C)=O)cc1.Cl", "not_a_smiles", "", smiles[3]]
    lib = tmp_path / "lib.csv"
    pd.DataFrame({"smiles": rows}).to_csv(lib, index=False)
    bench = tmp_path / "bench.csv"
    pd.DataFrame({"smiles": ["CC(=O)Nc1ccc(O)cc1", smiles[3], "C1CC1 bad"]}).to_csv(bench, index=False)
    other = tmp_path / "other.csv"
    pd.DataFrame({"SMILES": [smiles[3]]}).to_csv(other, index=False)
    return lib, rows, {"BenchA": [bench], "BenchB": [other]}


def test_descriptor_pass_keeps_every_row_and_excludes_benchmarks(moses_slice, tmp_path):
    lib, rows, sources = _library(moses_slice, tmp_path)
    ex = build_exclusion(sources)
    assert ex.source_molecules == {"BenchA": 2, "BenchB": 1}
    manifest = build_descriptor_cache(lib, tmp_path / "cache", ex, chunk_size=16)
    assert [s["rows"] for s in manifest["shards"]] == [16, 16, 12]
    frame = pd.concat([read_shard(p, ok_only=False) for p in shard_paths(tmp_path / "cache")], ignore_index=True)
    assert frame["row"].tolist() == list(range(len(rows))) and frame["input"].tolist()[:40] == rows[:40]
    status = frame["status"].tolist()
    assert status[40] == EXCLUDED and frame["error"][40] == "in BenchA"  # paracetamol hydrochloride
    assert status[3] == status[43] == EXCLUDED and frame["error"][3] == "in BenchA, BenchB"
    assert status[41] == "invalid_smiles" and status[42] == "empty"
    names = descriptor_names()
    ok = frame["status"] == "ok"
    assert ok.sum() == 39
    values = frame.loc[ok, names].to_numpy()
    assert np.isfinite(values).mean() > 0.99
    assert np.isnan(frame.loc[~ok, names].to_numpy()).all()
    summary = cache_summary(tmp_path / "cache")
    assert summary["rows"] == 44 and summary["usable"] == 39 and summary["excluded"] == 3
    assert summary["excluded_per_source"] == {"BenchA": 3, "BenchB": 2}


def test_cache_is_reused_resumed_and_checked(moses_slice, tmp_path):
    lib, _, _ = _library(moses_slice, tmp_path)
    cache = tmp_path / "cache"
    build_descriptor_cache(lib, cache, None, chunk_size=16, max_molecules=40)
    shards = shard_paths(cache)
    assert len(shards) == 3 and sum(len(read_shard(p, ok_only=False)) for p in shards) == 40
    stamps = [p.stat().st_mtime_ns for p in shards]
    build_descriptor_cache(lib, cache, None, chunk_size=16, max_molecules=40)  # complete: reused as is
    assert [p.stat().st_mtime_ns for p in shards] == stamps
    # an interrupted pass (last shard not recorded) resumes with the missing shard only
    m = json.loads((cache / "manifest.json").read_text())
    m["shards"] = m["shards"][:2]
    (cache / "manifest.json").write_text(json.dumps(m))
    shards[2].unlink()
    build_descriptor_cache(lib, cache, None, chunk_size=16, max_molecules=40)
    assert [p.stat().st_mtime_ns for p in shards[:2]] == stamps[:2] and shards[2].exists()
    # a larger row limit extends the cache: the cut shard is redone, full ones are kept
    build_descriptor_cache(lib, cache, None, chunk_size=16)
    assert [p.stat().st_mtime_ns for p in shards[:2]] == stamps[:2] and len(shard_paths(cache)) == 3
    assert len(read_shard(shards[2], ok_only=False)) == 12 and len(shard_paths(cache, 40)) == 3
    assert len(shard_paths(cache, 32)) == 2
    with pytest.raises(ValueError, match="chunk_size"):
        build_descriptor_cache(lib, cache, None, chunk_size=8, max_molecules=40)


def test_scaler_clips_standardises_and_masks_constant_columns():
    rng = np.random.default_rng(0)
    x = np.column_stack([rng.normal(5, 2, 1000), np.zeros(1000), rng.normal(0, 1, 1000)])
    x[0, 0] = 1e9  # an outlier is clipped, not allowed to set the scale
    x[:10, 2] = np.nan
    s = DescriptorScaler.fit(x, ["a", "const", "b"])
    assert s.active == [True, False, True]
    z = s.transform(x)
    assert z.dtype == np.float32 and np.isnan(z[:, 1]).all() and np.isnan(z[:10, 2]).all()
    assert abs(np.nanmean(z[:, 0])) < 0.05 and 0.9 < np.nanstd(z[:, 0]) < 1.1 and z[0, 0] < 5
    assert DescriptorScaler.from_dict(s.to_dict()) == s


def test_default_sources_find_every_benchmark_or_refuse(tmp_path, monkeypatch):
    from molpred.exceptions import DataFileError
    from molpred.pretrain.exclusion import default_sources

    found = default_sources()
    assert set(found) == {"MoleculeACE", "MoleculeNet", "TDC ADMET", "AqSolDB", "Biogen ADME"}
    assert len(found["MoleculeACE"]) == 30 and all(found.values())
    monkeypatch.setenv("MOLPRED_DATASETS_DIR", str(tmp_path))  # e.g. a wheel without datasets/
    with pytest.raises(DataFileError, match="MoleculeACE"):
        default_sources()
