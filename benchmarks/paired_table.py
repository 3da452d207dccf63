"""Two models side by side on the tasks and seeds both finished (a markdown table).

Each task is scored by its ``headline_metric`` (RMSE for regression, ROC-AUC for
classification), as mean +- standard deviation over the seeds where both models have an ``ok``
row, so a pair is always the same split, data and seed.

Example::

    python -m benchmarks.paired_table benchmarks/results/moleculenet_results.csv \\
        benchmarks/results/admet_results.csv --models molpred-dmpnn molpred-dmpnn-base \\
        --out benchmarks/results/pretrain_moleculenet_admet.md
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["paired_table"]

BETTER = {"rmse": "lower", "mae": "lower", "roc_auc": "higher", "pr_auc": "higher"}


def paired_table(results: pd.DataFrame, first: str, second: str) -> pd.DataFrame:
    """Per task: seeds shared, each model's mean and std of the headline metric, and who wins.

    Parameters
    ----------
    results : pandas.DataFrame
        Runner rows (``task``, ``model``, ``seed``, ``status``, ``headline_metric`` and the metrics).
    first, second : str
        Model names.

    Returns
    -------
    pandas.DataFrame
        One row per task with ``metric``, ``seeds``, ``<model> mean``/``<model> sd`` for both,
        ``difference`` (second - first) and ``better`` (the model with the better mean).
    """
    ok = results[(results["status"] == "ok") & results["model"].isin([first, second])]
    ok = ok.drop_duplicates(["task", "model", "seed"], keep="last")
    rows = []
    for task, part in ok.groupby("task", sort=True):
        metric = str(part["headline_metric"].iloc[0])
        table = part.pivot(index="seed", columns="model", values=metric).dropna()
        if first not in table or second not in table or table.empty:
            continue
        a, b = table[first].to_numpy(float), table[second].to_numpy(float)
        lower = BETTER.get(metric, "lower") == "lower"
        wins = (b.mean() < a.mean()) if lower else (b.mean() > a.mean())
        rows.append({"task": task, "metric": metric, "seeds": " ".join(str(s) for s in table.index),
                     f"{first} mean": a.mean(), f"{first} sd": a.std(ddof=1) if len(a) > 1 else np.nan,
                     f"{second} mean": b.mean(), f"{second} sd": b.std(ddof=1) if len(b) > 1 else np.nan,
                     "difference": b.mean() - a.mean(), "better": second if wins else first})
    return pd.DataFrame(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.paired_table", description=__doc__.split("\n\n")[0])
    parser.add_argument("results", nargs="+", help="<label>_results.csv files written by the runner")
    parser.add_argument("--models", nargs=2, required=True, metavar=("FIRST", "SECOND"))
    parser.add_argument("--out", type=Path, default=None, help="write the table here (markdown) as well")
    args = parser.parse_args(argv)
    frame = pd.concat([pd.read_csv(f) for f in args.results], ignore_index=True)
    table = paired_table(frame, *args.models)
    command = "python -m benchmarks.paired_table " + " ".join(shlex.quote(a) for a in (argv or sys.argv[1:]))
    text = "\n".join([
        f"# {args.models[0]} vs {args.models[1]}",
        "",
        f"Written by `{command}` from the runner's rows: tasks and seeds where both models have an",
        "`ok` row; headline metric mean and sample standard deviation over those seeds;",
        "`difference` = second - first (RMSE: lower is better; ROC-AUC: higher is better).",
        "",
        table.round(4).to_markdown(index=False) if len(table) else "(no task with both models)",
        "",
    ])
    print(text)
    if args.out is not None:
        args.out.write_text(text)
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
