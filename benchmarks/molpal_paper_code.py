"""MolPAL's own code of its paper, run on this machine: the peer as its users run it (molpal.md).

molpred's MolPAL reproduction rows are molpred surrogates configured as MolPAL's. This runs
MolPAL itself (``coleygroup/molpal`` at the paper's commit ``a78bc21``, a checkout the user
provides; nothing of it is copied here) with the configuration files and command line of its
experiments (``config_expts/Enamine{10k,50k}_retrain.ini`` and ``scripts/submit_molpal.py``:
``--init-size 0.01 --batch-size 0.01``, ``--conf-method mve`` for every MPN run, ``dropout`` for
NN UCB and ``none`` for NN greedy), one seed per run (``--seed``: the initial random batch; MolPAL
does not seed the network's initialisation, so runs are not repeatable). Its own interpreter
(``--python``) must have MolPAL's dependencies: torch, rdkit, numpy, scikit-learn, scipy, h5py,
tqdm, configargparse (and tensorflow with tensorflow-addons for ``--model nn``: 2.15 and 0.23,
with numpy < 2, install on Python 3.11).

One shim, applied in the child process before MolPAL is imported and nothing else:
``torch.utils.data.Sampler.__init__`` accepts the ``data_source`` argument MolPAL passes
(PyTorch dropped it; it was never used).

After each run the explored molecules of every round (MolPAL's
``<name>/data/top_<n>_explored_iter_<i>.csv``) are scored with molpred's implementation of MolPAL's
three metrics (:func:`molpred.campaign.metrics.top_k_metrics`, on the same pool and oracle as
``python -m benchmarks.molpal``) and appended, one JSON line per round, to
``benchmarks/results/molpal_paper_code.jsonl``; ``report`` writes ``molpal_paper_code.md``.

Usage::

    python -m benchmarks.molpal_paper_code run --molpal CHECKOUT --python VENV/bin/python \\
        --library 50k --model mpn --metric greedy --seeds 0 1 2 3 4 --workdir /tmp/molpal-paper-runs
    python -m benchmarks.molpal_paper_code report
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks.environment import command_line, machine_info
from benchmarks.molpal import MOLPAL_SMILES, MOLPAL_TABLE, load_library

RESULTS = Path(__file__).resolve().parent / "results"
COMMIT = "a78bc214eb7c03b3b11fe904b6bf314ed946b5f2"
CONFIGS = {"10k": "config_expts/Enamine10k_retrain.ini", "50k": "config_expts/Enamine50k_retrain.ini"}
MOLPAL_ROWS = {("mpn", "greedy"): "D-MPNN greedy", ("mpn", "ucb"): "D-MPNN UCB", ("nn", "greedy"): "NN greedy",
               ("rf", "greedy"): "RF greedy"}
SHIM = """\
import runpy, sys
import torch.utils.data as data
data.Sampler.__init__ = lambda self, data_source=None: None  # PyTorch >= 2.2 takes no data_source
sys.argv = ["run.py", *sys.argv[1:]]
runpy.run_path("run.py", run_name="__main__")
"""
VERSIONS = """\
import json
from importlib import metadata
names = ("torch", "rdkit", "numpy", "scikit-learn", "scipy", "tensorflow", "tensorflow-addons")
found = {}
for name in names:
    try:
        found[name] = metadata.version(name)
    except metadata.PackageNotFoundError:
        pass
print(json.dumps(found))
"""


def conf_method(model: str, metric: str) -> str:
    """MolPAL's ``--conf-method`` for a model and metric, as its experiment script sets it."""
    if model == "nn" and metric == "greedy":
        return "none"
    return {"rf": "none", "mpn": "mve", "nn": "dropout"}[model]


def run_name(library: str, model: str, metric: str, seed: int) -> str:
    return f"{library}_{model}_{metric}_0.01_{seed}_retrain"


def molpal_argv(library: str, model: str, metric: str, seed: int, workdir: Path) -> list[str]:
    """MolPAL's ``run.py`` arguments for one run (its experiment script's, plus the seed and one CPU)."""
    return ["--config", CONFIGS[library], "--name", run_name(library, model, metric, seed),
            "--metric", metric, "--init-size", "0.01", "--batch-size", "0.01", "--model", model,
            "--conf-method", conf_method(model, metric), "--seed", str(seed), "-nc", "1",
            "--root", str(workdir), "-vvvv"]


def exploration_seconds(log: Path) -> float | None:
    """MolPAL's own "Total time for exploration" from its log (None if it did not finish)."""
    for line in reversed(log.read_text(errors="replace").splitlines()):
        match = re.search(r"Total time for exploration: (\d+)d (\d+)h (\d+)m ([\d.]+)s", line)
        if match:
            d, h, m, s = map(float, match.groups())
            return ((d * 24 + h) * 60 + m) * 60 + s
    return None


