"""The ablation table compares each configuration with the reference on the same targets."""

from __future__ import annotations

import pandas as pd
import pytest

from benchmarks.ablation_table import ablation_table

ABL = (("g", "ref", "the reference", None), ("g", "part", "a partial run", "ref"), ("g", "absent", "never run", "ref"))


def _frame(model, tasks, rmse, seed=0, status="ok"):
    return pd.DataFrame({"model": model, "task": tasks, "seed": seed, "status": status,
                         "rmse": rmse, "rmse_cliff": [r + 0.1 for r in rmse]})


def test_partial_runs_are_compared_on_their_own_targets():
    main = pd.concat([_frame("ref", ["a", "b", "c"], [1.0, 2.0, 3.0]), _frame("part", ["a"], [0.5])])
    table = ablation_table([main], "ref", ABL).set_index("model")
    assert "absent" not in table.index
    assert table.loc["ref", "targets"] == 3 and table.loc["ref", "rmse"] == pytest.approx(2.0)
    assert table.loc["part", "targets"] == 1
    assert table.loc["part", "ref_rmse"] == pytest.approx(1.0)  # the reference on target a only
    assert table.loc["part", "d_rmse"] == pytest.approx(-0.5)
    assert table.loc["part", "d_rmse_cliff"] == pytest.approx(-0.5)
    assert table.loc["part", "changes"] == "ref" and table.loc["part", "vs_changes_rmse"] == pytest.approx(-0.5)
    assert table.loc["part", "lower_rmse"] == "1/1" and table.loc["part", "lower_rmse_cliff"] == "1/1"
    assert pd.isna(table.loc["ref", "changes"])


def test_first_file_wins_and_other_seeds_or_errors_are_ignored():
    first = pd.concat([_frame("ref", ["a"], [1.0]), _frame("part", ["a"], [2.0])])
    later = pd.concat([_frame("part", ["a"], [9.0]), _frame("ref", ["a"], [5.0], seed=1),
                       _frame("ref", ["b"], [7.0], status="error")])
    table = ablation_table([first, later], "ref", ABL).set_index("model")
    assert table.loc["part", "rmse"] == pytest.approx(2.0)
    assert table.loc["ref", "targets"] == 1
