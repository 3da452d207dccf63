"""Issue 21: local data resolve from MOLPRED_DATA_DIR, then the cache, then ../shared/data beside
a checkout; no machine's absolute path anywhere in code or docs."""

from __future__ import annotations

import re
from pathlib import Path

from molpred.datasets import cards, data_dirs, find_data_dir

ROOT = Path(__file__).resolve().parents[1]


def test_order_env_then_cache_then_checkout(monkeypatch, tmp_path):
    monkeypatch.setenv("MOLPRED_DATA_DIR", str(tmp_path / "env"))
    monkeypatch.setenv("MOLPRED_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(cards, "checkout_data_dir", lambda: tmp_path / "shared" / "data")
    assert [p for _, p in data_dirs()] == [tmp_path / "env", tmp_path / "cache", tmp_path / "shared" / "data"]
    assert find_data_dir("molpal") == tmp_path / "env"  # found nowhere: the first place is named
    (tmp_path / "shared" / "data" / "molpal").mkdir(parents=True)
    assert find_data_dir("molpal") == tmp_path / "shared" / "data"
    (tmp_path / "cache" / "molpal").mkdir(parents=True)
    assert find_data_dir("molpal") == tmp_path / "cache"
    monkeypatch.delenv("MOLPRED_DATA_DIR")
    assert [label for label, _ in data_dirs()] == ["cache", "../shared/data beside the checkout"]


def test_checkout_data_dir_is_beside_the_checkout():
    assert cards.checkout_data_dir() == ROOT.parent / "shared" / "data"


def test_no_machine_specific_absolute_paths_in_code_or_docs():
    pattern = re.compile(r"(?<![\w.])/(work|root|home)/")
    hits = []
    for path in ROOT.rglob("*"):
        rel = path.relative_to(ROOT)
        if not path.is_file() or rel.parts[0] in (".git", "benchmarks") and "results" in rel.parts:
            continue
        if path.suffix not in (".py", ".md", ".toml", ".json", ".ipynb", ".cfg", ".txt", ".yml", ".yaml"):
            continue
        if any(part.startswith(".") or part in ("__pycache__", "build", "dist") for part in rel.parts):
            continue
        for i, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
            if pattern.search(line) and rel != Path("tests/test_data_dirs.py"):
                hits.append(f"{rel}:{i}: {line.strip()[:80]}")
    assert not hits, "\n".join(hits)


def test_path_finds_a_data_set_beside_the_checkout(monkeypatch, tmp_path):
    import pytest

    from molpred import datasets

    shared = find_data_dir("moleculenet")
    if not (shared / "moleculenet").is_dir():
        pytest.skip("no local MoleculeNet files")
    monkeypatch.delenv("MOLPRED_DATA_DIR", raising=False)
    monkeypatch.setenv("MOLPRED_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(cards, "checkout_data_dir", lambda: shared)
    assert datasets.path("esol", verify=False).parent.parent == shared
    monkeypatch.setattr(cards, "checkout_data_dir", lambda: tmp_path / "none")
    with pytest.raises(datasets.DataFileError, match="beside the checkout"):
        datasets.path("esol", verify=False)
