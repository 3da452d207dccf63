"""Mean metrics of several models over the tasks every one of them finished (a markdown table).

Example::

    python -m benchmarks.mean_table benchmarks/results/moleculeace_results.csv \\
        --models svm molpred-svr molpred-gp --seed 0
"""

from __future__ import annotations

import argparse

import pandas as pd

__all__ = ["mean_table"]


def mean_table(results: pd.DataFrame, models: list[str], seed: int = 0,
               metrics: tuple[str, ...] = ("rmse", "rmse_cliff")) -> tuple[pd.DataFrame, int]:
    """Per-model means over the tasks with an ``ok`` row for every model (same seed).

    Returns
    -------
    table : pandas.DataFrame
        One row per model: the metric means, total training time and failed predictions.
    n_tasks : int
        Number of tasks averaged.
    """
    rows = results[(results["seed"] == seed) & (results["status"] == "ok") & results["model"].isin(models)]
    rows = rows.drop_duplicates(["task", "model"], keep="last")
    complete = rows.groupby("task")["model"].nunique()
    tasks = complete[complete == len(models)].index
    rows = rows[rows["task"].isin(tasks)]
    table = rows.groupby("model").agg(
        **{m: (m, "mean") for m in metrics},
        train_time_s=("train_time_s", "sum"),
        failed_predictions=("n_failed_predictions", "sum"),
    ).reindex(models)
    return table, len(tasks)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.mean_table", description=__doc__.split("\n\n")[0])
    parser.add_argument("results", help="a <label>_results.csv written by the runner")
    parser.add_argument("--models", nargs="+", required=True)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    table, n = mean_table(pd.read_csv(args.results), args.models, args.seed)
    print(f"{n} tasks with an ok row for every model, seed {args.seed}\n")
    print(table.round(4).to_markdown())
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
