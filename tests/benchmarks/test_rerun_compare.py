"""The before/after table of a re-run compares the same seeds of the same (task, model)."""

from __future__ import annotations

import pandas as pd
import pytest

from benchmarks.rerun_compare import compare


def _rows(values: dict, metric: str = "rmse") -> pd.DataFrame:
    return pd.DataFrame([{"task": f"moleculenet/{t}", "model": m, "seed": s, "status": "ok",
                          "headline_metric": metric, metric: v} for (t, m, s), v in values.items()])


def test_compare_uses_only_seeds_both_runs_finished():
    before = _rows({("esol", "svm", 0): 1.0, ("esol", "svm", 1): 2.0, ("esol", "svm", 2): 9.0,
                    ("esol", "rf", 0): 1.5})
    after = _rows({("esol", "svm", 0): 0.5, ("esol", "svm", 1): 1.5, ("lipo", "svm", 0): 0.7})
    table = compare(before, after)
    assert table[["task", "model", "seeds"]].values.tolist() == [["esol", "svm", "0 1"]]  # rf and lipo: one side only
    row = table.iloc[0]
    assert (row["before"], row["after"]) == (1.5, 1.0)  # seed 2 of the old run is left out
    assert row["change"] == pytest.approx(-0.5)


def test_compare_reads_each_rows_headline_metric_and_skips_failed_rows():
    before = pd.concat([_rows({("bace", "svm", 0): 0.80}, "roc_auc"),
                        _rows({("bace", "rf", 0): 0.70}, "roc_auc").assign(status="error")])
    after = pd.concat([_rows({("bace", "svm", 0): 0.85}, "roc_auc"), _rows({("bace", "rf", 0): 0.75}, "roc_auc")])
    table = compare(before, after)
    assert table["model"].tolist() == ["svm"] and table["metric"].tolist() == ["roc_auc"]
    assert table["change"].iloc[0] == pytest.approx(0.05)


def test_worst_molecule_names_the_molecule_behind_a_rise(tmp_path):
    from benchmarks.rerun_compare import worst_molecule

    folder = tmp_path / "predictions" / "moleculenet"
    folder.mkdir(parents=True)
    # seed 0 holds an outlier predicted 9 units off; seed 1 does not hold it
    pd.DataFrame({"smiles": ["CCO", "CCN", "OP(=O)(O)O"], "y_true": [1.0, 2.0, 2.5], "y_pred": [1.1, 2.1, -6.5]}
                 ).to_csv(folder / "moleculenet_lipophilicity__molpred-dmpnn__s0.csv.gz", index=False)
    pd.DataFrame({"smiles": ["CCC", "CCCl"], "y_true": [1.0, 2.0], "y_pred": [1.3, 1.7]}
                 ).to_csv(folder / "moleculenet_lipophilicity__molpred-dmpnn__s1.csv.gz", index=False)
    table = pd.DataFrame([{"task": "lipophilicity", "model": "molpred-dmpnn", "metric": "rmse", "seeds": "0 1",
                           "before": 0.5, "after": 2.0, "change": 1.5},
                          {"task": "lipophilicity", "model": "svm", "metric": "rmse", "seeds": "0 1",
                           "before": 0.5, "after": 0.52, "change": 0.02}])  # below the threshold: not examined
    out = worst_molecule(table, folder, "moleculenet")
    assert out["model"].tolist() == ["molpred-dmpnn"]
    row = out.iloc[0]
    assert row["smiles"] == "OP(=O)(O)O" and row["y_true"] == 2.5 and row["y_pred"] == "0: -6.50"
    without = (0.1 + 0.3) / 2  # seed 0 without the outlier: both errors 0.1; seed 1 unchanged: 0.3
    assert row["after_without"] == pytest.approx(without)
    assert row["after"] > 2.5
