"""The runner of MolPAL's own code: its arguments, its outputs read back, MolPAL's metrics."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from benchmarks.molpal_paper_code import (
    conf_method,
    exploration_seconds,
    explored_rounds,
    main,
    molpal_argv,
    positions_of,
    score_rounds,
)


def test_conf_method_follows_molpals_experiment_script():
    # scripts/submit_molpal.py: mve for every MPN run, dropout for NN except greedy, none for RF
    assert conf_method("mpn", "greedy") == "mve"
    assert conf_method("mpn", "ucb") == "mve"
    assert conf_method("nn", "greedy") == "none"
    assert conf_method("nn", "ucb") == "dropout"
    assert conf_method("rf", "greedy") == "none"


def test_argv_names_the_run_and_passes_seed_and_protocol(tmp_path):
    argv = molpal_argv("50k", "mpn", "ucb", 3, tmp_path)
    opts = dict(zip(argv[::2], argv[1::2]))
    assert opts["--config"] == "config_expts/Enamine50k_retrain.ini"
    assert opts["--name"] == "50k_mpn_ucb_0.01_3_retrain"
    assert (opts["--init-size"], opts["--batch-size"], opts["--seed"]) == ("0.01", "0.01", "3")
    assert opts["--conf-method"] == "mve" and opts["--root"] == str(tmp_path)


def test_exploration_seconds_reads_molpals_last_line(tmp_path):
    log = tmp_path / "run.log"
    log.write_text("Welcome\nTotal time for exploration: 0d 1h 2m 3.50s\nThanks for using MolPAL!\n")
    assert exploration_seconds(log) == pytest.approx(3723.5)
    log.write_text("Welcome\nTraceback (most recent call last):\n")
    assert exploration_seconds(log) is None


def test_positions_of_takes_duplicates_in_turn_and_rejects_strangers():
    lib = ["CCO", "CCN", "CCO", "c1ccccc1"]
    assert positions_of(["CCO", "c1ccccc1", "CCO"], lib).tolist() == [0, 3, 2]
    with pytest.raises(ValueError, match="not in the library"):
        positions_of(["CCCl"], lib)


def test_rounds_are_read_in_order_and_scored_with_molpals_tie_rule(tmp_path):
    data = tmp_path / "run" / "data"
    data.mkdir(parents=True)
    lib = ["A", "B", "C", "D", "E"]
    values = np.array([-9.9, -9.5, -9.5, -7.0, np.nan])  # k = 2: -9.9 and one of the two -9.5
    # MolPAL writes its scores negated (it maximises); only the SMILES are read back
    pd.DataFrame({"smiles": ["D", "E"], "score": [7.0, None]}).to_csv(data / "top_2_explored_iter_0.csv", index=False)
    pd.DataFrame({"smiles": ["D", "E", "C", "A"], "score": [7.0, None, 9.5, 9.9]}).to_csv(
        data / "top_4_explored_iter_1.csv", index=False)
    rounds = explored_rounds(tmp_path / "run")
    assert [r for r, _ in rounds] == [0, 1]
    rows = score_rounds(rounds, values, lib, 2)
    assert [r["n_evaluated"] for r in rows] == [2, 4]
    assert rows[0]["top2_scores"] == 0.0
    # C ties with B at the 2nd best score: it counts for the scores metric, not for the SMILES one
    assert rows[1]["top2_scores"] == 1.0 and rows[1]["top2_smiles"] == 0.5
    assert rows[1]["top2_avg_score"] == pytest.approx(-9.7)


def test_report_tables_final_rounds_beside_molpals_numbers(tmp_path):
    rows = []
    for seed, found in [(1, 0.80), (0, 0.70)]:  # out of order, as a later run of seed 0 would be
        for rnd in (0, 5):
            rows.append({"name": f"10k_mpn_greedy_0.01_{seed}_retrain", "library": "10k", "model": "mpn",
                         "metric": "greedy", "conf_method": "mve", "seed": seed, "final": rnd == 5, "round": rnd,
                         "top_k": 100, "top100_scores": found if rnd else 0.01, "top100_smiles": found - 0.05,
                         "run_wall_seconds": 600.0, "peer_versions": {"torch": "x"}, "machine": {"n_cores": 2},
                         "command": "python -m benchmarks.molpal_paper_code run --library 10k"})
    (tmp_path / "molpal_paper_code.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert main(["report", "--out", str(tmp_path)]) == 0
    text = (tmp_path / "molpal_paper_code.md").read_text()
    row = next(line for line in text.splitlines() if line.startswith("| 10k"))
    assert "| 75.0 +- 7.1 | 67.0 |" in row and "| 70.0, 80.0 |" in row and "| 10.0 |" in row


def test_summary_feeds_the_reproduction_rows_of_the_molpal_report(tmp_path):
    from benchmarks.molpal import _code_here
    from benchmarks.molpal_paper_code import summary

    path = tmp_path / "molpal_paper_code.jsonl"
    rows = [{"name": f"50k_rf_greedy_0.01_{s}_retrain", "library": "50k", "model": "rf", "metric": "greedy",
             "seed": s, "final": True, "top_k": 500, "top500_scores": v} for s, v in [(2, 0.6), (0, 0.5)]]
    rows.append({**rows[0], "final": False, "top500_scores": 0.1})  # an earlier round: not a result
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    code = summary(path)
    assert code == {("50k", "rf", "greedy"): {2: 60.0, 0: 50.0}}
    assert _code_here(code, "50k", "molpal-rf-greedy", [0, 1, 2]) == {"scores_pct_mean": 55.0, "scores_pct_std": 7.1,
                                                                      "seeds": "0 2"}
    assert _code_here(code, "50k", "molpal-rf-greedy", [2])["scores_pct_std"] is None  # one seed: no spread
    assert _code_here(code, "50k", "molpal-rf-greedy", [5, 6]) == {}  # no common seed: nothing to compare
    assert _code_here(code, "50k", "molpal-rf-greedy (mse head)", [0]) == {}  # a variant is not MolPAL's run
    assert _code_here(code, "10k", "molpal-rf-greedy", [0]) == {} and summary(tmp_path / "absent.jsonl") == {}
