"""Paired table: each tuned model against its defaults on the MoleculeACE targets both finished.

Example::

    python -m benchmarks.tuned_report benchmarks/results-tune/moleculeace_results.csv \\
        --pair molpred-gp-minmax molpred-gp-minmax-tuned
"""

from __future__ import annotations

import argparse
import json

import numpy as np
import pandas as pd

__all__ = ["paired_rows", "paired_markdown"]


def paired_rows(results: pd.DataFrame, default: str, tuned: str, seed: int = 0) -> pd.DataFrame:
    """One row per task with an ``ok`` row for both models: their RMSE, RMSE_cliff and the tuning record."""
    ok = results[(results["seed"] == seed) & (results["status"] == "ok")].drop_duplicates(["task", "model"], keep="last")
    a = ok[ok["model"] == default].set_index("task")
    b = ok[ok["model"] == tuned].set_index("task")
    tasks = [t for t in b.index if t in a.index]
    out = pd.DataFrame({
        "task": [t.split("/")[-1] for t in tasks],
        "n_train": b.loc[tasks, "n_train"].to_numpy(),
        "rmse_default": a.loc[tasks, "rmse"].to_numpy(), "rmse_tuned": b.loc[tasks, "rmse"].to_numpy(),
        "cliff_default": a.loc[tasks, "rmse_cliff"].to_numpy(), "cliff_tuned": b.loc[tasks, "rmse_cliff"].to_numpy(),
    })
    for col in ("tune_defaults_cv_value", "tune_cv_value", "tune_trials", "tune_pruned", "tune_cpu_s",
                "tuned_params", "train_time_s"):
        out[col] = b.loc[tasks, col].to_numpy() if col in b else np.nan
    out["default_train_time_s"] = a.loc[tasks, "train_time_s"].to_numpy()
    return out


def _params(text) -> str:
    try:
        params = json.loads(text)
    except (TypeError, ValueError):
        return ""
    if not params:
        return "defaults kept"
    return ", ".join(f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}" for k, v in params.items())


def paired_markdown(rows: pd.DataFrame, default: str, tuned: str) -> str:
    """Markdown: per-task table, then means and win counts."""
    lines = [f"**{tuned} vs {default}** ({len(rows)} targets, seed 0; test RMSE in -log10(K/nM); "
             "CV = 3-fold cross-validated RMSE inside the training set)", "",
             "| target | n_train | RMSE default | RMSE tuned | cliff default | cliff tuned | CV default | CV tuned "
             "| trials (pruned) | tuning CPU s | chosen |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows.itertuples():
        lines.append(f"| {r.task} | {r.n_train} | {r.rmse_default:.4f} | {r.rmse_tuned:.4f} | {r.cliff_default:.4f} "
                     f"| {r.cliff_tuned:.4f} | {r.tune_defaults_cv_value:.4f} | {r.tune_cv_value:.4f} "
                     f"| {int(r.tune_trials)} ({int(r.tune_pruned)}) | {r.tune_cpu_s:.0f} | {_params(r.tuned_params)} |")
    if len(rows):
        d_rmse = rows["rmse_tuned"] - rows["rmse_default"]
        d_cliff = rows["cliff_tuned"] - rows["cliff_default"]
        lines += ["", f"Mean RMSE {rows['rmse_default'].mean():.4f} (default) -> {rows['rmse_tuned'].mean():.4f} "
                  f"(tuned), mean paired difference {d_rmse.mean():+.4f}; tuned lower on {int((d_rmse < 0).sum())} "
                  f"of {len(rows)} targets, equal on {int((d_rmse == 0).sum())}.",
                  f"Mean RMSE_cliff {rows['cliff_default'].mean():.4f} -> {rows['cliff_tuned'].mean():.4f}, "
                  f"paired difference {d_cliff.mean():+.4f}; tuned lower on {int((d_cliff < 0).sum())} of {len(rows)}.",
                  f"Mean CV RMSE inside training {rows['tune_defaults_cv_value'].mean():.4f} (defaults, trial 0) -> "
                  f"{rows['tune_cv_value'].mean():.4f} (best trial)."]
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", nargs="+", help="results CSV(s) (rows of both models)")
    parser.add_argument("--pair", nargs=2, action="append", required=True, metavar=("DEFAULT", "TUNED"))
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    results = pd.concat([pd.read_csv(p) for p in args.results], ignore_index=True)
    for default, tuned in args.pair:
        print(paired_markdown(paired_rows(results, default, tuned, args.seed), default, tuned))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
