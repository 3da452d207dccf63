"""Transfer across targets (issue 17, item 4): a multi-task D-MPNN on the MoleculeACE training
splits, used as the starting point (``init_from``) for one target.

The source model is trained once per seed, starting from the shipped ``molpred-base`` encoder,
on the training splits of all 30 MoleculeACE targets
together (one column per target, missing labels masked), with **every molecule that is in any
target's test split removed** ("strict"). Without that removal 3,884 of the 9,802 test molecules
(40%) would sit in another target's training split with a label for a related target, and the
comparison with single-task models would measure that overlap, not transfer. The benchmark
entry ``molpred-dmpnn-mt`` then fine-tunes the source's encoder on one target's own training
split, exactly as ``molpred-dmpnn-base`` fine-tunes ``molpred-base``.

    python -m benchmarks.multitask_transfer --seed 0          # build (or show) the source model
    python -m benchmarks moleculeace --models molpred-dmpnn-mt --seeds 0 --smallest-first --no-report

The source is cached under ``$MOLPRED_CACHE_DIR`` (default ``~/.cache/molpred``)
``/benchmarks/moleculeace-mt-strict-s<seed>``, with ``source.json`` (molecules, targets,
molecules removed, wall time). It is built under a file lock, so two benchmark lanes never
train it twice.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import time
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["source_table", "source_model", "cache_dir"]


def cache_dir() -> Path:
    """``$MOLPRED_CACHE_DIR/benchmarks`` (default ``~/.cache/molpred/benchmarks``)."""
    root = Path(os.environ.get("MOLPRED_CACHE_DIR", Path.home() / ".cache" / "molpred"))
    return root / "benchmarks"


def _canonical(smiles: list[str]) -> list[str | None]:
    from molpred.chem.standardize import canonical_smiles, to_mol
    from molpred.exceptions import MolpredError

    out: list[str | None] = []
    for s in smiles:
        try:
            out.append(canonical_smiles(to_mol(s)))
        except MolpredError:
            out.append(None)
    return out


def source_table(seed: int = 0) -> tuple[pd.DataFrame, dict]:
    """The multi-task training table: one row per standardised molecule, one column per target.

    Parameters
    ----------
    seed : int
        Passed to the task loader (MoleculeACE splits are shipped, so it changes nothing today).

    Returns
    -------
    table : pandas.DataFrame
        ``n_molecules x (1 + n_targets)``: ``smiles`` (canonical, standardised) and one float
        column per target (NaN = not measured on that target); molecules in any target's test
        split are not in it. Duplicates within a target are averaged.
    info : dict
        Counts: training rows read, molecules kept, molecules removed for being in a test split,
        test molecules that sat in another target's training split.
    """
    from benchmarks.tasks import TASKS, load_task

    long, test_keys, per_task_test = [], set(), {}
    for name, task in sorted(TASKS.items()):
        if task.suite != "moleculeace":
            continue
        data = load_task(task, seed=seed)
        target = name.split("/", 1)[1]
        keys = _canonical(list(data.smiles_train))
        y = np.asarray(data.y_train, dtype=np.float64).reshape(len(keys), -1)[:, 0]
        long += [(k, target, v) for k, v in zip(keys, y) if k is not None and np.isfinite(v)]
        test = {k for k in _canonical(list(data.smiles_test)) if k is not None}
        per_task_test[target] = test
        test_keys |= test
    frame = pd.DataFrame(long, columns=["smiles", "target", "y"])
    cross = sum(len(t & set(frame.loc[frame.target != name, "smiles"])) for name, t in per_task_test.items())
    removed = frame["smiles"].isin(test_keys)
    wide = (frame[~removed].groupby(["smiles", "target"])["y"].mean().unstack("target")
            .reindex(columns=sorted(per_task_test)).reset_index())
    info = {"training_rows": int(len(frame)), "targets": int(len(per_task_test)),
            "molecules": int(len(wide)), "labels": int(wide.drop(columns="smiles").notna().to_numpy().sum()),
            "molecules_removed_in_a_test_split": int(frame.loc[removed, "smiles"].nunique()),
            "rows_removed": int(removed.sum()),
            "test_molecules_in_another_targets_training_split": int(cross),
            "test_molecules": int(sum(len(t) for t in per_task_test.values()))}
    return wide, info


def source_model(seed: int = 0, epochs: int | None = 30) -> Path:
    """Path of the multi-task source model for ``seed``, trained first if it does not exist.

    Parameters
    ----------
    seed : int
    epochs : int, optional
        Maximum epochs of the source (30 by default, to fit 26,503 molecules into an hour on
        one core; None = the estimator's default).

    Returns
    -------
    pathlib.Path
        A molpred model directory (``molpred.load``-able) whose encoder ``init_from`` copies.
    """
    from molpred import MolPropertyRegressor

    out = cache_dir() / f"moleculeace-mt-strict-s{seed}"
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out.parent / f".{out.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (out / "source.json").is_file():
            return out
        table, info = source_table(seed)
        targets = [c for c in table.columns if c != "smiles"]
        # the source itself starts from molpred-base, so the fine-tuned target model measures what
        # related assays add beyond descriptor pretraining (molpred-dmpnn-base)
        kwargs = {"model": "dmpnn", "seed": seed, "device": "cpu", "progress": False, "calibration_fraction": 0.0,
                  "pretrained": "molpred-base"}
        if epochs is not None:
            kwargs["epochs"] = epochs
        start = time.perf_counter()
        est = MolPropertyRegressor(**kwargs).fit(table["smiles"].tolist(), table[targets])
        info["train_wall_s"] = round(time.perf_counter() - start, 1)
        info["estimator"] = {k: v for k, v in kwargs.items()}
        est.save(out)
        (out / "source.json").write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--table-only", action="store_true", help="print the table's counts, train nothing")
    args = p.parse_args(argv)
    if args.table_only:
        print(json.dumps(source_table(args.seed)[1], indent=2))
        return 0
    path = source_model(args.seed, args.epochs)
    print(path)
    print((path / "source.json").read_text(encoding="utf-8"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
