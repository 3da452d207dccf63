"""``molpred campaign`` end to end, bad results files, and a SIGKILL in the middle of ``next``."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pandas as pd
import pytest

from molpred.campaign import Campaign, CampaignStore
from molpred.cli.campaign_cmd import main
from molpred.datasets import find_data_dir

DATA = find_data_dir("molpal") / "molpal" / "Enamine10k_scores.csv.gz"
FAST = ["--surrogate", "fingerprint", "--ensemble", "2", "--epochs", "5"]


@pytest.fixture(scope="module")
def oracle() -> pd.DataFrame:
    if not DATA.is_file():
        pytest.skip(f"{DATA} not available")
    return pd.read_csv(DATA).sample(n=80, random_state=1).drop_duplicates("smiles").reset_index(drop=True)


@pytest.fixture()
def files(tmp_path, oracle):
    lib = tmp_path / "library.csv"
    pd.DataFrame({"SMILES": [*oracle["smiles"], "c1cc(", "CC"]}).to_csv(lib, index=False)
    orc = tmp_path / "oracle.csv"
    oracle.to_csv(orc, index=False)
    return tmp_path, lib, orc


def _lab_file(batch_csv: Path, oracle: pd.DataFrame, out: Path) -> Path:
    batch = pd.read_csv(batch_csv)
    values = oracle.set_index("smiles")["score"]
    pd.DataFrame({"smiles": batch["smiles"], "dock": values.loc[batch["smiles"]].to_numpy()}).to_csv(out, index=False)
    return out


def _init(store: Path, lib: Path, *extra: str) -> int:
    return main(["campaign", "init", str(store), "--library", str(lib), "--smiles-col", "SMILES", "--objective",
                 "dock", "--direction", "min", "--acquisition", "ucb", "--batch-size", "10", *FAST, *extra])


def test_campaign_cli_round_trip(files, oracle, capsys):
    tmp, lib, _ = files
    store = tmp / "c.sqlite"
    assert _init(store, lib) == 0
    assert "82 compounds (1 invalid" in capsys.readouterr().out
    assert _init(store, lib) == 2  # never overwritten
    assert "already exists" in capsys.readouterr().err

    assert main(["campaign", "next", str(store), "--out", str(tmp / "b1.csv")]) == 0
    b1 = pd.read_csv(tmp / "b1.csv")
    assert list(b1.columns) == ["round", "rank", "compound_id", "smiles", "canonical_smiles", "predicted_mean",
                                "predicted_std", "acquisition"]
    assert len(b1) == 10 and b1["rank"].tolist() == list(range(10))
    assert main(["campaign", "next", str(store), "--out", str(tmp / "b1_again.csv")]) == 0
    assert "unchanged" in capsys.readouterr().out
    pd.testing.assert_frame_equal(b1, pd.read_csv(tmp / "b1_again.csv"))

    res = _lab_file(tmp / "b1.csv", oracle, tmp / "r1.csv")
    assert main(["campaign", "add-results", str(store), str(res)]) == 0
    out = capsys.readouterr().out
    assert "10 accepted, 0 rejected" in out and "rounds completed: 1" in out
    assert main(["campaign", "next", str(store), "--out", str(tmp / "b2.csv")]) == 0
    b2 = pd.read_csv(tmp / "b2.csv")
    assert b2["round"].eq(2).all() and b2["predicted_mean"].notna().all()
    assert not set(b2["compound_id"]) & set(b1["compound_id"])

    assert main(["campaign", "status", str(store), "--plots", str(tmp / "plots")]) == 0
    out = capsys.readouterr().out
    assert "best 10 measured" in out and "{" not in out  # counts as a table, no raw JSON line
    assert _count(out, "measured") == 10 and _count(out, "pending (proposed, open round, no result yet)") == 10
    assert (tmp / "plots" / "best_so_far.png").stat().st_size > 1000
    with Campaign.open(store) as c:
        hist = c.history()
        assert hist["state"].tolist() == ["completed", "proposed"]
        assert hist["best_so_far"].iloc[0] == pytest.approx(c.best(1)["value"].iloc[0])
        assert c.model_info(2)["model"]["n_train"] == 10


def _count(out: str, label: str) -> int:
    """The value in the status table's row ``label``."""
    rows = [line.strip() for line in out.splitlines() if line.strip().startswith(label + "  ")]
    assert len(rows) == 1, (label, out)
    return int(rows[0][len(label):].strip())


