"""Run tasks x models x seeds and write tidy, resumable results.

``python -m benchmarks TASK_OR_SUITE [--models ...] [--seeds ...] [--quick] [--out DIR]``

Each finished (task, model, seed) appends one row to ``<out>/<label>_results.csv`` at once
(``<label>``: the suite, also for named tasks of one suite; ``_quick`` added in quick mode),
so an interrupted run keeps its progress, and a rerun skips rows already there (same task,
model, seed and epochs setting). Test-set predictions of regression tasks go to
``<out>/predictions/`` for parity plots; ``<label>_runs.jsonl`` records every invocation
(command, machine, versions, wall time); ``<label>_summary.md`` and the plots are rebuilt from
the CSV at the end of every run.
"""

from __future__ import annotations

import argparse
import json
import re
import signal
import sys
import time
import traceback
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks.environment import command_line, machine_info, versions
from benchmarks.models import DEFAULT_MODELS, QUICK_MODELS, get_model
from benchmarks.tasks import QUICK_TASKS, SUITES, Task, TaskData, load_task, resolve

__all__ = ["run", "main", "evaluate", "RESULTS_DIR", "KEY", "QUICK_EPOCHS"]

RESULTS_DIR = Path(__file__).resolve().parent / "results"
KEY = ("task", "model", "seed", "epochs")
QUICK_EPOCHS = 3
METRIC_COLUMNS = ("rmse", "rmse_cliff", "mae", "r2", "spearman", "roc_auc", "pr_auc")
TIMING_COLUMNS = ("train_time_s", "predict_time_s", "train_mol_per_s", "predict_mol_per_s", "n_failed_predictions")


def _safe(text: str) -> str:
    """``text`` as a file name: runs of other characters than letters, digits, ``.-_`` become ``_``."""
    return re.sub(r"[^\w.-]+", "_", text)


def _label(suite_or_task: str, quick: bool) -> str:
    """File label of a run: its suite, also when it names tasks of one suite (their rows join the
    suite's table); tasks from several suites get a label of their own."""
    if suite_or_task in SUITES or suite_or_task == "speed":
        base = suite_or_task
    else:
        suites = {task.suite for task in resolve(suite_or_task)}
        only = next(iter(suites)) if len(suites) == 1 else None
        base = only if only in SUITES else _safe(suite_or_task)
    return f"{base}_quick" if quick else base


