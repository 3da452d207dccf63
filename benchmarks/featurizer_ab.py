"""Graph featurizer version A/B on one benchmark task: same split, same seed, same network.

Trains one molpred graph network per (version, seed) on a task's split exactly as the runner
does (``benchmarks.models.MolpredModel``), with the ``molgraph`` featurizer of the version asked
for, and appends one JSON line per run to ``<out>/featurizer_ab.jsonl``; then writes
``featurizer_ab.md`` from every line so far. Runs already in the file are skipped, so the
command resumes. Example (issue 16: did featurizer v2 cause the Lipophilicity re-run's rise?)::

    python -m benchmarks.featurizer_ab moleculenet/lipophilicity --model dmpnn --seeds 1 2 --versions 1 2

Estimators always build the current featurizer; this ablation swaps the version in by replacing
the featurizer lookup of ``molpred.train.fitting`` for the duration of one run. It is a
benchmark-only device, not a user option.
"""

from __future__ import annotations

import argparse
import json
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks.environment import command_line, machine_info, versions

__all__ = ["run_one", "main"]

RESULTS = Path(__file__).resolve().parent / "results"


@contextmanager
def _molgraph_version(version: int):
    import molpred.train.fitting as fitting
    from molpred.featurize import MolGraphFeaturizer
    from molpred.featurize.registry import get_featurizer

    original = fitting.get_featurizer
    fitting.get_featurizer = (lambda name, **kw: MolGraphFeaturizer(version=version) if name == "molgraph"
                              else get_featurizer(name, **kw))
    try:
        yield
    finally:
        fitting.get_featurizer = original


def run_one(task_name: str, model: str, version: int, seed: int) -> dict:
    """Train and score one network; returns the JSON record (test RMSE or ROC-AUC, the best
    epoch, the featurizer spec the model saved, wall time)."""
    from benchmarks.models import MolpredModel
    from benchmarks.runner import evaluate
    from benchmarks.tasks import get_task, load_task

    task = get_task(task_name)
    data = load_task(task, seed)
    net = MolpredModel(model, task.task_type, seed)
    t0 = time.perf_counter()
    with _molgraph_version(version):
        net.fit(data.smiles_train, data.y_train, data.smiles_val or None, data.y_val if data.smiles_val else None)
    train_s = time.perf_counter() - t0
    scores = evaluate(data, net.predict(data.smiles_test))
    history = net.estimator_.training_[0]
    return {"task": task.name, "model": model, "version": version, "seed": seed,
            "metric": task.metrics[0], "value": float(scores[task.metrics[0]]),
            "best_epoch": history.get("best_epoch") if isinstance(history, dict) else None,
            "featurizer": net.estimator_.featurizer_.spec(), "train_s": round(train_s, 1),
            "machine": machine_info(), "versions": versions(),
            "timestamp": pd.Timestamp.now(tz="UTC").isoformat(timespec="seconds")}


def _report(records: list[dict], command: str) -> str:
    frame = pd.DataFrame(records)
    table = frame.pivot_table(index=["task", "model", "seed"], columns="version", values="value").reset_index()
    table.columns = [f"v{c}" if isinstance(c, (int, np.integer)) else c for c in table.columns]
    return "\n".join([
        "# Graph featurizer A/B: molgraph versions on the same split, seed and network",
        "",
        f"Command (latest): `{command}`. Rows: `featurizer_ab.jsonl` (machine, versions, wall time per run).",
        f"Headline metric per cell ({', '.join(sorted(frame['metric'].unique()))}), one column per featurizer version.",
        "",
        table.to_markdown(index=False, floatfmt=".3f"),
        "",
    ])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.featurizer_ab", description=__doc__.split("\n")[0])
    parser.add_argument("task", help="benchmark task, e.g. moleculenet/lipophilicity")
    parser.add_argument("--model", default="dmpnn", choices=["dmpnn", "gine", "attentivefp"])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--versions", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--out", default=str(RESULTS))
    args = parser.parse_args(argv)
    path = Path(args.out) / "featurizer_ab.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    records = [json.loads(line) for line in path.read_text().splitlines() if line] if path.exists() else []
    done = {(r["task"], r["model"], r["version"], r["seed"]) for r in records}
    from benchmarks.tasks import get_task

    task = get_task(args.task).name
    for seed in args.seeds:
        for version in args.versions:
            if (task, args.model, version, seed) in done:
                continue
            rec = run_one(task, args.model, version, seed)
            with path.open("a", encoding="utf-8") as fh:
                fh.write(json.dumps(rec) + "\n")
            records.append(rec)
            print(f"{task} {args.model} v{version} seed {seed}: {rec['metric']} {rec['value']:.3f}", flush=True)
    if records:
        (path.parent / "featurizer_ab.md").write_text(
            _report(records, command_line(argv, module="benchmarks.featurizer_ab")), encoding="utf-8")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