def test_status_pending_counts_only_open_rounds(files, oracle, capsys):
    """Issue 21: a round whose results came back is not pending, even if the lab skipped some compounds."""
    tmp, lib, _ = files
    store = tmp / "c.sqlite"
    assert _init(store, lib) == 0
    assert main(["campaign", "next", str(store), "--out", str(tmp / "b1.csv")]) == 0
    res = _lab_file(tmp / "b1.csv", oracle, tmp / "r1.csv")
    pd.read_csv(res).head(6).to_csv(res, index=False)  # 4 of 10 never measured
    assert main(["campaign", "add-results", str(store), str(res)]) == 0
    capsys.readouterr()
    assert main(["campaign", "status", str(store)]) == 0
    out = capsys.readouterr().out
    assert _count(out, "pending (proposed, open round, no result yet)") == 0
    assert _count(out, "proposed in a completed round, never measured") == 4
    assert _count(out, "measured") == 6
    with Campaign.open(store) as c:
        s = c.summary()
    assert (s["n_pending"], s["n_not_measured"], s["open_round"]) == (0, 4, None)


def test_bad_results_files_are_reported(files, oracle, capsys):
    tmp, lib, _ = files
    store = tmp / "c.sqlite"
    assert _init(store, lib) == 0
    assert main(["campaign", "next", str(store), "--out", str(tmp / "b1.csv")]) == 0
    batch = pd.read_csv(tmp / "b1.csv")
    bad = pd.DataFrame({"smiles": [batch["smiles"][0], "CCCCCCCCCCCCCCCCCCCCO", batch["smiles"][1]],
                        "dock": ["-9.1", "-8.0", "strong"]})
    bad.to_csv(tmp / "bad.csv", index=False)
    capsys.readouterr()
    assert main(["campaign", "add-results", str(store), str(tmp / "bad.csv")]) == 0
    out = capsys.readouterr().out
    assert "1 accepted, 2 rejected" in out
    assert "row 1: CCCCCCCCCCCCCCCCCCCCO is not in the candidate library" in out
    assert "row 2: value 'strong' is missing or not a finite number" in out

    bad[["smiles"]].to_csv(tmp / "nocol.csv", index=False)
    assert main(["campaign", "add-results", str(store), str(tmp / "nocol.csv")]) == 2
    assert "value column" in capsys.readouterr().err
    assert main(["campaign", "add-results", str(store), str(tmp / "bad.csv"), "--value-col", "ic50"]) == 2
    assert "'ic50' not found" in capsys.readouterr().err
    assert main(["campaign", "add-results", str(store), str(tmp / "bad.csv"), "--smiles-col", "smi"]) == 2
    assert "'smi' not found" in capsys.readouterr().err
    (tmp / "empty.csv").write_text("")
    assert main(["campaign", "add-results", str(store), str(tmp / "empty.csv")]) == 2
    assert "empty.csv" in capsys.readouterr().err
    (tmp / "header.csv").write_text("smiles,dock\n")
    assert main(["campaign", "add-results", str(store), str(tmp / "header.csv")]) == 2
    assert "no rows" in capsys.readouterr().err
    with CampaignStore.open(store) as s:
        assert len(s.results()) == 1 and len(s.results(rejected=True)) == 2


_KILL_SCRIPT = """
import pathlib, sys, time
import molpred.campaign.{module} as m
flag = pathlib.Path(sys.argv[1])
original = m.{target}

def slow(*args, **kwargs):
    out = original(*args, **kwargs)
    flag.write_text("inside")  # the work is done in memory, nothing committed yet
    time.sleep(600)
    return out

m.{target} = slow
from molpred.cli.campaign_cmd import main
sys.exit(main(["campaign", "next", sys.argv[2], "--out", sys.argv[3]]))
"""


