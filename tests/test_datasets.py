"""Tests for molpred.datasets: registry, cards, checksums, resolution and downloads."""

from __future__ import annotations

import functools
import gzip
import hashlib
import http.server
import json
import shutil
import threading
from collections import Counter
from dataclasses import replace

import numpy as np
import pytest

from molpred import datasets
from molpred.datasets import cards, files, find_data_dir
from molpred.exceptions import DataFileError

SHARED_DATA = find_data_dir("moleculenet")


@pytest.fixture(autouse=True)
def data_env(monkeypatch, tmp_path):
    """Point molpred at the shared data and at an empty per-test cache."""
    monkeypatch.setenv("MOLPRED_DATA_DIR", str(SHARED_DATA))
    monkeypatch.setenv("MOLPRED_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("MOLPRED_DATASETS_DIR", raising=False)
    # the last place looked (../shared/data beside the checkout) would find the shared files
    # even where a test hides them: point it at an empty folder too
    monkeypatch.setattr(cards, "checkout_data_dir", lambda: tmp_path / "no-checkout-data")


@pytest.fixture
def no_local_data(monkeypatch, tmp_path):
    """No data directory holds anything: only a download can find a file."""
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setenv("MOLPRED_DATA_DIR", str(empty))


@pytest.fixture
def http_root(tmp_path):
    """Serve a temporary directory on 127.0.0.1; yields (directory, base URL)."""
    root = tmp_path / "www"
    root.mkdir()

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    handler = functools.partial(Quiet, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _set_card(monkeypatch, name, **changes):
    c = datasets.card(name)
    monkeypatch.setitem(cards._registry(), c.name.lower(), replace(c, **changes))
    return datasets.card(name)


# --- the registry -----------------------------------------------------------------------


def test_registry_contents_by_kind():
    kinds = Counter(datasets.card(n).kind for n in datasets.list_datasets())
    assert kinds == {"moleculenet": 10, "tdc": 18, "admet": 2, "molpal": 2, "moleculeace": 30}
    assert datasets.list_datasets("moleculenet")[:3] == ["esol", "freesolv", "lipophilicity"]
    assert len(datasets.list_datasets("MoleculeACE")) == 30


def test_unknown_kind_suggests():
    with pytest.raises(ValueError, match="did you mean 'moleculenet'"):
        datasets.list_datasets("moleculnet")


def test_cards_agree_with_shared_checksums():
    sums = dict(line.split("  ")[::-1] for line in
                (SHARED_DATA / "SHA256SUMS").read_text().splitlines() if line)
    for name in datasets.list_datasets():
        c = datasets.card(name)
        if c.source == "local":
            assert sums[c.relpath] == c.sha256, name
            assert c.smiles_column in c.columns and set(c.targets) <= set(c.columns), name
            assert c.url and c.url.startswith("https://"), name


def test_documented_cards():
    esol = datasets.card("ESOL")
    assert (esol.file, esol.n_rows, esol.task_type) == ("delaney-processed.csv", 1128, "regression")
    assert esol.targets == ("measured log solubility in mols per litre",)
    assert datasets.card("clintox").targets == ("FDA_APPROVED", "CT_TOX")
    assert len(datasets.card("tox21").targets) == 12
    assert len(datasets.card("sider").targets) == 27
    assert datasets.card("tdc/clintox").kind == "tdc"
    assert datasets.card("molpal/enamine50k").objective == "minimize"
    assert datasets.card("herg").name == "tdc/herg"


def test_card_dict_round_trip():
    c = datasets.card("bace")
    d = c.to_dict()
    assert isinstance(d["columns"], list) and json.loads(json.dumps(d)) == d
    assert datasets.DatasetCard.from_dict(d) == c
    with pytest.raises(DataFileError, match="keys"):
        datasets.DatasetCard.from_dict({**d, "extra": 1})


def test_unknown_name_suggests():
    with pytest.raises(DataFileError, match="did you mean 'esol'"):
        datasets.card("esoll")
    with pytest.raises(DataFileError, match="CHEMBL204_Ki"):
        datasets.load("chembl204_kii")


# --- resolution and checksums ------------------------------------------------------------


@pytest.mark.parametrize("name", datasets.list_datasets())
def test_every_dataset_resolves_and_verifies(name):
    c = datasets.card(name)
    file = datasets.path(name)
    assert file.name == c.file and file.stat().st_size == c.n_bytes
    assert hashlib.sha256(file.read_bytes()).hexdigest() == c.sha256
    assert files.schema_problem(c, file) is None


def test_load_esol_keeps_file_columns():
    frame = datasets.load("esol")
    c = datasets.card("esol")
    assert frame.shape == (1128, 10)
    assert list(frame.columns) == list(c.columns)
    assert "measured log solubility in mols per litre" in frame.columns
    assert frame["measured log solubility in mols per litre"].between(-12, 2).all()


def test_load_xy_multitask_with_missing_labels():
    smiles, y, names = datasets.load_xy("tox21")
    assert len(smiles) == 7831 and y.shape == (7831, 12) and y.dtype == np.float64
    assert names[0] == "NR-AR" and np.isnan(y).any()
    assert set(np.unique(y[~np.isnan(y)])) == {0.0, 1.0}
    sub = datasets.load_xy("clintox", targets=["CT_TOX"])
    assert sub.y.shape == (1484, 1) and sub.target_names == ["CT_TOX"]
    with pytest.raises(DataFileError, match="targets"):
        datasets.load_xy("clintox", targets=["toxic"])


def test_moleculeace_split_and_names():
    names = datasets.list_datasets("moleculeace")
    assert len(names) == 30 and "moleculeace/CHEMBL204_Ki" in names
    frame = datasets.load_moleculeace("chembl204_ki")
    assert list(frame.columns) == ["smiles", "exp_mean [nM]", "y", "cliff_mol", "split"]
    assert set(frame["split"]) == {"train", "test"}
    np.testing.assert_allclose(frame["y"], -np.log10(frame["exp_mean [nM]"]))
    test = datasets.load_moleculeace("MoleculeACE/CHEMBL204_KI", split="test")
    assert len(test) == (frame["split"] == "test").sum() and set(test["split"]) == {"test"}
    assert datasets.card("moleculeace/chembl204_ki").units == "-log10(Ki/nM)"


def test_bundled_resolution_ignores_data_dir_env(monkeypatch, tmp_path):
    monkeypatch.setenv("MOLPRED_DATA_DIR", str(tmp_path / "nowhere"))
    assert datasets.path("CHEMBL2047_EC50").parent.name == "moleculeace"


def test_missing_registry_names_env(monkeypatch, tmp_path):
    monkeypatch.setenv("MOLPRED_DATASETS_DIR", str(tmp_path))
    with pytest.raises(DataFileError, match="MOLPRED_DATASETS_DIR"):
        datasets.list_datasets()


def test_tampered_file_fails_checksum(tmp_path):
    c = datasets.card("esol")
    copy = tmp_path / "data" / c.subdir / c.file
    copy.parent.mkdir(parents=True)
    shutil.copyfile(SHARED_DATA / c.relpath, copy)
    assert datasets.path("esol", data_dir=tmp_path / "data") == copy
    with open(copy, "ab") as fh:
        fh.write(b"\n")
    with pytest.raises(DataFileError, match="checksum mismatch") as info:
        datasets.load("esol", data_dir=tmp_path / "data")
    assert "\n" not in str(info.value)
    assert len(datasets.load("esol", data_dir=tmp_path / "data", verify=False)) == 1128


def test_missing_directory_names_env_var(monkeypatch, tmp_path):
    monkeypatch.setenv("MOLPRED_DATA_DIR", str(tmp_path / "nope"))
    with pytest.raises(DataFileError) as info:
        datasets.load("bbbp")
    message = str(info.value)
    assert "MOLPRED_DATA_DIR" in message and "does not exist" in message
    assert "download=True" in message and "moleculenet/BBBP.csv" in message


def test_checksums_are_hashed_once(monkeypatch):
    import molpred.io

    calls = []
    real = molpred.io.sha256_file

    def counting(path):
        calls.append(1)
        return real(path)

    monkeypatch.setattr(molpred.io, "sha256_file", counting)
    monkeypatch.setattr(files, "_HASHES", {})
    for _ in range(3):
        datasets.path("freesolv")
    assert len(calls) == 1


# --- downloads ----------------------------------------------------------------------------


def test_download_unreachable_is_clean(monkeypatch, no_local_data, tmp_path):
    _set_card(monkeypatch, "esol", url="http://127.0.0.1:9/x.csv")
    with pytest.raises(DataFileError, match="could not download") as info:
        datasets.load("esol", download=True)
    assert info.value.__cause__ is None and info.value.__suppress_context__
    leftovers = list((tmp_path / "cache").rglob("*"))
    assert all(p.is_dir() for p in leftovers)
    with pytest.raises(DataFileError, match="not found"):
        datasets.load("esol")


def test_download_gz_with_known_checksum(monkeypatch, no_local_data, http_root):
    root, base = http_root
    c = datasets.card("clintox")
    (root / "clintox.csv.gz").write_bytes(gzip.compress((SHARED_DATA / c.relpath).read_bytes()))
    _set_card(monkeypatch, "clintox", url=f"{base}/clintox.csv.gz")
    file = datasets.path("clintox", download=True)
    assert file.parent.parent == datasets.cache_dir() and file.name == "clintox.csv"
    assert hashlib.sha256(file.read_bytes()).hexdigest() == c.sha256
    assert not file.with_name("clintox.csv.sha256").exists()
    assert datasets.load_xy("clintox").y.shape == (1484, 2)  # now found in the cache


def test_download_verified_by_schema_then_pinned(monkeypatch, no_local_data, http_root):
    root, base = http_root
    c = datasets.card("freesolv")
    raw = (SHARED_DATA / c.relpath).read_bytes()
    # the same table with other line endings: new bytes, same columns and rows
    raw = raw.replace(b"\r\n", b"\n") if b"\r\n" in raw else raw.replace(b"\n", b"\r\n")
    (root / "SAMPL.csv").write_bytes(raw)
    _set_card(monkeypatch, "freesolv", url=f"{base}/SAMPL.csv", url_sha256=None)
    file = datasets.path("freesolv", download=True)
    assert hashlib.sha256(file.read_bytes()).hexdigest() != c.sha256
    assert datasets.load("freesolv").shape == (642, 4)  # accepted via the recorded sidecar
    with open(file, "ab") as fh:
        fh.write(b"x")
    with pytest.raises(DataFileError, match="checksum mismatch"):
        datasets.load("freesolv")


def test_download_with_wrong_schema_is_rejected(monkeypatch, no_local_data, http_root, tmp_path):
    root, base = http_root
    c = datasets.card("freesolv")
    lines = (SHARED_DATA / c.relpath).read_text().splitlines(keepends=True)
    (root / "SAMPL.csv").write_text("".join(lines[:-1]))
    _set_card(monkeypatch, "freesolv", url=f"{base}/SAMPL.csv", url_sha256=None)
    with pytest.raises(DataFileError, match="641 data rows"):
        datasets.load("freesolv", download=True)
    assert not any(p.is_file() for p in (tmp_path / "cache").rglob("*"))


def test_download_with_known_checksum_mismatch(monkeypatch, no_local_data, http_root):
    root, base = http_root
    (root / "ames.tab").write_text("Drug_ID\tDrug\tY\n")
    _set_card(monkeypatch, "tdc/ames", url=f"{base}/ames.tab")
    with pytest.raises(DataFileError, match="checksum mismatch"):
        datasets.load("ames", download=True)
    _set_card(monkeypatch, "tdc/ames", url=f"{base}/missing.tab")
    with pytest.raises(DataFileError, match="404"):
        datasets.load("ames", download=True)
