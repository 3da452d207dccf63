"""The molpred-auto comparison pairs targets and reads CPU seconds from the sampler log."""

from __future__ import annotations

import pandas as pd

from benchmarks.stack_table import cpu_per_target, paired_table, render


def _rows(model, tasks, rmse, status="ok"):
    return pd.DataFrame({"task": tasks, "model": model, "seed": 0, "status": status, "rmse": rmse,
                         "rmse_cliff": [r + 0.1 for r in rmse], "n_train": [100 + i for i in range(len(tasks))]})


def test_only_targets_every_model_finished_are_compared():
    auto = _rows("molpred-auto", ["a", "b", "c"], [0.5, 0.6, 0.7])
    ref = pd.concat([_rows("molpred-gp-minmax", ["a", "b", "c"], [0.6, 0.5, 0.8]),
                     _rows("svm", ["a", "b"], [0.9, 0.9]), _rows("svm", ["c"], [0.1], status="error")])
    table = paired_table(auto, ref, models=("molpred-gp-minmax", "svm"))
    assert table.index.tolist() == ["a", "b"]
    text = render(table, {"a": 12.0}, models=("molpred-gp-minmax", "svm"))
    assert "| a | 100 | 0.500 / 0.600 | 0.600 / 0.700 | 0.900 / 1.000 | 12 |" in text
    assert "on 1 of 2 targets" in text and "RMSE +0.0000" in text


def test_cpu_seconds_are_interpolated_between_samples(tmp_path):
    (tmp_path / "run.log").write_text("[bench 10:00:05] moleculeace/A seed=0 model=m (train 1, test 1)\n"
                                      "[bench 10:00:25]   -> ok rmse=1 rmse_cliff=1\n"
                                      "[bench 10:00:25] moleculeace/B seed=0 model=m (train 1, test 1)\n")
    (tmp_path / "cpu.txt").write_text("10:00:00 100 3.0\n10:00:10 104 3.0\n10:00:30 120 3.0\n")
    assert cpu_per_target(tmp_path / "run.log", tmp_path / "cpu.txt") == {"moleculeace/A": 14.0}
