"""Tests for molpred.campaign.store."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import molpred
from molpred.campaign.store import CampaignStore, CampaignStoreError, ResultsSummary

LIBRARY = [
    "CCO",  # 0
    "c1ccccc1O",  # 1
    "CC(=O)[O-].[Na+]",  # 2: sodium acetate, standardised to acetic acid
    "not a smiles",  # 3: invalid, kept with its status
    "CCN",  # 4
    "Cc1ccccc1",  # 5
    "OCCN",  # 6
]
META = {"objective": "pIC50", "direction": "max", "batch_size": 2, "seed": 0}


@pytest.fixture
def store(tmp_path):
    s = CampaignStore.create(tmp_path / "c.sqlite", META, pd.DataFrame({"smiles": LIBRARY}))
    yield s
    s.close()


def _proposal(ids, mean=None):
    n = len(ids)
    return pd.DataFrame(
        {
            "compound_id": ids,
            "acquisition": np.linspace(1, 0, n),
            "mean": np.arange(n, dtype=float) if mean is None else mean,
            "std": np.full(n, 0.5),
        }
    )


# ---------------------------------------------------------------- create / open
def test_create_stores_meta_and_standardised_library(store):
    meta = store.meta
    assert meta["objective"] == "pIC50" and meta["batch_size"] == 2
    assert meta["molpred_version"] == molpred.__version__
    assert meta["schema_version"] == 1 and "created_at" in meta
    lib = store.compounds_frame()
    assert lib["id"].tolist() == list(range(len(LIBRARY)))
    assert lib.loc[2, "canonical_smiles"] == "CC(=O)O"
    assert lib.loc[3, "status"] == "invalid_smiles" and lib.loc[3, "error"]
    assert lib.loc[0, "status"] == "ok"


def test_sqlite_settings(store):
    assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert store.check() == []


def test_create_refuses_to_overwrite(tmp_path, store):
    with pytest.raises(FileExistsError):
        CampaignStore.create(store.path, META, pd.DataFrame({"smiles": ["CCO"]}))
    assert len(store.compounds_frame()) == len(LIBRARY)
    assert [p.name for p in tmp_path.iterdir() if "creating" in p.name] == []


def test_create_validates_meta(tmp_path):
    with pytest.raises(CampaignStoreError, match="objective"):
        CampaignStore.create(tmp_path / "a.sqlite", {}, pd.DataFrame({"smiles": ["C"]}))
    with pytest.raises(CampaignStoreError, match="direction"):
        CampaignStore.create(
            tmp_path / "b.sqlite", {"objective": "y", "direction": "up"}, pd.DataFrame({"smiles": ["C"]})
        )
    assert not (tmp_path / "a.sqlite").exists() and not (tmp_path / "b.sqlite").exists()


def test_open_rejects_files_that_are_not_stores(tmp_path):
    with pytest.raises(FileNotFoundError):
        CampaignStore.open(tmp_path / "missing.sqlite")
    text = tmp_path / "notes.txt"
    text.write_text("hello, this is not a database" * 10)
    with pytest.raises(CampaignStoreError, match="not a campaign store"):
        CampaignStore.open(text)
    other = tmp_path / "other.sqlite"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE t (x)")
    with pytest.raises(CampaignStoreError, match="not a molpred campaign store"):
        CampaignStore.open(other)


def test_open_rejects_a_newer_schema(store):
    path = store.path
    store.close()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = 7")
    conn.close()
    with pytest.raises(CampaignStoreError, match="newer"):
        CampaignStore.open(path)


def test_closed_store_raises(store):
    store.close()
    store.close()  # idempotent
    with pytest.raises(CampaignStoreError, match="closed"):
        _ = store.meta


def test_update_meta_and_context_manager(store):
    path = store.path
    store.update_meta({"acquisition": {"name": "ei", "xi": 0.1}, "seed": 3})
    store.close()
    with CampaignStore.open(path) as s:
        assert s.meta["acquisition"] == {"name": "ei", "xi": 0.1}
        assert s.meta["seed"] == 3
    assert s._conn is None


def test_add_compounds_continues_ids_and_rejects_clashes(store):
    ids = store.add_compounds(pd.DataFrame({"smiles": ["CCCl", "CCBr"]}))
    assert ids.tolist() == [7, 8]
    with pytest.raises(CampaignStoreError, match="duplicate"):
        store.add_compounds(pd.DataFrame({"id": [8, 9], "smiles": ["C", "CC"]}))
    assert len(store.compounds_frame()) == 9  # nothing of the failed call was written


# ---------------------------------------------------------------- rounds
def test_proposals_round_trip_and_reopen(store):
    path = store.path
    assert store.open_round() is None and store.last_round() is None
    r1 = store.record_proposal(None, _proposal([5, 1, 6]), model_info={"model": "rf"}, n_train=4)
    assert r1 == 1 and store.open_round() == 1
    frame = store.proposals(1)
    assert frame["compound_id"].tolist() == [5, 1, 6]
    assert frame["rank"].tolist() == [0, 1, 2]
    assert frame["smiles"].tolist() == ["Cc1ccccc1", "c1ccccc1O", "OCCN"]
    assert frame["value"].isna().all() and (frame["n_measurements"] == 0).all()
    store.close()
    with CampaignStore.open(path) as again:
        pd.testing.assert_frame_equal(again.proposals(1), frame)
        pd.testing.assert_frame_equal(again.proposals(), frame)
        assert again.open_round() == 1


def test_nan_predictions_are_stored_as_null(store):
    store.record_proposal(None, _proposal([0, 4], mean=np.array([np.nan, 1.0])))
    frame = store.proposals(1)
    assert np.isnan(frame.loc[0, "mean"]) and frame.loc[1, "mean"] == 1.0


def test_bad_proposal_writes_nothing(store):
    store.record_proposal(1, _proposal([0]))
    with pytest.raises(CampaignStoreError, match="round 1"):
        store.record_proposal(1, _proposal([4]))
    with pytest.raises(CampaignStoreError):
        store.record_proposal(2, _proposal([4, 999]))  # unknown compound id
    with pytest.raises(CampaignStoreError):
        store.record_proposal(2, _proposal([4, 4]))  # same compound twice
    assert store.last_round() == 1
    assert store.proposals()["compound_id"].tolist() == [0]
    assert store.check() == []


def test_results_close_the_open_round(store):
    store.record_proposal(None, _proposal([1, 5]))
    summary = store.add_results(pd.DataFrame({"compound_id": [5], "value": [7.5]}), "r1.csv")
    assert summary.rounds_completed == [1]
    assert store.open_round() is None
    assert store.record_proposal(None, _proposal([0])) == 2
    assert store.open_round() == 2
    store.complete_round(2)
    assert store.open_round() is None
    with pytest.raises(CampaignStoreError, match="no round 9"):
        store.complete_round(9)


# ---------------------------------------------------------------- results
def test_results_match_by_canonical_smiles_or_id(store):
    store.record_proposal(None, _proposal([1, 2]))
    frame = pd.DataFrame(
        {
            "smiles": ["Oc1ccccc1", "CC(=O)O.Cl", None, "OCC"],
            "compound_id": [None, None, 6, None],
            "value": [6.0, 5.0, 4.0, "3.5"],
        }
    )
    summary = store.add_results(frame, "plate1.csv")
    assert (summary.n_rows, summary.n_accepted, summary.n_rejected) == (4, 4, 0)
    measured = store.measured()
    assert dict(zip(measured["compound_id"], measured["value"])) == {1: 6.0, 2: 5.0, 6: 4.0, 0: 3.5}
    results = store.results()
    assert set(results["source"]) == {"plate1.csv"}
    rounds = dict(zip(results["compound_id"], results["round"]))
    assert rounds[1] == 1 and rounds[2] == 1 and pd.isna(rounds[6])  # 6 was never proposed
    assert store.proposals(1)["value"].tolist() == [6.0, 5.0]


def test_malformed_rows_are_counted_and_stored_as_rejected(store):
    frame = pd.DataFrame(
        {
            "smiles": ["CCO", "CCO", "CCO", "C1CC", "CCCCCCCC", None, "CCO", None, "CCO", "CCN"],
            "compound_id": [None, None, None, None, None, 999, 2.5, None, 4, None],
            "value": ["1.5", "abc", np.nan, 2.0, 3.0, 1.0, 1.0, 1.0, 1.0, float("inf")],
        }
    )
    summary = store.add_results(frame, "messy.csv")
    assert isinstance(summary, ResultsSummary)
    assert summary.n_rows == 10 and summary.n_accepted == 1 and summary.n_rejected == 9
    reasons = dict(zip(summary.rejected["row"], summary.rejected["reason"]))
    assert "not a finite number" in reasons[1] and "not a finite number" in reasons[2]
    assert "not a finite number" in reasons[9]
    assert reasons[3].startswith("invalid_smiles")
    assert "not in the candidate library" in reasons[4]
    assert "unknown compound_id 999" in reasons[5]
    assert "not an integer" in reasons[6]
    assert "neither" in reasons[7]
    assert "compound_id 4 is CCN" in reasons[8]
    stored = store.results(rejected=True)
    assert len(stored) == 9 and set(stored["source"]) == {"messy.csv"}
    assert stored["reason"].tolist() == summary.rejected["reason"].tolist()
    assert stored.loc[stored["row"] == 1, "value"].item() == "abc"
    assert "9 rejected" in str(summary) and "row 3" in str(summary)
    assert store.measured()["value"].tolist() == [1.5]


def test_repeated_measurements_are_kept_and_averaged(store):
    store.add_results(pd.DataFrame({"smiles": ["CCO", "OCC"], "value": [4.0, 6.0]}), "a.csv")
    summary = store.add_results(pd.DataFrame({"compound_id": [0], "value": [8.0]}), "b.csv")
    assert summary.n_repeated == 1 and summary.warnings == []
    measured = store.measured()
    assert len(measured) == 1
    row = measured.iloc[0]
    assert row["value"] == pytest.approx(6.0) and row["n_measurements"] == 3
    assert row["value_std"] == pytest.approx(np.std([4.0, 6.0, 8.0]))
    assert len(store.results()) == 3
    again = store.add_results(pd.DataFrame({"compound_id": [0], "value": [8.0]}), "b.csv")
    assert any("already added" in w for w in again.warnings)


def test_unknown_molecules_can_be_allowed(store):
    frame = pd.DataFrame({"smiles": ["CCCCCCCC", "CCCCCCCC"], "value": [1.0, 3.0]})
    summary = store.add_results(frame, "extra.csv", allow_unknown=True)
    assert summary.n_accepted == 2 and summary.n_repeated == 1
    measured = store.measured()
    assert measured["compound_id"].isna().all() and measured["value"].tolist() == [2.0]


def test_hostile_results_never_raise_and_every_row_is_accounted_for(store):
    cell = st.one_of(st.none(), st.text(max_size=30), st.floats(), st.integers(-5, 20))

    @settings(max_examples=25, deadline=None)
    @given(rows=st.lists(st.tuples(cell, cell, cell), max_size=8))
    def check(rows):
        frame = pd.DataFrame(rows, columns=["smiles", "compound_id", "value"], dtype=object)
        n_rejected_before = len(store.results(rejected=True))
        n_results_before = len(store.results())
        summary = store.add_results(frame, "fuzz.csv")
        assert summary.n_accepted + summary.n_rejected == len(rows)
        assert len(store.results(rejected=True)) - n_rejected_before == summary.n_rejected
        assert len(store.results()) - n_results_before == summary.n_accepted
        assert summary.rejected["reason"].str.len().gt(0).all()

    check()
    assert store.check() == []


def test_value_column_defaults_to_the_objective(store):
    store.add_results(pd.DataFrame({"smiles": ["CCN"], "pIC50": [5.5]}), "x.csv")
    assert store.measured()["value"].tolist() == [5.5]
    with pytest.raises(CampaignStoreError, match="value column"):
        store.add_results(pd.DataFrame({"smiles": ["CCN"], "ic50": [5.5]}), "y.csv")
    with pytest.raises(CampaignStoreError, match="smiles"):
        store.add_results(pd.DataFrame({"name": ["x"], "value": [5.5]}), "z.csv")


def test_history_tracks_best_so_far(tmp_path):
    lib = pd.DataFrame({"smiles": LIBRARY})
    with CampaignStore.create(tmp_path / "min.sqlite", {"objective": "ic50", "direction": "min"}, lib) as s:
        s.add_results(pd.DataFrame({"compound_id": [0], "value": [50.0]}), "start.csv")
        s.record_proposal(None, _proposal([1, 5]), n_train=1)
        s.add_results(pd.DataFrame({"compound_id": [1, 5], "value": [80.0, 20.0]}), "r1.csv")
        s.record_proposal(None, _proposal([4, 6]), n_train=3)
        s.add_results(pd.DataFrame({"compound_id": [4], "value": [30.0]}), "r2.csv")
        s.record_proposal(None, _proposal([2]), n_train=4)
        h = s.history()
    assert h["round"].tolist() == [1, 2, 3]
    assert h["n_proposed"].tolist() == [2, 2, 1]
    assert h["n_measured"].tolist() == [2, 1, 0]
    assert h["state"].tolist() == ["completed", "completed", "proposed"]
    assert h["best_in_round"].tolist()[:2] == [20.0, 30.0] and np.isnan(h["best_in_round"][2])
    assert h["best_so_far"].tolist() == [20.0, 20.0, 20.0]
    assert h["n_train"].tolist() == [1, 3, 4]


# ---------------------------------------------------------------- crash safety
_CHILD = textwrap.dedent(
    """
    import sys
    import numpy as np, pandas as pd
    from molpred.campaign.store import CampaignStore

    store = CampaignStore.open(sys.argv[1])
    n_lib = store.conn.execute("SELECT COUNT(*) FROM compounds").fetchone()[0]
    rng = np.random.default_rng(int(sys.argv[2]))
    print("ready", flush=True)
    while True:
        rnd = (store.last_round() or 0) + 1
        n = n_lib - rnd  # every round has a different, known size
        ids = rng.permutation(n_lib)[:n]
        frame = pd.DataFrame({"compound_id": ids, "acquisition": rng.random(n),
                              "mean": rng.random(n), "std": rng.random(n)})
        print("begin", rnd, flush=True)
        store.record_proposal(rnd, frame, model_info={"n": int(n)}, n_train=rnd)
        print("done", rnd, flush=True)
    """
)


def _check_consistent(path: Path, n_lib: int) -> set[int]:
    with CampaignStore.open(path) as s:
        assert s.check() == []
        assert s.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        rounds = {
            r: json_n for r, json_n in s.conn.execute("SELECT round, json_extract(model_info, '$.n') FROM rounds")
        }
        counts = dict(s.conn.execute("SELECT round, COUNT(*) FROM proposals GROUP BY round"))
        for rnd, n in rounds.items():
            assert n == n_lib - rnd
            assert counts.get(rnd) == n, f"round {rnd} is partial: {counts.get(rnd)} of {n}"
        assert set(counts) <= set(rounds)  # no orphan proposals
        return set(rounds)


def test_sigkill_while_recording_leaves_whole_rounds_or_nothing(tmp_path):
    n_lib = 200_000
    path = tmp_path / "big.sqlite"
    lib = pd.DataFrame({"smiles": ["C"] * n_lib, "canonical_smiles": ["C"] * n_lib, "status": ["ok"] * n_lib})
    CampaignStore.create(path, {"objective": "y"}, lib).close()
    env = {**os.environ, "PYTHONPATH": str(Path(molpred.__file__).parent.parent)}
    delays = random.Random(0)
    killed_in_flight = 0
    for trial in range(3):
        proc = subprocess.Popen(
            [sys.executable, "-c", _CHILD, str(path), str(trial)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        assert proc.stdout.readline().strip() == "ready", proc.stderr.read()
        time.sleep(delays.uniform(0.3, 2.0))
        os.kill(proc.pid, signal.SIGKILL)
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == -signal.SIGKILL, err
        rounds = _check_consistent(path, n_lib)
        last = [ln for ln in out.splitlines() if ln][-1].split() if out.strip() else []
        if last and last[0] == "begin":
            # Killed while writing round r: it is absent, not partial (or, if the kill hit
            # right after COMMIT but before the print, complete, which _check_consistent
            # has verified).
            killed_in_flight += int(last[1]) not in rounds
    assert killed_in_flight >= 1, "no kill landed during a write; the test proved nothing"
    # The store is still usable after the crashes.
    with CampaignStore.open(path) as s:
        nxt = (s.last_round() or 0) + 1
        assert s.record_proposal(None, pd.DataFrame({"compound_id": [0, 1]})) == nxt
        assert s.check() == []