def _log(msg: str) -> None:
    print(f"[bench {datetime.now().strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def evaluate(data: TaskData, pred: np.ndarray) -> dict:
    """Metric values of test predictions ``pred`` (``n_test x n_targets``), averaged over targets.

    MoleculeACE adds ``rmse_cliff``: the RMSE over test molecules with ``cliff_mol == 1``.
    """
    from molpred.train.metrics import task_metrics

    out = {k: v for k, v in task_metrics(data.task.task_type, data.y_test, pred, data.target_names)["mean"].items()}
    if data.cliff_test is not None:
        err = (pred[:, 0] - data.y_test[:, 0])[data.cliff_test]
        err = err[~np.isnan(err)]
        out["rmse_cliff"] = float(np.sqrt(np.mean(err**2))) if len(err) else None
    return {k: (np.nan if v is None else float(v)) for k, v in out.items()}


def _done_keys(csv_path: Path) -> set[tuple]:
    if not csv_path.is_file():
        return set()
    frame = pd.read_csv(csv_path)
    frame = frame[frame["status"].isin(["ok", "skipped"])]
    return {(r.task, r.model, int(r.seed), str(r.epochs)) for r in frame.itertuples()}


@contextmanager
def _flock(path: Path, wait: bool = True):
    """Exclusive ``flock`` on ``path``; yields whether it is held (``False`` only when ``wait`` is
    off and another process holds it). The system drops it when its process ends, however it ends."""
    try:
        import fcntl
    except ImportError:  # not on Unix: concurrent runs need separate --out directories
        yield True
        return
    with open(path, "a") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _locked(csv_path: Path):
    """Exclusive lock on ``csv_path`` (via a ``.lock`` file): runs sharing ``--out`` append safely."""
    return _flock(csv_path.with_name(csv_path.name + ".lock"))


def _claim(out_dir: Path, label: str, key: tuple):
    """Lock one results row while it is computed; yields ``False`` if another process holds it.

    Runs sharing ``--out`` (two lanes, or a run started twice) each skip a row the other is
    computing; the lock files live under ``out_dir/.claims``.
    """
    folder = out_dir / ".claims"
    folder.mkdir(parents=True, exist_ok=True)
    return _flock(folder / f"{_safe('__'.join(map(str, (label, *key))))}.lock", wait=False)


def _append(csv_path: Path, row: dict) -> None:
    with _locked(csv_path):
        _append_unlocked(csv_path, row)


def _append_unlocked(csv_path: Path, row: dict) -> None:
    frame = pd.DataFrame([row])
    if csv_path.is_file():
        old_cols = list(pd.read_csv(csv_path, nrows=0).columns)
        if set(frame.columns) <= set(old_cols):  # e.g. an error row without timings
            frame = frame.reindex(columns=old_cols)
        elif old_cols != list(frame.columns):  # keep one header: rewrite with the union of columns
            full = pd.concat([pd.read_csv(csv_path), frame], ignore_index=True)
            full.to_csv(csv_path, index=False)
            return
    frame.to_csv(csv_path, mode="a", header=not csv_path.is_file(), index=False)


def _save_predictions(out_dir: Path, label: str, data: TaskData, model: str, seed: int, pred: np.ndarray) -> None:
    if data.task.task_type != "regression":
        return
    folder = out_dir / "predictions" / label
    folder.mkdir(parents=True, exist_ok=True)
    frame = pd.DataFrame({"smiles": data.smiles_test, "y_true": data.y_test[:, 0], "y_pred": pred[:, 0]})
    if data.cliff_test is not None:
        frame["cliff_mol"] = data.cliff_test.astype(int)
    frame.to_csv(folder / f"{_safe(f'{data.task.name}__{model}__s{seed}')}.csv.gz", index=False)


def _row(task: Task, data: TaskData, m: str, seed: int, epochs: int | None, out_dir: Path, label: str) -> dict:
    """Fit and score model ``m`` on one task and seed: the results row (status ok, skipped or
    error, never an exception: one failing model must not stop the suite)."""
    name = get_model(m).name
    _log(f"{task.name} seed={seed} model={name} (train {len(data.smiles_train)}, test {len(data.smiles_test)})")
    base = {"task": task.name, "suite": task.suite, "dataset": task.dataset, "model": name,
            "family": get_model(m).family, "seed": seed, "epochs": str(epochs or "default"),
            "split": task.split, "task_type": task.task_type, "headline_metric": task.metrics[0],
            "n_train": len(data.smiles_train), "n_val": len(data.smiles_val),
            "n_test": len(data.smiles_test), "n_targets": len(data.target_names)}
    try:
        metrics, pred = _run_one(data, name, seed, epochs)
        row = {**base, "status": "ok", "message": "", **metrics}
        _save_predictions(out_dir, label, data, name, seed, pred)
    except MemoryError as exc:  # a documented size limit: not run, said so
        row = {**base, "status": "skipped", "message": str(exc)}
    except Exception as exc:  # noqa: BLE001 - one failing model must not stop the suite
        row = {**base, "status": "error", "message": f"{type(exc).__name__}: {exc}"}
        traceback.print_exc()
    row = {**{c: np.nan for c in METRIC_COLUMNS}, **row}
    return {**row, **{c: row.get(c, np.nan) for c in TIMING_COLUMNS}}


def _run_one(data: TaskData, model_name: str, seed: int, epochs: int | None) -> tuple[dict, np.ndarray | None]:
    entry = get_model(model_name)
    model = entry.build(data.task.task_type, seed, epochs)
    t0 = time.perf_counter()
    model.fit(data.smiles_train, data.y_train, data.smiles_val or None, data.y_val if data.smiles_val else None)
    t_train = time.perf_counter() - t0
    t0 = time.perf_counter()
    pred = np.asarray(model.predict(data.smiles_test), dtype=np.float64).reshape(len(data.smiles_test), -1)
    t_pred = time.perf_counter() - t0
    n_fit = len(data.smiles_train) + len(data.smiles_val)
    row = {"train_time_s": t_train, "predict_time_s": t_pred,
           "train_mol_per_s": n_fit / t_train if t_train > 0 else np.nan,
           "predict_mol_per_s": len(data.smiles_test) / t_pred if t_pred > 0 else np.nan,
           "n_failed_predictions": int(np.isnan(pred).all(axis=1).sum()),
           **evaluate(data, pred),
           **getattr(model, "run_info_", {})}  # e.g. the peer's own command line and version
    return row, pred


def run(suite_or_task: str, models=None, seeds=None, quick: bool = False, out_dir=None,
        epochs: int | None = None, command: str | None = None, report: bool = True,
        smallest_first: bool = False, n_molecules: int | None = None) -> pd.DataFrame:
    """Run a suite (``"moleculeace"``, ``"moleculenet"``, ``"admet"``, ``"speed"``) or tasks.

    Parameters
    ----------
    suite_or_task : str
        Suite name, task name(s) (comma-separated), or ``"speed"``.
    models : list of str, optional
        Model names (see :data:`benchmarks.models.MODELS`); default
        :data:`~benchmarks.models.DEFAULT_MODELS` (:data:`~benchmarks.models.QUICK_MODELS`
        with ``quick``).
    seeds : list of int, optional
        Default ``[0]`` for tasks with a fixed split and ``[0, 1, 2]`` for scaffold splits
        (``[0]`` with ``quick``).
    quick : bool
        Small smoke run: the suite is replaced by :data:`~benchmarks.tasks.QUICK_TASKS` when
        it is ``"moleculeace"``, neural models train for :data:`QUICK_EPOCHS` epochs.
    out_dir : path-like, optional
        Default ``benchmarks/results``.
    epochs : int, optional
        Override neural models' epochs (recorded in the ``epochs`` column).
    command : str, optional
        The command to record (default: this process's ``python -m benchmarks`` line).
    report : bool
        Rebuild the Markdown summary and plots at the end.
    smallest_first : bool
        Run the tasks in increasing data set size (so a time-limited run covers most tasks).
    n_molecules : int, optional
        Speed suite only: number of molecules (default 5,000; 300 with ``quick``).

    Returns
    -------
    pandas.DataFrame
        Every row of the results CSV (this run's and earlier ones).
    """
    out_dir = Path(out_dir) if out_dir is not None else RESULTS_DIR
    command = command or command_line()
    if suite_or_task == "speed":
        from benchmarks.speed import run_speed

        out_dir.mkdir(parents=True, exist_ok=True)
        return run_speed(models=models, quick=quick, out_dir=out_dir, command=command, n=n_molecules,
                         epochs=epochs)
    label = _label(suite_or_task, quick)
    tasks: list[Task] = resolve(list(QUICK_TASKS) if quick and suite_or_task == "moleculeace" else suite_or_task)
    out_dir.mkdir(parents=True, exist_ok=True)
    if smallest_first:
        from molpred.datasets import card

        tasks = sorted(tasks, key=lambda t: card(t.dataset).n_rows)
    models = list(models or (QUICK_MODELS if quick else DEFAULT_MODELS))
    if quick and epochs is None:
        epochs = QUICK_EPOCHS
    csv_path = out_dir / f"{label}_results.csv"
    done = _done_keys(csv_path)
    start_wall, started = time.perf_counter(), datetime.now(timezone.utc)
    env = {**{f"{k}_version": v for k, v in versions().items()}, **machine_info()}
    available = {}
    for m in models:
        ok, info = get_model(m).available()
        available[m] = ok
        if not ok:
            _log(f"model {m} skipped: {info}")
    n_new, interrupted = 0, None
    try:
        for task in tasks:
            task_seeds = list(seeds) if seeds else ([0] if (quick or not task.seeded_split) else [0, 1, 2])
            for seed in task_seeds:
                keys = {m: (task.name, get_model(m).name, seed, str(epochs or "default")) for m in models}
                todo = [m for m in models if available[m] and keys[m] not in done]
                if not todo:
                    continue
                data = load_task(task, seed=seed)
                for m in todo:
                    key = keys[m]
                    with _claim(out_dir, label, key) as mine:
                        if not mine or key in _done_keys(csv_path):  # another run has it or finished it
                            _log(f"{task.name} seed={seed} model={key[1]}: "
                                 f"{'being run' if not mine else 'finished'} by another process, skipped here")
                            continue
                        row = _row(task, data, m, seed, epochs, out_dir, label)
                        row.update(env, command=command,
                                   timestamp=datetime.now(timezone.utc).isoformat(timespec="seconds"))
                        _append(csv_path, row)
                    n_new += 1
                    _log(f"  -> {row['status']} " + " ".join(f"{k}={row[k]:.4f}" for k in task.metrics
                                                              if isinstance(row.get(k), float)))
    except (KeyboardInterrupt, SystemExit) as exc:  # Ctrl-C (Lightning turns it into SystemExit)
        interrupted = f"{type(exc).__name__} after {n_new} new rows"  # finished rows are kept
        _log(f"interrupted: {interrupted}")
    wall = time.perf_counter() - start_wall
    with open(out_dir / f"{label}_runs.jsonl", "a", encoding="utf-8") as fh:
        fh.write(json.dumps({"command": command, "started": started.isoformat(timespec="seconds"),
                             "wall_time_s": round(wall, 1), "rows_added": n_new, "models": models,
                             "unavailable": [m for m, ok in available.items() if not ok],
                             "epochs": epochs, "machine": machine_info(), "versions": versions(),
                             **({"interrupted": interrupted} if interrupted else {})}) + "\n")
    if interrupted:
        raise KeyboardInterrupt(interrupted)
    frame = pd.read_csv(csv_path) if csv_path.is_file() else pd.DataFrame()
    if report and len(frame):
        from benchmarks.report import write_report

        write_report(frame, out_dir, label)
    _log(f"done: {n_new} new rows in {wall:.0f} s -> {csv_path}")
    return frame


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n\n")[0])
    parser.add_argument("target", help="suite (moleculeace, moleculenet, admet, speed) or task name(s), comma-separated")
    parser.add_argument("--models", nargs="+", default=None,
                        help=f"model names (default: {' '.join(DEFAULT_MODELS)}); see --list")
    parser.add_argument("--seeds", nargs="+", type=int, default=None, help="split/model seeds")
    parser.add_argument("--epochs", type=int, default=None, help="override neural models' epochs")
    parser.add_argument("--quick", action="store_true", help="small smoke run (a couple of minutes)")
    parser.add_argument("--out", default=None, help=f"output directory (default {RESULTS_DIR})")
    parser.add_argument("--smallest-first", action="store_true",
                        help="run tasks in increasing data set size (time-limited runs)")
    parser.add_argument("--n-molecules", type=int, default=None, help="speed suite: molecules to time")
    parser.add_argument("--no-report", action="store_true", help="do not rebuild the summary and plots")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Command-line entry: ``python -m benchmarks`` (and ``molpred bench``)."""
    args_list = sys.argv[1:] if argv is None else list(argv)
    if args_list and args_list[0] in ("--list", "list"):
        from benchmarks.models import MODELS
        from benchmarks.tasks import TASKS

        print("suites:", ", ".join([*SUITES, "speed"]))
        print("tasks:", ", ".join(TASKS))
        for name, entry in MODELS.items():
            ok, info = entry.available()
            print(f"model {name}: {'available ' + info if ok else 'UNAVAILABLE: ' + info}")
        return 0
    args = build_parser().parse_args(args_list)
    if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        # started as a background job of a script (SIGINT ignored): let `kill -INT` stop the run
        # cleanly, so the runs log records where it stopped
        signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        run(args.target, models=args.models, seeds=args.seeds, quick=args.quick, out_dir=args.out,
            epochs=args.epochs, command=command_line(args_list), report=not args.no_report,
            smallest_first=args.smallest_first, n_molecules=args.n_molecules)
    except KeyError as exc:
        print(f"error: {exc.args[0]}", file=sys.stderr)
        return 2
    return 0