def explored_rounds(run_dir: Path) -> list[tuple[int, list[str]]]:
    """``(round, explored SMILES)`` for every round MolPAL wrote, round 0 = the initial batch."""
    rounds = []
    for path in (run_dir / "data").glob("top_*_explored_iter_*.csv"):
        rounds.append((int(path.stem.rsplit("_", 1)[1]), pd.read_csv(path)["smiles"].tolist()))
    return sorted(rounds)


def positions_of(smiles: list[str], library: list[str]) -> np.ndarray:
    """Pool positions of explored library SMILES (as written in the library; duplicates in turn)."""
    where = defaultdict(list)
    for i, s in enumerate(library):
        where[s].append(i)
    taken = defaultdict(int)
    out = []
    for s in smiles:
        if s not in where:
            raise ValueError(f"MolPAL explored {s!r}, which is not in the library file")
        out.append(where[s][min(taken[s], len(where[s]) - 1)])
        taken[s] += 1
    return np.asarray(out, dtype=np.int64)


def score_rounds(rounds: list[tuple[int, list[str]]], values: np.ndarray, library: list[str], k: int) -> list[dict]:
    """MolPAL's three metrics (molpred's implementation) after every round.

    Parameters
    ----------
    rounds : list of (int, list of str)
        :func:`explored_rounds`.
    values : numpy.ndarray
        ``n_library`` docking scores in library order (lower is better), NaN where none.
    library : list of str
        ``n_library`` SMILES as written in the library file.
    k : int

    Returns
    -------
    list of dict
        One per round: ``round``, ``n_evaluated``, ``top_k`` and ``top<k>_*`` metrics.
    """
    from molpred.campaign.metrics import top_k_metrics, top_k_order

    true_top = top_k_order(values, np.arange(len(values)), k, "min")
    rows = []
    for rnd, smiles in rounds:
        m = top_k_metrics(values, positions_of(smiles, library), k, "min", true_top=true_top)
        rows.append({"round": rnd, "n_evaluated": len(smiles), **m.to_dict(prefix=f"top{k}_"), "top_k": k})
    return rows


def score_run(run_dir: Path, library: str) -> list[dict]:
    """:func:`score_rounds` of one finished run, on the pool and oracle of ``benchmarks.molpal``."""
    from benchmarks.molpal import DATA, LIBRARIES

    _, values, k = load_library(library)
    smiles = pd.read_csv(DATA / f"{LIBRARIES[library][0]}.csv.gz")["smiles"].tolist()
    return score_rounds(explored_rounds(run_dir), values, smiles, k)


def cmd_run(args) -> int:
    molpal, workdir = Path(args.molpal).resolve(), Path(args.workdir).resolve()
    if not (molpal / "run.py").is_file() or not (molpal / CONFIGS[args.library]).is_file():
        raise SystemExit(f"{molpal} is not a checkout of coleygroup/molpal at {COMMIT[:7]} (no run.py or config)")
    workdir.mkdir(parents=True, exist_ok=True)
    out = Path(args.out) / "molpal_paper_code.jsonl"
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    peer_versions = json.loads(subprocess.run([args.python, "-c", VERSIONS], capture_output=True, text=True,
                                              check=True, env=env).stdout)
    for seed in args.seeds:
        name = run_name(args.library, args.model, args.metric, seed)
        done = out.is_file() and any(json.loads(line).get("name") == name and json.loads(line).get("final")
                                     for line in out.read_text().splitlines() if line.strip())
        if done:
            print(f"skip {name} (in {out.name})", flush=True)
            continue
        argv = molpal_argv(args.library, args.model, args.metric, seed, workdir)
        log = workdir / f"{name}.log"
        tmp = workdir / f"{name}.tmp"  # MolPAL writes the pool's fingerprints under the temp dir: one per run
        tmp.mkdir(exist_ok=True)
        t0, c0 = time.perf_counter(), os.times()
        with log.open("w") as fh:
            proc = subprocess.run([args.python, "-c", SHIM, *argv], cwd=molpal, stdout=fh, stderr=subprocess.STDOUT,
                                  env={**env, "TMPDIR": str(tmp)})
        c1 = os.times()
        if proc.returncode != 0:
            print(f"{name}: MolPAL exited with {proc.returncode}; see {log}", flush=True)
            return proc.returncode
        wall = time.perf_counter() - t0
        cpu = (c1.children_user - c0.children_user) + (c1.children_system - c0.children_system)
        rows = score_run(workdir / name, args.library)
        with out.open("a") as fh:
            for r in rows:
                fh.write(json.dumps({
                    "name": name, "library": args.library, "model": args.model, "metric": args.metric,
                    "conf_method": conf_method(args.model, args.metric), "seed": seed,
                    "final": r["round"] == max(x["round"] for x in rows), **r,
                    "run_wall_seconds": round(wall, 1), "run_cpu_seconds": round(cpu, 1),
                    "exploration_seconds": exploration_seconds(log),
                    "molpal_commit": COMMIT, "molpal_argv": " ".join(argv), "peer_versions": peer_versions,
                    "command": command_line(module="benchmarks.molpal_paper_code"), "machine": machine_info(),
                    "date": time.strftime("%Y-%m-%d %H:%M:%S %Z")}) + "\n")
        k = rows[-1]["top_k"]
        print(f"{name}: {100 * rows[-1][f'top{k}_scores']:.1f}% of the top-{k} scores, "
              f"{100 * rows[-1][f'top{k}_smiles']:.1f}% of the SMILES; {wall / 60:.1f} min", flush=True)
    return 0


