"""``molpred-auto`` against its candidates and the SVM, paired on the targets it has finished.

Reads the ``molpred-auto`` rows of one results CSV and the reference rows (``molpred-gp-minmax``,
``molpred-svr-minmax``, ``molpred-mlp``, ``svm``) of another, keeps the targets every model
finished with the same seed, and writes a markdown table: per target and mean RMSE /
RMSE_cliff, how often ``auto`` beats the best single model, and (optionally) the CPU seconds
each ``auto`` target took, from a sampler log of ``HH:MM:SS cpu_seconds load`` lines matched
to the run log's ``[bench HH:MM:SS]`` lines.

Example::

    python -m benchmarks.stack_table benchmarks/results-auto/moleculeace_results.csv \\
        benchmarks/results/moleculeace_results.csv --run-log benchmarks/results-auto/run.log \\
        --cpu-log benchmarks/results-auto/cpu_samples.txt --out benchmarks/results-auto/moleculeace_auto.md
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["paired_table", "cpu_per_target", "REFERENCE_MODELS"]

REFERENCE_MODELS = ("molpred-gp-minmax", "molpred-svr-minmax", "molpred-mlp", "svm")


def paired_table(auto: pd.DataFrame, reference: pd.DataFrame, models=REFERENCE_MODELS, seed: int = 0,
                 auto_model: str = "molpred-auto") -> pd.DataFrame:
    """One row per target every model finished: ``<model>.rmse`` and ``<model>.rmse_cliff`` columns.

    Parameters
    ----------
    auto, reference : pandas.DataFrame
        Benchmark result rows (``task``, ``model``, ``seed``, ``status``, ``rmse``, ``rmse_cliff``).
    """
    rows = pd.concat([auto[auto["model"] == auto_model], reference[reference["model"].isin(models)]])
    rows = rows[(rows["seed"] == seed) & (rows["status"] == "ok")].drop_duplicates(["task", "model"], keep="last")
    wide = rows.pivot(index="task", columns="model", values=["rmse", "rmse_cliff"])
    wide.columns = [f"{m}.{metric}" for metric, m in wide.columns]
    order = [auto_model, *models]
    wide = wide[[f"{m}.{k}" for m in order for k in ("rmse", "rmse_cliff")]].dropna()
    n_train = rows[rows["model"] == auto_model].set_index("task")["n_train"]
    wide.insert(0, "n_train", n_train.reindex(wide.index).astype(int))
    return wide.sort_values("n_train")


def cpu_per_target(run_log: Path, cpu_log: Path) -> dict[str, float]:
    """CPU seconds of each finished target: sampler CPU at the target's end minus at its start."""
    samples = []
    for line in cpu_log.read_text().splitlines():
        parts = line.split()
        if len(parts) >= 2:
            samples.append((parts[0], float(parts[1])))
    if not samples:
        return {}
    times = np.array([_seconds(t) for t, _ in samples])
    cpu = np.array([c for _, c in samples])
    out, current = {}, None
    for line in run_log.read_text().splitlines():
        m = re.match(r"\[bench (\d\d:\d\d:\d\d)\] (\S+) seed=", line)
        if m:
            current = (m.group(2), _seconds(m.group(1)))
            continue
        m = re.match(r"\[bench (\d\d:\d\d:\d\d)\]\s+-> ok", line)
        if m and current is not None:
            start, end = current[1], _seconds(m.group(1))
            if times[0] <= start and end <= times[-1]:
                out[current[0]] = float(np.interp(end, times, cpu) - np.interp(start, times, cpu))
            current = None
    return out


def _seconds(hms: str) -> int:
    h, m, s = (int(x) for x in hms.split(":"))
    return 3600 * h + 60 * m + s


def render(table: pd.DataFrame, cpu: dict[str, float], models=REFERENCE_MODELS,
           auto_model: str = "molpred-auto") -> str:
    """The markdown body: per-target rows, means, wins."""
    names = [auto_model, *models]
    head = "| target | n_train | " + " | ".join(f"{m} RMSE / cliff" for m in names) + " | auto CPU s |"
    lines = [head, "|" + "---|" * (len(names) + 3)]
    for task, r in table.iterrows():
        cells = " | ".join(f"{r[f'{m}.rmse']:.3f} / {r[f'{m}.rmse_cliff']:.3f}" for m in names)
        c = cpu.get(task)
        lines.append(f"| {task.split('/')[-1]} | {int(r['n_train'])} | {cells} | {'' if c is None else f'{c:.0f}'} |")
    means = " | ".join(f"**{table[f'{m}.rmse'].mean():.3f} / {table[f'{m}.rmse_cliff'].mean():.3f}**" for m in names)
    lines.append(f"| mean of {len(table)} | | {means} | |")
    best_single = table[[f"{m}.rmse" for m in models]].min(axis=1)
    gp = table[f"{models[0]}.rmse"]
    lines += ["", f"`{auto_model}` has the lower RMSE than `{models[0]}` on {int((table[f'{auto_model}.rmse'] < gp).sum())} "
              f"of {len(table)} targets, and than the best of the {len(models)} single models on that target on "
              f"{int((table[f'{auto_model}.rmse'] < best_single).sum())}; mean paired difference auto - "
              f"{models[0]}: RMSE {(table[f'{auto_model}.rmse'] - gp).mean():+.4f}, RMSE_cliff "
              f"{(table[f'{auto_model}.rmse_cliff'] - table[f'{models[0]}.rmse_cliff']).mean():+.4f}."]
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("auto_csv")
    p.add_argument("reference_csv")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--auto-model", default="molpred-auto", help="the stack's model name in auto_csv")
    p.add_argument("--run-log", type=Path, default=None)
    p.add_argument("--cpu-log", type=Path, default=None)
    p.add_argument("--out", type=Path, default=None)
    args = p.parse_args(argv)
    table = paired_table(pd.read_csv(args.auto_csv), pd.read_csv(args.reference_csv), seed=args.seed,
                         auto_model=args.auto_model)
    cpu = cpu_per_target(args.run_log, args.cpu_log) if args.run_log and args.cpu_log else {}
    text = render(table, cpu, auto_model=args.auto_model)
    if args.out:
        args.out.write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
