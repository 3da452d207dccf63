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
