"""The BRICS library generator: unique, valid, canonical, drug-like and reproducible."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from rdkit import Chem
from rdkit.Chem import Descriptors

import benchmarks.library_gen as lg
from benchmarks.library_gen import (
    FragmentLibrary,
    LibraryConfig,
    LibraryExhaustedError,
    generate_library,
    write_library,
)
from molpred.exceptions import DataFileError

SOURCE = Path(__file__).resolve().parents[2] / "datasets" / "moleculeace" / "CHEMBL204_Ki.csv"


@pytest.fixture(scope="module")
def source_smiles() -> list[str]:
    return pd.read_csv(SOURCE)["smiles"].tolist()[:250]


@pytest.fixture(scope="module")
def fragments(source_smiles) -> FragmentLibrary:
    return FragmentLibrary.from_smiles(source_smiles)


@pytest.fixture(scope="module")
def library(fragments) -> list[str]:
    return list(generate_library(600, seed=0, sources=fragments))


def test_fragment_library_shape(fragments):
    assert len(fragments.fragments) > 50
    smiles = [s for s, _ in fragments.fragments]
    assert smiles == sorted(smiles) and len(set(smiles)) == len(smiles)
    assert all("*" in s and "." not in s for s in smiles)
    assert all(c > 0 for _, c in fragments.fragments)
    assert all(k >= 2 and v > 0 for k, v in fragments.sizes)
    # canonical fragment SMILES
    assert all(Chem.MolToSmiles(Chem.MolFromSmiles(s)) == s for s in smiles[:100])


def test_n_unique_valid_canonical_druglike(library):
    assert len(library) == 600
    assert len(set(library)) == 600
    cfg = LibraryConfig()
    for smi in library:
        assert "*" not in smi and "." not in smi
        mol = Chem.MolFromSmiles(smi)
        assert mol is not None
        assert Chem.MolToSmiles(mol) == smi
        assert cfg.mw_min <= Descriptors.MolWt(mol) <= cfg.mw_max
        assert mol.GetNumHeavyAtoms() <= cfg.max_heavy_atoms


def test_molecules_are_new_combinations(library, source_smiles):
    canonical_sources = {Chem.MolToSmiles(Chem.MolFromSmiles(s)) for s in source_smiles}
    # most products are not copies of the source molecules
    assert len(set(library) - canonical_sources) > 0.9 * len(library)


def test_same_seed_same_output_and_prefix(fragments, library):
    assert list(generate_library(600, seed=0, sources=fragments)) == library
    assert list(generate_library(150, seed=0, sources=fragments)) == library[:150]


def test_different_seed_different_output(fragments, library):
    other = list(generate_library(600, seed=1, sources=fragments))
    assert other != library
    assert len(set(other) & set(library)) < 300


def test_workers_do_not_change_output(fragments, library):
    assert list(generate_library(300, seed=0, sources=fragments, workers=2)) == library[:300]


def test_config_window_is_respected(fragments):
    cfg = LibraryConfig(mw_min=250, mw_max=350, max_heavy_atoms=24)
    out = list(generate_library(100, seed=3, sources=fragments, config=cfg))
    for smi in out:
        mol = Chem.MolFromSmiles(smi)
        assert 250 <= Descriptors.MolWt(mol) <= 350 and mol.GetNumHeavyAtoms() <= 24


@pytest.mark.parametrize("suffix", [".smi", ".smi.gz", ".csv.gz", ".parquet"])
def test_write_library_formats(tmp_path, fragments, library, suffix):
    path = tmp_path / f"lib{suffix}"
    assert write_library(path, 200, seed=0, sources=fragments, chunk_size=64) == 200
    if suffix == ".parquet":
        frame = pd.read_parquet(path)
        assert frame["id"].tolist() == list(range(200))
        smiles = frame["smiles"].tolist()
    elif ".csv" in suffix:
        frame = pd.read_csv(path)
        assert list(frame.columns) == ["id", "smiles"]
        smiles = frame["smiles"].tolist()
    else:
        opener = gzip.open if suffix.endswith(".gz") else open
        with opener(path, "rt") as fh:
            smiles = fh.read().splitlines()
    assert smiles == library[:200]


def test_write_library_rejects_unknown_suffix(tmp_path, fragments):
    with pytest.raises(ValueError, match="unsupported output"):
        write_library(tmp_path / "lib.sdf", 10, sources=fragments)


def test_save_load_and_file_cache(tmp_path, source_smiles, fragments):
    fragments.save(tmp_path / "f.tsv.gz")
    assert FragmentLibrary.load(tmp_path / "f.tsv.gz") == fragments
    src = tmp_path / "src.csv"
    pd.DataFrame({"SMILES": source_smiles, "y": 0.0}).to_csv(src, index=False)
    cache = tmp_path / "cache"
    first = FragmentLibrary.from_files([src], cache_dir=cache)
    assert first == fragments
    assert len(list(cache.glob("brics-fragments-*.tsv.gz"))) == 1
    assert FragmentLibrary.from_files([src], cache_dir=cache) == fragments


def test_missing_source_file(tmp_path):
    with pytest.raises(DataFileError, match="not found"):
        FragmentLibrary.from_files([tmp_path / "nope.csv"], cache_dir=None)


def test_exhausted_fragment_set_raises(monkeypatch):
    monkeypatch.setattr(lg, "_BATCH", 64)
    monkeypatch.setattr(lg, "_BARREN_BATCHES", 3)
    tiny = FragmentLibrary.from_smiles(["CC(=O)Nc1ccccc1", "COc1ccc(NC(C)=O)cc1"])
    with pytest.raises(LibraryExhaustedError):
        list(generate_library(10_000, seed=0, sources=tiny))


def test_hash_set_matches_python_set():
    rng = np.random.default_rng(0)
    table = lg._HashSet64(capacity=16)  # forces several growths
    seen: set[int] = set()
    for _ in range(30):
        batch = rng.integers(2, 600, size=200).astype(np.uint64)
        expected = []
        for h in batch.tolist():
            expected.append(h not in seen)
            seen.add(h)
        assert table.add(batch).tolist() == expected
    assert table.count == len(seen)
    # 0 is the empty-slot marker: it is stored as 1, so it still de-duplicates
    assert table.add(np.array([0, 0], dtype=np.uint64)).tolist() == [True, False]


def test_cli(tmp_path, source_smiles):
    src = tmp_path / "src.smi"
    src.write_text("\n".join(source_smiles[:120]) + "\n")
    out = tmp_path / "out.csv"
    argv = ["--n", "40", "--seed", "2", "--out", str(out), "--sources", str(src), "--no-cache"]
    assert lg.main(argv) == 0
    frame = pd.read_csv(out)
    assert len(frame) == 40 and frame["smiles"].is_unique
