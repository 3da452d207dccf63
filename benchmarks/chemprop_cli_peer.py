"""Chemprop v2 as its users run it: ``chemprop train`` / ``chemprop predict`` in a subprocess.

Nothing about the model is set: every architecture and training option is the installed CLI's
default (for chemprop 2.2.4: bond message passing, hidden 300, depth 3, ``norm`` aggregation
(sum / 100), no batch norm (2.2's ``--batch-norm`` flag is off by default), FFN of one hidden
layer of 300, 50 epochs, patience = epochs, batch 64, Noam schedule 1e-4 -> 1e-3 -> 1e-4 with 2
warm-up epochs, the checkpoint with the lowest validation loss). What the harness supplies:

* the data: the training part written to a CSV (SMILES column ``smiles``, one column per
  target, empty cells for missing labels), the test part to another CSV for ``chemprop predict``;
* the split: when the task has its own validation part, both parts go into one CSV with a
  ``split`` column (``--splits-column split``). When it has none (MoleculeACE), the CLI draws
  the validation molecules itself from the training part with its default ``RANDOM`` splitter,
  ``--split-sizes 0.9 0.1 0.0`` (what the CLI tells a user to pass when the test set is a separate
  file; its default 0.8/0.1/0.1 also gives validation 1/9 of the non-test molecules), seeded by
  ``--data-seed``;
* seeds: ``--data-seed`` and ``--pytorch-seed`` = the benchmark seed (the CLI's
  ``--pytorch-seed`` default is unseeded; seeding it makes rows reproducible);
* ``--task-type`` (regression or classification), ``--accelerator cpu``, and the number of
  threads through ``OMP_NUM_THREADS`` of the environment it runs in.

The exact commands and the chemprop version are kept in :attr:`ChempropCLIPeer.run_info_`, which
the runner writes into the results row.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["ChempropCLIPeer", "chemprop_cli", "chemprop_cli_available"]


def chemprop_cli() -> list[str]:
    """The ``chemprop`` command of the running interpreter's environment, as an argv prefix."""
    exe = Path(sys.executable).with_name("chemprop")
    if exe.is_file():
        return [str(exe)]
    found = shutil.which("chemprop")
    if found:
        return [found]
    return [sys.executable, "-m", "chemprop.cli.main"]


def chemprop_cli_available() -> tuple[bool, str]:
    """Whether Chemprop v2 and its CLI are installed, and its version or the reason not."""
    from benchmarks.chemprop_peer import chemprop_available

    ok, info = chemprop_available()
    if not ok:
        return ok, info
    if not (Path(sys.executable).with_name("chemprop").is_file() or shutil.which("chemprop")):
        return False, f"chemprop {info} installed but its `chemprop` command is not on PATH"
    return True, info


def _parsable(smiles: list[str]) -> np.ndarray:
    from benchmarks.chemprop_peer import _parsable as parsable

    return parsable(list(smiles))


def _table(smiles: list[str], y: np.ndarray | None, n_targets: int) -> pd.DataFrame:
    frame = pd.DataFrame({"smiles": list(smiles)})
    if y is not None:
        y = np.asarray(y, dtype=np.float64).reshape(len(smiles), n_targets)
        for j in range(n_targets):
            frame[f"target_{j}"] = y[:, j]
    return frame


