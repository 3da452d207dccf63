"""Training and prediction cost before and after the packed pipeline (issue 20), like for like.

Runs the same public-API job in a fresh process once per checkout and repetition,
alternating the checkouts: "before" imports molpred from ``--before`` (a checkout of a8b41b0:
PyG ``DataLoader`` collation per epoch and per ensemble member / MC-dropout pass, per-atom
featurizer), "after" from this checkout. The job: standardise and featurise the MoleculeACE
``--target`` training split, fit a D-MPNN (``--epochs``, seed 0, Chemprop's default size) with
MC dropout, and predict its test split with ``mc_samples`` passes. Times are CPU seconds of
the job's process (the machine is shared; wall clock is reported too). The two checkouts must
give the same predictions (same seed -> same model); the table says how far apart they are.

Results are appended to ``benchmarks/results/pipeline_speed.jsonl`` as each run ends (a
stopped run resumes where it stopped) and summarised in ``pipeline_speed.md``.

Usage::

    nice -n 15 python -m benchmarks.pipeline_speed --before /path/to/a8b41b0/checkout [--reps 2]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from benchmarks.environment import command_line, machine_info, versions

RESULTS = Path(__file__).resolve().parent / "results"
HERE = Path(__file__).resolve().parents[1]

JOB = r"""
import json, sys, time, warnings
import numpy as np, torch
warnings.simplefilter("ignore")
torch.set_num_threads(1)
import torch_geometric.data, torch_geometric.loader  # imported before any clock starts (the "before"
import molpred                                        # code imports them at its first graph)
from molpred import MolPropertyRegressor
from molpred.data.featurized import featurize_smiles
from molpred.featurize import MolGraphFeaturizer
from molpred.chem.standardize import StandardizeConfig
target, epochs, mc = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
df = molpred.datasets.load_moleculeace(target)
train, test = df[df.split == "train"], df[df.split == "test"]
out = {"molpred": molpred.__file__, "n_train": len(train), "n_test": len(test)}
def clock(name, fn):
    c, w = time.process_time(), time.perf_counter()
    r = fn()
    out[name + "_cpu_s"], out[name + "_wall_s"] = time.process_time() - c, time.perf_counter() - w
    return r
clock("featurize_train", lambda: featurize_smiles(list(train.smiles), MolGraphFeaturizer(), StandardizeConfig()))
est = MolPropertyRegressor(model="dmpnn", epochs=epochs, dropout=0.1, uncertainty="dropout", mc_samples=mc, pretrained=None,
                           seed=0, device="cpu")
clock("fit", lambda: est.fit(list(train.smiles), train.y.to_numpy(float)))
out["epochs_run"] = int(est.training_[0]["epochs_run"])
mean, std = clock("predict_mc", lambda: est.predict(list(test.smiles), return_std=True))
out["pred"] = [float(v) for v in mean]
out["std"] = [float(v) for v in std]
print("RESULT " + json.dumps(out))
"""


def _run(path: Path, target: str, epochs: int, mc: int) -> dict:
    env = {**os.environ, "PYTHONPATH": str(path), "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    proc = subprocess.run([sys.executable, "-c", JOB, target, str(epochs), str(mc)], env=env, cwd=str(path),
                          capture_output=True, text=True, check=True)
    line = next(v for v in proc.stdout.splitlines() if v.startswith("RESULT "))
    return json.loads(line[len("RESULT "):])


def _summary(rows: list[dict], args, command: str) -> str:
    def best(label, key):
        vals = [r[key] for r in rows if r["label"] == label]
        return min(vals) if vals else float("nan")

    before = [r for r in rows if r["label"] == "before"]
    after = [r for r in rows if r["label"] == "after"]
    diff = (max(float(np.max(np.abs(np.subtract(a["pred"], b["pred"])))) for a in after for b in before)
            if before and after else float("nan"))
    lines = [
        "# Training and prediction before and after the packed pipeline", "",
        f"Command: `{command}`. Runs done: {len(before)} before, {len(after)} after "
        f"(of {args.reps} each{'' if min(len(before), len(after)) >= args.reps else '; PARTIAL'}).",
        f"Machine: {machine_info()['cpu_model']}, {machine_info()['n_cores']} cores, shared with other sessions "
        f"and benchmarks (load average {rows[-1]['load']} at the last run): compare CPU seconds. Versions: "
        + ", ".join(f"{k} {v}" for k, v in versions().items()) + ".", "",
        f"Job: MoleculeACE {args.target} ({rows[0]['n_train']} training, {rows[0]['n_test']} test molecules); "
        f"D-MPNN (hidden 300, depth 3, batch 64), dropout 0.1, {args.epochs} epochs, seed 0, fit with "
        f"`uncertainty=\"dropout\"` (the fit's validation and calibration predictions run {args.mc} MC passes), "
        f"then `predict(test, return_std=True)` with {args.mc} MC-dropout passes. One thread. Best of the runs:", "",
        "| stage | before: CPU s | after: CPU s | after / before |", "|---|---|---|---|",
    ]
    for key, name in (("featurize_train_cpu_s", "featurise the training split"), ("fit_cpu_s", "fit (all of it)"),
                      ("predict_mc_cpu_s", f"predict test, {args.mc} MC passes")):
        b, a = best("before", key), best("after", key)
        lines.append(f"| {name} | {b:.2f} | {a:.2f} | {a / b:.2f} |")
    lines += ["", f"Largest difference between a before and an after prediction: {diff:.2e} "
              "(same seed, same model).", "",
              "All runs (CPU s: featurise / fit / predict; wall s of fit):", ""]
    for r in rows:
        lines.append(f"- {r['label']} rep {r['rep']} ({r['finished']}): {r['featurize_train_cpu_s']:.2f} / "
                     f"{r['fit_cpu_s']:.2f} / {r['predict_mc_cpu_s']:.2f}; fit wall {r['fit_wall_s']:.1f}")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.pipeline_speed", description=__doc__.split("\n")[0])
    parser.add_argument("--before", required=True, help="checkout of molpred at a8b41b0")
    parser.add_argument("--target", default="CHEMBL204_Ki")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--mc", type=int, default=20)
    parser.add_argument("--reps", type=int, default=2)
    parser.add_argument("--out", default=str(RESULTS))
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    log = out / "pipeline_speed.jsonl"
    rows = [json.loads(v) for v in log.read_text().splitlines()] if log.exists() else []
    command = command_line(argv, module="benchmarks.pipeline_speed")
    for rep in range(args.reps):
        for label, path in (("before", Path(args.before)), ("after", HERE)):
            if any(r["label"] == label and r["rep"] == rep for r in rows):
                continue  # resumed: done already
            row = {"label": label, "rep": rep, **_run(path, args.target, args.epochs, args.mc),
                   "finished": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                   "load": " ".join(f"{v:.1f}" for v in os.getloadavg())}
            rows.append(row)
            with log.open("a") as fh:
                fh.write(json.dumps(row) + "\n")
            (out / "pipeline_speed.md").write_text(_summary(rows, args, command), encoding="utf-8")
    print((out / "pipeline_speed.md").read_text())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