@pytest.mark.parametrize(
    ("module", "target"),
    [("surrogate", "FingerprintSurrogate.fit"), ("proposal", "score_pool")],
    ids=["during-training", "during-scoring"],
)
def test_sigkill_during_next_leaves_a_consistent_store(files, oracle, module, target):
    tmp, lib, _ = files
    store = tmp / "c.sqlite"
    assert _init(store, lib) == 0
    assert main(["campaign", "next", str(store), "--out", str(tmp / "b1.csv")]) == 0
    assert main(["campaign", "add-results", str(store), str(_lab_file(tmp / "b1.csv", oracle, tmp / "r1.csv"))]) == 0
    script = _KILL_SCRIPT.format(module=module, target=target)
    flag = tmp / "flag"
    proc = subprocess.Popen([sys.executable, "-c", textwrap.dedent(script), str(flag), str(store), str(tmp / "b2.csv")])
    try:
        deadline = time.monotonic() + 300
        while not flag.exists():
            assert proc.poll() is None, f"child exited early with {proc.returncode}"
            assert time.monotonic() < deadline, "child never reached the patched step"
            time.sleep(0.2)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL
    assert not (tmp / "b2.csv").exists()
    with CampaignStore.open(store) as s:
        assert s.check() == []
        assert s.last_round() == 1 and s.open_round() is None  # round 2 never half-written
        assert len(s.results()) == 10
    assert main(["campaign", "next", str(store), "--out", str(tmp / "b2.csv")]) == 0
    b2 = pd.read_csv(tmp / "b2.csv")
    assert len(b2) == 10 and b2["round"].eq(2).all()
    with CampaignStore.open(store) as s:
        assert s.check() == [] and s.open_round() == 2


def test_simulate_command(files, capsys):
    tmp, lib, orc = files
    rc = main(["campaign", "simulate", "--library", str(lib), "--smiles-col", "SMILES", "--oracle", str(orc),
               "--objective", "score", "--direction", "min", "--acquisition", "greedy", "--batch-size", "8",
               "--rounds", "2", "--top-k", "8", "--seeds", "0", "--baseline", "--out", str(tmp / "sim.csv"),
               "--plots", str(tmp / "plots"), *FAST])
    assert rc == 0
    out = capsys.readouterr().out
    assert "fraction of the true top-8 found" in out and "MolPAL's headline metric" in out
    sim = pd.read_csv(tmp / "sim.csv")
    assert {"top8_scores", "top8_smiles", "top8_avg_score", "top8_avg_fraction"} <= set(sim.columns)
    assert (sim["top8_scores"] >= sim["top8_smiles"]).all()
    assert set(sim["method"]) == {"greedy", "random"}
    assert sim.groupby("method")["n_evaluated"].max().tolist() == [24, 24]
    assert (tmp / "plots" / "top_k_found.png").is_file()


def test_status_reports_molpal_top_k_metrics_against_known_values(files, oracle, capsys):
    from molpred.campaign.metrics import top_k_metrics

    tmp, lib, orc = files
    store = tmp / "c.sqlite"
    assert _init(store, lib) == 0
    assert main(["campaign", "next", str(store), "--out", str(tmp / "b1.csv")]) == 0
    assert main(["campaign", "add-results", str(store), str(_lab_file(tmp / "b1.csv", oracle, tmp / "r1.csv"))]) == 0
    capsys.readouterr()
    assert main(["campaign", "status", str(store), "--oracle", str(orc), "--oracle-col", "score", "--top-k", "8"]) == 0
    out = capsys.readouterr().out
    assert "true top-8 found" in out and "top8_scores" in out
    with Campaign.open(store) as c:
        prog = c.top_k_progress(oracle, 8, value_col="score")
    assert prog["round"].tolist() == [1] and prog["n_measured"].tolist() == [10]
    # the same numbers as the metric on the measured molecules directly (lower score is better)
    measured = set(pd.read_csv(tmp / "b1.csv")["smiles"])
    got = [i for i, s in enumerate(oracle["smiles"]) if s in measured]
    ref = top_k_metrics(oracle["score"].to_numpy(float), got, 8, "min")
    assert prog["top8_scores"].iloc[0] == pytest.approx(ref.scores)
    assert prog["top8_avg_score"].iloc[0] == pytest.approx(ref.avg_score)