class ChempropCLIPeer:
    """Chemprop v2 trained and applied through ``chemprop train`` / ``chemprop predict``.

    Parameters
    ----------
    task_type : {"regression", "classification"}
    seed : int
        ``--data-seed`` and ``--pytorch-seed``.
    epochs : int, optional
        ``None`` keeps the CLI's default (50); any other value is passed as ``--epochs``.
    extra_args : sequence of str
        Further ``chemprop train`` options (for ablations; the benchmark's ``chemprop`` entry
        passes none).
    workdir : path-like, optional
        Parent of the temporary directory holding the CSVs and the trained model (default: the
        system's temporary directory). The directory is removed when the object is deleted.

    Attributes
    ----------
    run_info_ : dict
        ``peer_command`` (the ``chemprop train`` line, paths shortened), ``peer_version``,
        ``peer_train_wall_s`` and ``peer_predict_wall_s`` (subprocess wall times, start-up of
        the CLI included).
    """

    name = "chemprop"

    def __init__(self, task_type: str, seed: int = 0, epochs: int | None = None, extra_args=(),
                 workdir=None):
        self.task_type = task_type
        self.seed = seed
        self.epochs = epochs
        self.extra_args = tuple(extra_args)
        self.workdir = workdir

    def _run(self, argv: list[str], log: Path) -> float:
        env = {**os.environ, "PYTHONWARNINGS": "ignore"}
        t0 = time.perf_counter()
        with open(log, "w", encoding="utf-8") as fh:
            proc = subprocess.run(argv, stdout=fh, stderr=subprocess.STDOUT, env=env, check=False)
        wall = time.perf_counter() - t0
        if proc.returncode != 0:
            tail = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-15:]
            raise RuntimeError(f"{argv[1] if len(argv) > 1 else argv[0]} exited with {proc.returncode}: "
                               + " | ".join(tail))
        return wall

    def fit(self, smiles, y, smiles_val=None, y_val=None) -> ChempropCLIPeer:
        """Train on ``smiles`` (``n``) and ``y`` (``n x t``); validation as in the module docstring."""
        from benchmarks.chemprop_cli_peer import chemprop_cli_available

        ok_cli, version = chemprop_cli_available()
        if not ok_cli:
            raise RuntimeError(version)
        y = np.asarray(y, dtype=np.float64).reshape(len(smiles), -1)
        self.n_tasks_ = y.shape[1]
        self._tmp = tempfile.TemporaryDirectory(prefix="chemprop_cli_", dir=self.workdir)
        tmp = Path(self._tmp.name)
        ok = _parsable(smiles)  # the CLI stops at an unparsable SMILES; the old peer dropped them too
        train = _table([s for s, k in zip(smiles, ok) if k], y[ok], self.n_tasks_)
        split_args: list[str]
        if smiles_val is not None and len(smiles_val):
            y_val = np.asarray(y_val, dtype=np.float64).reshape(len(smiles_val), -1)
            okv = _parsable(smiles_val)
            val = _table([s for s, k in zip(smiles_val, okv) if k], y_val[okv], self.n_tasks_)
            train["split"], val["split"] = "train", "val"
            train = pd.concat([train, val], ignore_index=True)
            split_args = ["--splits-column", "split"]
        else:
            split_args = ["--split-sizes", "0.9", "0.1", "0.0"]
        train.to_csv(tmp / "train.csv", index=False)
        targets = [f"target_{j}" for j in range(self.n_tasks_)]
        argv = [*chemprop_cli(), "train", "-i", str(tmp / "train.csv"), "-o", str(tmp / "model"),
                "-s", "smiles", "--target-columns", *targets, "-t", self.task_type, *split_args,
                "--data-seed", str(self.seed), "--pytorch-seed", str(self.seed), "--accelerator", "cpu",
                *(["--epochs", str(self.epochs)] if self.epochs is not None else []), *self.extra_args]
        wall = self._run(argv, tmp / "train.log")
        found = sorted((tmp / "model").rglob("best.pt"))
        if not found:
            raise RuntimeError(f"chemprop train wrote no best.pt under {tmp / 'model'}")
        self.model_path_ = found[0]
        shown = [a.replace(str(tmp), "$TMP") for a in argv]
        shown[0] = "chemprop"
        self.run_info_ = {"peer_command": shlex.join(shown), "peer_version": version,
                          "peer_train_wall_s": round(wall, 2)}
        return self

    def predict(self, smiles, batch_size: int | None = None) -> np.ndarray:
        """``n x t`` predictions (class-1 probabilities for classification), NaN where unparsable.

        ``batch_size`` is passed as ``-b`` when given (the CLI's default is 64).
        """
        tmp = Path(self._tmp.name)
        smiles = list(smiles)
        ok = _parsable(smiles)
        out = np.full((len(smiles), self.n_tasks_), np.nan)
        if not ok.any():
            return out
        _table([s for s, k in zip(smiles, ok) if k], None, self.n_tasks_).to_csv(tmp / "test.csv", index=False)
        argv = [*chemprop_cli(), "predict", "-i", str(tmp / "test.csv"), "-o", str(tmp / "preds.csv"),
                "-s", "smiles", "--model-paths", str(self.model_path_), "--accelerator", "cpu",
                *(["-b", str(batch_size)] if batch_size else [])]
        wall = self._run(argv, tmp / "predict.log")
        preds = pd.read_csv(tmp / "preds.csv")
        cols = [c for c in preds.columns if c != "smiles"][: self.n_tasks_]
        out[ok] = preds[cols].to_numpy(dtype=np.float64)
        self.run_info_ = {**getattr(self, "run_info_", {}), "peer_predict_wall_s": round(wall, 2)}
        return out