def _records(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip().endswith("}")]


def final_rounds(path: Path) -> pd.DataFrame:
    """The last round of every finished run in ``molpal_paper_code.jsonl`` (the last attempt of each)."""
    frame = pd.DataFrame([r for r in _records(path) if r["final"]])
    return frame.drop_duplicates("name", keep="last") if len(frame) else frame


def summary(path: Path) -> dict[tuple[str, str, str], dict[int, float]]:
    """``(library, model, metric) -> {seed: % of the top-k scores found}`` of MolPAL's finished runs."""
    if not Path(path).is_file():
        return {}
    out = {}
    for (lib, model, metric), g in final_rounds(Path(path)).groupby(["library", "model", "metric"]):
        col = f"top{int(g['top_k'].iloc[0])}_scores"
        out[(lib, model, metric)] = {int(seed): 100 * float(v) for seed, v in zip(g["seed"], g[col])}
    return out


def cmd_report(args) -> int:
    out = Path(args.out)
    rows = _records(out / "molpal_paper_code.jsonl")
    final = final_rounds(out / "molpal_paper_code.jsonl")
    lines = ["# MolPAL's own code (a78bc21) run on this machine", "",
             "`python -m benchmarks.molpal_paper_code` runs MolPAL's paper code with its experiment script's",
             "arguments (module docstring) and scores every round with molpred's implementation of MolPAL's",
             "metrics on the same pool and oracle as `molpal.md`. After the last round (6% of the library),",
             "mean +- sample std over seeds:", "",
             "| library | model, metric (conf-method) | seeds | scores % | MolPAL paper scores % | SMILES % "
             "| MolPAL paper SMILES % | per seed (scores %) | wall min / run |",
             "|---|---|---|---|---|---|---|---|---|"]
    for (lib, model, metric), g in final.groupby(["library", "model", "metric"]):
        g = g.sort_values("seed")
        k = int(g["top_k"].iloc[0])
        sc, sm = 100 * g[f"top{k}_scores"], 100 * g[f"top{k}_smiles"]
        ref = MOLPAL_ROWS.get((model, metric))
        std = lambda s: "" if len(s) < 2 else f" +- {s.std(ddof=1):.1f}"  # noqa: E731
        lines.append(
            f"| {lib} top-{k} | {model} {metric} ({g['conf_method'].iloc[0]}) | {' '.join(map(str, sorted(g.seed)))} "
            f"| {sc.mean():.1f}{std(sc)} | {MOLPAL_TABLE[lib].get(ref, '') if ref else ''} | {sm.mean():.1f}{std(sm)} "
            f"| {MOLPAL_SMILES[lib].get(ref, '') if ref else ''} "
            f"| {', '.join(f'{v:.1f}' for v in sc)} | {g['run_wall_seconds'].mean() / 60:.1f} |")
    peers = sorted({f"- {r['model']}: {json.dumps(r['peer_versions'])}" for r in rows})
    lines += ["", "Commands:", "", *sorted({f"    {r['command']}" for r in rows}), "",
              "MolPAL's interpreters, by model:", "", *peers, "", f"Machine: {json.dumps(rows[-1]['machine'])}.", ""]
    (out / "molpal_paper_code.md").write_text("\n".join(lines))
    print("\n".join(lines))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    run = sub.add_parser("run", help="run MolPAL's code and score its rounds")
    run.add_argument("--molpal", required=True, help=f"checkout of coleygroup/molpal at {COMMIT[:7]}")
    run.add_argument("--python", default=sys.executable, help="interpreter with MolPAL's dependencies")
    run.add_argument("--library", choices=sorted(CONFIGS), required=True)
    run.add_argument("--model", choices=("mpn", "nn", "rf"), default="mpn")
    run.add_argument("--metric", choices=("greedy", "ucb"), default="greedy")
    run.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    run.add_argument("--workdir", default="/tmp/molpal-paper-runs", help="MolPAL's --root (its outputs)")
    run.add_argument("--out", default=str(RESULTS))
    rep = sub.add_parser("report", help="write molpal_paper_code.md")
    rep.add_argument("--out", default=str(RESULTS))
    args = parser.parse_args(argv)
    return cmd_run(args) if args.cmd == "run" else cmd_report(args)


if __name__ == "__main__":
    raise SystemExit(main())
