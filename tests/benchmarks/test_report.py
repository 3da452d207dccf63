"""The benchmark report on a suite mixing regression and classification tasks and seeds."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("matplotlib")

from benchmarks.report import summary_markdown, write_report  # noqa: E402


def _frame() -> pd.DataFrame:
    rows = []
    for task, metric, values in (("moleculenet/esol", "rmse", {"svm": (1.0, 1.2, 1.4), "rf": (2.0, 2.0, 2.0)}),
                                 ("moleculenet/bbbp", "roc_auc", {"svm": (0.9, 0.8, 0.7), "rf": (0.6, 0.6, 0.6)})):
        for model, per_seed in values.items():
            for seed, v in enumerate(per_seed):
                rows.append({"task": task, "suite": "moleculenet", "model": model, "epochs": "default", "seed": seed,
                             "status": "ok", "headline_metric": metric, "rmse": v if metric == "rmse" else np.nan,
                             "rmse_cliff": np.nan, "roc_auc": v if metric == "roc_auc" else np.nan, "r2": np.nan,
                             "train_time_s": 1.0, "predict_mol_per_s": 10.0})
    return pd.DataFrame(rows)


def _section(text: str, title: str) -> str:
    return text.split(title, 1)[1].split("\n## ", 1)[0]


def test_each_headline_metric_gets_its_own_per_task_table_with_seed_spread():
    text = summary_markdown(_frame(), [], "moleculenet")
    rmse = _section(text, "## Per task (rmse, lower is better")
    auc = _section(text, "## Per task (roc_auc, higher is better")
    assert "| esol | 2.000 +- 0.000 | 1.200 +- 0.200 |" in rmse and "bbbp" not in rmse
    assert "| bbbp | 0.600 +- 0.000 | 0.800 +- 0.100 |" in auc and "esol" not in auc
    assert "different units" in text  # a multi-data-set mean is flagged as such


def test_report_writes_one_bar_plot_per_headline_metric_and_a_per_data_set_parity_grid(tmp_path):
    pred = tmp_path / "predictions" / "moleculenet"
    pred.mkdir(parents=True)
    for task in ("esol", "freesolv"):
        pd.DataFrame({"y_true": [1.0, 2.0], "y_pred": [1.5, 2.5]}).to_csv(
            pred / f"moleculenet_{task}__svm__s0.csv.gz", index=False)
    summary = write_report(_frame(), tmp_path, "moleculenet").read_text()
    for name in ("moleculenet_rmse_per_task.png", "moleculenet_roc_auc_per_task.png", "moleculenet_parity.png"):
        assert (tmp_path / name).stat().st_size > 1000 and name in summary
    from PIL import Image

    w, h = Image.open(tmp_path / "moleculenet_parity.png").size
    assert h > w  # two data sets stacked in rows, one model column


def test_commands_without_a_recorded_run_are_listed_with_their_rows():
    frame = _frame().assign(command="python -m benchmarks moleculenet --models svm rf",
                            timestamp="2026-11-29T20:00:00+00:00")
    text = summary_markdown(frame, [], "moleculenet")
    assert "recorded no run" in text and "`python -m benchmarks moleculenet --models svm rf` (12 rows" in text


def test_failed_prediction_counts_are_whole_numbers_in_the_means_table():
    frame = _frame().assign(n_failed_predictions=1.0)  # a float column, as read back from the CSV
    means = _section(summary_markdown(frame, [], "moleculenet"), "## Mean over tasks")
    header, _, *rows = [[cell.strip() for cell in line.split("|")] for line in means.splitlines()
                        if line.startswith("|")]
    column = header.index("failed_test_preds")
    assert [row[column] for row in rows] == ["6", "6"]  # 6 rows per model, one failure each


def test_seed_spread_is_the_std_over_seeds_of_the_mean_over_the_tasks_every_seed_finished():
    from benchmarks.report import seed_spread

    rows = []
    for task, per_seed in (("moleculeace/a", (1.0, 2.0, 3.0)), ("moleculeace/b", (3.0, 4.0, 5.0)), ("moleculeace/c", (9.0,))):
        for seed, v in enumerate(per_seed):
            rows.append({"task": task, "suite": "moleculeace", "model": "m", "epochs": "default", "seed": seed,
                         "status": "ok", "rmse": v, "rmse_cliff": v + 1, "roc_auc": np.nan})
    table = seed_spread(pd.DataFrame(rows)).iloc[0]
    assert table["tasks"] == 2  # task c has one seed: left out
    assert table["rmse_per_seed"] == "2.0000 3.0000 4.0000"
    assert table["rmse_mean"] == pytest.approx(3.0) and table["rmse_std"] == pytest.approx(1.0)
    text = summary_markdown(pd.DataFrame(rows).assign(headline_metric="rmse", r2=np.nan, train_time_s=1.0,
                                                      predict_mol_per_s=1.0), [], "moleculeace")
    assert "| m | default | 0 1 2 | 2 | 3.000 +- 1.000 | 2.0000 3.0000 4.0000 |" in text
