"""The mean table averages only over tasks every model finished."""

from __future__ import annotations

import pandas as pd

from benchmarks.mean_table import mean_table


def test_means_use_only_tasks_that_every_model_finished():
    rows = pd.DataFrame({
        "task": ["a", "a", "b", "b", "c"],
        "model": ["svm", "svr", "svm", "svr", "svm"],
        "seed": 0,
        "status": ["ok", "ok", "ok", "error", "ok"],
        "rmse": [1.0, 2.0, 3.0, 4.0, 5.0],
        "rmse_cliff": [1.0, 1.0, 1.0, 1.0, 1.0],
        "train_time_s": 1.0,
        "n_failed_predictions": [0, 2, 0, 0, 0],
    })
    table, n = mean_table(rows, ["svm", "svr"])
    assert n == 1
    assert table.loc["svm", "rmse"] == 1.0 and table.loc["svr", "rmse"] == 2.0
    assert table.loc["svr", "failed_predictions"] == 2
