"""Summarise a ``molpred pretrain`` run directory: molecules, epochs, wall time, throughput, loss curve.

    python -m benchmarks.pretrain_run_report RUN_DIR --out benchmarks/results/pretrain_run
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np


def main(argv=None) -> int:
    from benchmarks.environment import machine_info, versions
    from molpred.pretrain.cache import cache_summary
    from molpred.pretrain.report import plot_loss_curve, read_log

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("run")
    p.add_argument("--out", default="benchmarks/results/pretrain_run")
    p.add_argument("--note", default="")
    args = p.parse_args(argv)
    run, out = Path(args.run), Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    cfg = json.loads((run / "run.json").read_text())
    latest = json.loads((run / "latest.json").read_text())
    state = json.loads((run / latest["checkpoint"] / "state.json").read_text())
    rows = read_log(run / "log.jsonl")
    summary = cache_summary(run / "cache", cfg["max_molecules"])
    rates = np.array([r["mol_per_s"] for r in rows])
    desc = json.loads((run / "descriptor_pass.json").read_text()) if (run / "descriptor_pass.json").exists() else {}
    plot_loss_curve(run / "log.jsonl", out.with_name(out.name + "_loss.png"))
    lines = [
        "# molpred pretraining run (descriptor objective)", "",
        f"command: `molpred pretrain --data {cfg['data']} --out {run} --max-molecules {cfg['max_molecules']} "
        f"--epochs {cfg['epochs']} --chunk-size {cfg['chunk_size']} --jobs {cfg['n_jobs']} "
        f"--checkpoint-every {cfg['checkpoint_every']} --log-every {cfg['log_every']}` (niced, one thread)",
        f"machine: {machine_info()}", f"versions: {versions()}", "",
        f"- data: first {cfg['max_molecules']} rows: {summary['rows']} rows, {summary['usable']} used, "
        f"{summary['excluded']} excluded (per source: {summary['excluded_per_source']}), statuses {summary['statuses']}",
        f"- state at the latest checkpoint ({latest['checkpoint']}): {state['step']} steps, "
        f"{state['molecules_seen']} molecules seen = {state['molecules_seen'] / summary['usable']:.2f} epochs "
        f"({state['epoch']} complete), {state['wall_seconds']:.0f} s of training wall time",
        f"- training throughput (log windows of {cfg['log_every']} steps): median {np.median(rates):.1f} "
        f"molecules/s (min {rates.min():.1f}, max {rates.max():.1f}), on a CPU shared with other jobs",
        f"- descriptor loss (masked MSE on standardised descriptors): first window {rows[0]['loss']:.3f}, "
        f"last window {rows[-1]['loss']:.3f}",
        f"- descriptor pass as recorded by the run: {desc}",
        f"- loss curve: `{out.name}_loss.png`", "", args.note, "",
    ]
    out.with_suffix(".md").write_text("\n".join(lines))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
