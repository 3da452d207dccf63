"""The paired table compares two models on the seeds both finished, by each task's headline metric."""

from __future__ import annotations

import pandas as pd
import pytest

from benchmarks.paired_table import main, paired_table


def _rows() -> pd.DataFrame:
    return pd.DataFrame({
        "task": ["reg"] * 5 + ["cls"] * 4,
        "model": ["a", "b", "a", "b", "a", "a", "b", "a", "b"],
        "seed": [0, 0, 1, 1, 2, 0, 0, 1, 1],
        "status": ["ok"] * 9,
        "headline_metric": ["rmse"] * 5 + ["roc_auc"] * 4,
        "rmse": [1.0, 0.8, 1.2, 1.0, 9.0, None, None, None, None],
        "roc_auc": [None] * 5 + [0.70, 0.60, 0.80, 0.70],
    })


def test_pairs_share_seeds_and_the_winner_follows_the_metric_direction():
    table = paired_table(_rows(), "a", "b").set_index("task")
    # seed 2 has only model a: left out, so a's mean is over seeds 0 and 1
    assert table.loc["reg", "seeds"] == "0 1"
    assert table.loc["reg", "a mean"] == pytest.approx(1.1)
    assert table.loc["reg", "difference"] == pytest.approx(-0.2) and table.loc["reg", "better"] == "b"
    # ROC-AUC: higher is better, so the lower b loses
    assert table.loc["cls", "difference"] == pytest.approx(-0.1) and table.loc["cls", "better"] == "a"


def test_main_writes_the_markdown(tmp_path):
    src = tmp_path / "x_results.csv"
    _rows().to_csv(src, index=False)
    out = tmp_path / "t.md"
    assert main([str(src), "--models", "a", "b", "--out", str(out)]) == 0
    text = out.read_text()
    assert "# a vs b" in text and "| reg" in text and "python -m benchmarks.paired_table" in text
