"""Screening throughput and memory: SMILES text in, ranked predictions out.

    python -m benchmarks.screen_speed --sizes 20000 100000     # molpred and Chemprop at each size
    python -m benchmarks.screen_speed --sizes 20000 --no-chemprop   # quick
    python -m benchmarks.screen_speed --sizes 20000 --library moleculeace --out benchmarks/results/screen_speed_moleculeace

What is measured, each in a fresh subprocess (so start-up, imports and peak memory belong to
that step alone):

* ``molpred-screen``: ``molpred.screen.screen`` on a generated library (``.smi``, one SMILES per
  line; :mod:`benchmarks.library_gen`) with the benchmark model: a D-MPNN of Chemprop's default
  size (hidden 300, depth 3, FFN 300) fitted on all of Lipophilicity (4,200 molecules, a real
  assay) as a user would have it: applicability domain (its fingerprints of every training
  molecule, so the domain check costs what it costs on a real model) and conformal intervals
  on (``MolPropertyRegressor`` defaults); ``--model-epochs`` (default 3) epochs, since weights do
  not change the speed. Default screen settings: standardisation, Parquet shards, top-100 table
  and picture, worker processes = CPUs. ``mol_per_s`` is the library rows over the ``screen()``
  call; ``end_to_end_mol_per_s`` also counts interpreter start-up and imports.
* ``molpred-screen, 100-molecule model (ablation)``: the same screen with a model fitted on 100
  ESOL molecules for 1 epoch (the benchmark model before 2026-12-01: its domain check holds ~90
  fingerprints, so it understates the cost of a real model), at the sizes of ``--ablation-sizes``.
* ``chemprop-predict``: Chemprop v2 on the same molecules, at every size molpred screens,
  through its Python API as ``chemprop predict`` runs it (``MoleculeDatapoint.from_smi`` ->
  ``MoleculeDataset`` -> ``build_dataloader(batch_size=64)``, the CLI's default batch ->
  ``Trainer.predict``), an ``MPNN`` with the CLI's defaults (BondMessagePassing 300/3, ``norm``
  aggregation, no batch norm, RegressionFFN); timed from the SMILES list to the prediction tensor.
  Every ``x_vs_chemprop`` divides by Chemprop's rate on the same library at the same size in the
  same run; a size Chemprop did not run at gets no ratio.
* ``rdkit-parse``: ``Chem.MolFromSmiles`` alone on one core, the floor of any SMILES-in pipeline.
* ``profile``: CPU time per molecule of each stage of the screening hot path, on one core
  (:mod:`benchmarks.screen_profile`).

Peak memory is the largest sum of RSS over the process and its children, sampled every
0.2 s (``psutil``), plus the main process's own ``ru_maxrss``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

from benchmarks.environment import CpuShare, command_line, sharing_note

__all__ = ["main"]

ROOT = Path(__file__).resolve().parents[1]
ESOL = ROOT.parent / "shared" / "data" / "moleculenet" / "delaney-processed.csv"
LIPO = ROOT.parent / "shared" / "data" / "moleculenet" / "Lipophilicity.csv"
ABLATION_STEP = "molpred-screen, 100-molecule model (ablation)"


def _data_file(name: str, default: Path) -> Path:
    """``$MOLPRED_DATA_DIR/moleculenet/<name>`` when set, else ``default``."""
    base = os.environ.get("MOLPRED_DATA_DIR")
    return Path(base) / "moleculenet" / name if base else default


# ---------------------------------------------------------------------------- children
def _child_model(out: str, which: str = "lipophilicity", epochs: int = 3) -> dict:
    """Fit and save the screening model: ``lipophilicity`` (the benchmark's) or ``esol100`` (ablation)."""
    import pandas as pd

    from molpred import MolPropertyRegressor

    if which == "esol100":
        frame = pd.read_csv(os.environ.get("MOLPRED_ESOL", _data_file("delaney-processed.csv", ESOL))).iloc[:100]
        smiles, y = frame["smiles"].tolist(), frame["measured log solubility in mols per litre"].rename("logs")
        epochs = 1
    else:
        frame = pd.read_csv(_data_file("Lipophilicity.csv", LIPO))
        smiles, y = frame["smiles"].tolist(), frame["exp"].rename("logd")
    est = MolPropertyRegressor(model="dmpnn", epochs=epochs, seed=0, device="cpu", pretrained=None)
    est.fit(smiles, y)
    if est.domain_ is None or est.conformal_ is None:
        raise RuntimeError("the screening model must have its applicability domain and conformal intervals")
    est.save(out)
    return {"spec": est.spec_.to_dict(), "n_fit": len(smiles), "epochs": epochs,
            "n_train": est.train_summary_["n_train"], "n_val": est.train_summary_["n_val"]}


def _cpu_seconds() -> float:
    """CPU seconds of this process (all its threads) and of its reaped children (screen workers)."""
    import resource

    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def _main_cpu_seconds() -> float:
    """CPU seconds of this process alone (not its workers)."""
    import resource

    me = resource.getrusage(resource.RUSAGE_SELF)
    return me.ru_utime + me.ru_stime


def _child_screen(model: str, library: str, out: str, workers: int | None, chunk_size: int | None,
                  precision: str, filters: str = "") -> dict:
    from molpred.screen import screen

    c0, m0 = _cpu_seconds(), _main_cpu_seconds()
    s = screen(model, library, out, top_k=100, overwrite=True, workers=workers, chunk_size=chunk_size,
               progress=False, precision=precision, filters=filters or None)
    cpu, main_cpu = _cpu_seconds() - c0, _main_cpu_seconds() - m0
    return {"rows": s.n_rows, "seconds": s.seconds, "mol_per_s": s.rows_per_second, "counts": s.counts,
            "cpu_s": cpu, "mol_per_cpu_s": s.n_rows / cpu, "main_cpu_us_per_mol": round(1e6 * main_cpu / s.n_rows, 1),
            "main_cpu_share": round(main_cpu / cpu, 3)}


def read_library_smiles(library: str) -> list[str]:
    """SMILES of a ``.smi`` library, one per line (first column; a blank line gives ``""``, so
    row numbers match the file's)."""
    with open(library) as fh:
        return [line.split()[0] if line.strip() else "" for line in fh]


def _child_chemprop(library: str) -> dict:
    import logging
    import warnings

    warnings.filterwarnings("ignore")
    logging.disable(logging.WARNING)
    import torch
    from chemprop import data, featurizers, models, nn
    from lightning import pytorch as pl

    smiles = read_library_smiles(library)
    torch.manual_seed(0)
    mpnn = models.MPNN(nn.BondMessagePassing(), nn.NormAggregation(), nn.RegressionFFN())  # CLI defaults
    trainer = pl.Trainer(logger=False, enable_progress_bar=False, accelerator="cpu", devices=1,
                         enable_model_summary=False)
    t0, c0 = time.perf_counter(), _cpu_seconds()
    points = [data.MoleculeDatapoint.from_smi(s) for s in smiles]
    dataset = data.MoleculeDataset(points, featurizers.SimpleMoleculeMolGraphFeaturizer())
    loader = data.build_dataloader(dataset, batch_size=64, num_workers=0, shuffle=False)  # CLI default -b
    preds = torch.cat(trainer.predict(mpnn, loader))
    seconds, cpu = time.perf_counter() - t0, _cpu_seconds() - c0
    return {"rows": len(smiles), "seconds": seconds, "mol_per_s": len(smiles) / seconds, "n_pred": int(preds.shape[0]),
            "cpu_s": cpu, "mol_per_cpu_s": len(smiles) / cpu}


def _child_rdkit(library: str) -> dict:
    from rdkit import Chem, RDLogger

    RDLogger.DisableLog("rdApp.*")
    smiles = read_library_smiles(library)
    t0 = time.perf_counter()
    for s in smiles:
        Chem.MolFromSmiles(s)
    seconds = time.perf_counter() - t0
    return {"rows": len(smiles), "seconds": seconds, "mol_per_s": len(smiles) / seconds}


def _child(argv: list[str]) -> None:
    kind, *rest = argv
    if kind == "model":
        res = _child_model(rest[0], *rest[1:2], *[int(e) for e in rest[2:3]])
    elif kind == "screen":
        workers = None if rest[3] == "auto" else int(rest[3])
        chunk = None if rest[4] == "None" else int(rest[4])
        res = _child_screen(rest[0], rest[1], rest[2], workers, chunk, rest[5], *rest[6:7])
    elif kind == "chemprop":
        res = _child_chemprop(rest[0])
    elif kind == "rdkit":
        res = _child_rdkit(rest[0])
    else:
        from benchmarks.screen_profile import profile_stages

        res = profile_stages(rest[0], rest[1])
    import resource

    res["main_maxrss_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    print("@@" + json.dumps(res), flush=True)


# ---------------------------------------------------------------------------- parent
def _pss_bytes(pid: int) -> int:
    """Proportional set size of a process (0 where the kernel does not tell).

    PSS splits the pages processes share (libraries, copy-on-write memory of forked workers)
    among them, so a process tree's sum is the memory it uses; summed RSS counts shared pages
    once per process. Read from ``smaps_rollup``, which the kernel totals itself: psutil's
    ``memory_full_info`` walks every mapping and cost the sampling parent ~15% of a core.
    """
    try:
        with open(f"/proc/{pid}/smaps_rollup") as fh:
            for line in fh:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _measure(args: list[str], nice: int) -> dict:
    """Run a child, sample the RSS of its process tree, return its JSON plus wall time and peaks."""
    import psutil

    cmd = [sys.executable, "-m", "benchmarks.screen_speed", "--child", *args]
    if nice:
        cmd = ["nice", "-n", str(nice), *cmd]
    load0 = os.getloadavg()[0]
    share = CpuShare().start()
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=dict(os.environ, PYTHONPATH=str(ROOT)))
    peak_tree = peak_pss = 0.0
    root = psutil.Process(proc.pid)
    while proc.poll() is None:
        try:
            procs = [root, *root.children(recursive=True)]
            rss = pss = 0
            for p in procs:
                try:
                    rss += p.memory_info().rss
                    pss += _pss_bytes(p.pid)
                except psutil.Error:
                    pass
            peak_tree, peak_pss = max(peak_tree, rss / 2**20), max(peak_pss, pss / 2**20)
        except psutil.Error:
            pass
        time.sleep(0.2)
    stdout, stderr = proc.communicate()
    wall = time.perf_counter() - t0
    # CPU used by anything but the measured process tree (its workers are reaped by the child,
    # so their time is in the child's, and hence our, RUSAGE_CHILDREN).
    other = share.other_cores()
    line = next((ln for ln in stdout.splitlines() if ln.startswith("@@")), None)
    if line is None:
        tail = (stderr or stdout).strip().splitlines()[-3:]
        return {"status": "error", "message": " | ".join(tail)[:400], "wall_s": round(wall, 1)}
    res = json.loads(line[2:])
    res.update(status="ok", wall_s=round(wall, 1), peak_tree_rss_mib=round(peak_tree, 1),
               peak_tree_pss_mib=round(peak_pss, 1) if peak_pss else None,
               load_avg_start=round(load0, 2), load_avg_end=round(os.getloadavg()[0], 2),
               other_cpu_cores=other)
    return res


def moleculeace_deck(path: Path) -> Path:
    """Write the unique SMILES of the 30 bundled MoleculeACE sets (35,633 measured ChEMBL
    compounds, 31.6 heavy atoms on average; :func:`molpred.quickstart.screening_library`),
    shuffled with seed 0, one per line, to ``path``.

    These are the molecules REFERENCE.md's speed table was measured on.
    """
    from molpred.quickstart import screening_library

    smiles = screening_library()["smiles"].sample(frac=1, random_state=0)
    smiles.to_csv(path, index=False, header=False)
    return path


def _library(workdir: Path, sizes: list[int], source: str | None) -> dict[int, Path]:
    """``size -> .smi`` with the first ``size`` lines of one generated (or given) library."""
    if source == "moleculeace":
        source = str(moleculeace_deck(workdir / "moleculeace_deck.smi"))
    big = Path(source) if source else workdir / f"library_{max(sizes)}.smi"
    if not big.exists():
        from benchmarks.library_gen import write_library

        print(f"[screen_speed] generating {max(sizes)} molecules into {big}", file=sys.stderr, flush=True)
        write_library(big, max(sizes), seed=0)
    paths = {}
    with open(big) as fh:
        lines = fh.readlines()
    for n in sizes:
        if n > len(lines):
            raise SystemExit(f"{big} has {len(lines)} lines, fewer than {n}")
        p = workdir / f"lib_{n}.smi"
        if not p.exists() or sum(1 for _ in open(p)) != n:
            p.write_text("".join(lines[:n]))
        paths[n] = p
    return paths


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--child":
        _child(argv[1:])
        return 0
    parser = argparse.ArgumentParser(prog="python -m benchmarks.screen_speed", description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[20_000, 100_000],
                        help="library sizes to screen (Chemprop runs at each of them too)")
    parser.add_argument("--chemprop-sizes", type=int, nargs="+", default=None,
                        help="sizes Chemprop runs at (default: all of --sizes); other sizes get no ratio")
    parser.add_argument("--ablation-sizes", type=int, nargs="*", default=None,
                        help="sizes screened with the 100-molecule model too (default: the smallest)")
    parser.add_argument("--model-epochs", type=int, default=3,
                        help="epochs of the Lipophilicity model (speed does not depend on its weights)")
    parser.add_argument("--library", default=None,
                        help="existing .smi with at least max(sizes) lines, or 'moleculeace' for the bundled "
                             "MoleculeACE compounds (35,633)")
    parser.add_argument("--workdir", default=os.environ.get("MOLPRED_BENCH_DIR", "/tmp/molpred-screen-bench"))
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results"))
    parser.add_argument("--workers", default="auto")
    parser.add_argument("--chunk-size", type=int, default=None, help="rows per chunk (default: the screen's)")
    parser.add_argument("--no-chemprop", action="store_true")
    parser.add_argument("--precision", nargs="+", choices=["auto", "fp32", "bf16"], default=["auto"],
                        help="screen's network arithmetic; each one is run at every size (default: auto)")
    parser.add_argument("--filters", default="pains,brenk,lipinski",
                        help="filters of the filtered screen, run at the smallest size beside the plain one "
                             "('' for none)")
    parser.add_argument("--nice", type=int, default=10,
                        help="niceness added to the measured processes (on top of this process's own)")
    args = parser.parse_args(argv)

    from benchmarks.environment import machine_info, versions

    started = datetime.now(timezone.utc)
    t_start = time.perf_counter()
    workdir = Path(args.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    sizes = sorted(set(args.sizes))
    libs = _library(workdir, sizes, args.library)
    model = workdir / f"dmpnn_lipophilicity_e{args.model_epochs}"
    ablation = workdir / "dmpnn_esol100"
    ablation_sizes = sorted(set(args.ablation_sizes if args.ablation_sizes is not None else sizes[:1]))
    models_info = {}
    for path, which in ((model, "lipophilicity"), (ablation, "esol100")):
        if which == "esol100" and not ablation_sizes:
            continue
        if not (path / "model.json").exists():  # built once per workdir (weights do not change the speed)
            res = _measure(["model", str(path), which, str(args.model_epochs)], args.nice)
            if res["status"] != "ok":
                raise SystemExit(f"could not build the {which} model: {res['message']}")
        saved = json.loads((path / "model.json").read_text())
        models_info[which] = {"n_fit": saved["train_summary"]["n_input"], "n_train": saved["train_summary"]["n_train"],
                              "n_val": saved["train_summary"]["n_val"], "epochs": saved["training"][0]["epochs_run"],
                              "domain": saved.get("domain") is not None, "conformal": saved.get("conformal") is not None}
    rows = []
    small = sizes[0]

    def record(step: str, n: int, res: dict) -> None:
        rows.append({"step": step, "n": n, **{k: v for k, v in res.items() if k != "counts"}})
        (workdir / "rows.json").write_text(json.dumps(rows))  # measurements so far, should the report fail
        print(f"[screen_speed] {step} n={n}: " + ", ".join(f"{k}={v}" for k, v in rows[-1].items()
                                                           if k not in ("step", "n")), file=sys.stderr, flush=True)

    record("rdkit-parse", small, _measure(["rdkit", str(libs[small])], args.nice))
    if not args.no_chemprop:
        try:
            import chemprop  # noqa: F401

            for n in sorted(set(args.chemprop_sizes or sizes)):
                record("chemprop-predict", n, _measure(["chemprop", str(libs[n])], args.nice))
        except ImportError:
            print("[screen_speed] chemprop not installed: skipped", file=sys.stderr)
    for precision in args.precision:
        for n in sizes:
            out = workdir / f"results_{n}"
            res = _measure(["screen", str(model), str(libs[n]), str(out), str(args.workers), str(args.chunk_size),
                            precision], args.nice)
            if res.get("status") == "ok":
                res["end_to_end_mol_per_s"] = round(n / res["wall_s"], 1)
            record(_screen_step(precision), n, res)
    if args.filters:
        res = _measure(["screen", str(model), str(libs[small]), str(workdir / f"results_filtered_{small}"),
                        str(args.workers), str(args.chunk_size), "auto", args.filters], args.nice)
        if res.get("status") == "ok":
            res["end_to_end_mol_per_s"] = round(small / res["wall_s"], 1)
        record(filtered_step(args.filters), small, res)
    for n in ablation_sizes:
        res = _measure(["screen", str(ablation), str(libs[n]), str(workdir / f"results_abl_{n}"), str(args.workers),
                        str(args.chunk_size), "auto"], args.nice)
        if res.get("status") == "ok":
            res["end_to_end_mol_per_s"] = round(n / res["wall_s"], 1)
        record(ABLATION_STEP, n, res)
    prof = _measure(["profile", str(model), str(libs[small])], args.nice)
    wall = time.perf_counter() - t_start
    from molpred.inference.device import cpu_has_fast_bf16

    machine = {**machine_info(), "cpu_bf16": cpu_has_fast_bf16()}
    _write(Path(args.out), rows, prof, started, wall, argv, machine, versions(), args, models_info)
    return 0


def machine_limits(prof: dict, n_cores: int) -> dict:
    """``precision -> molecules/s`` the cores allow if parsing, standardising and the network's
    matrix products were the only work (from the stage profile of the same run)."""
    if prof.get("status") != "ok":
        return {}
    items, out = prof["cpu_us_per_mol"], {}
    for precision in ("fp32", "bf16"):
        floor = items.get(f"encoder matrix products alone, {precision} (the forward's floor)")
        parse = items.get("parse + standardise (to_mol)")
        if floor and parse:
            out[precision] = n_cores * 1e6 / (parse + floor)
    return out


def _precision_of(step: str) -> str:
    return "bf16" if "(bf16)" in step else "fp32"


def filtered_step(filters: str) -> str:
    return f"molpred-screen, --filters {filters}"


def _screen_step(precision: str) -> str:
    return "molpred-screen" if precision == "auto" else f"molpred-screen ({precision})"


def _write(out: Path, rows: list[dict], prof: dict, started, wall: float, argv, machine, vers, args,
           models_info: dict | None = None) -> None:
    import pandas as pd

    frame = pd.DataFrame(rows)
    ok = frame[frame["status"] == "ok"]
    rate = {(r.step, r.n): r.mol_per_s for r in ok.itertuples()}
    small = int(frame["n"].min())
    floor = rate.get(("rdkit-parse", small))
    # every ratio against Chemprop on the same library, same size, same run; none where it did not run
    frame["x_vs_chemprop"] = [round(r.mol_per_s / rate[("chemprop-predict", r.n)], 2)
                              if r.status == "ok" and ("chemprop-predict", r.n) in rate else None
                              for r in frame.itertuples()]
    frame["x_of_rdkit_floor"] = [round(r.mol_per_s / floor, 3) if floor and r.status == "ok" else None for r in frame.itertuples()]
    limits = machine_limits(prof, machine["n_cores"])
    frame["x_of_limit"] = [round(r.mol_per_s / limits[_precision_of(r.step)], 3)
                           if r.status == "ok" and r.step.startswith("molpred-screen") and _precision_of(r.step) in limits
                           else None for r in frame.itertuples()]
    command = command_line(argv, module="benchmarks.screen_speed")
    frame["command"] = command
    for k, v in machine.items():
        frame[k] = v
    for k, v in vers.items():
        frame[f"{k}_version"] = v
    out.mkdir(parents=True, exist_ok=True)
    frame.to_csv(out / "screen_speed.csv", index=False)

    if "mol_per_cpu_s" in frame:  # the same ratio per CPU second (process + workers): load does not bias it
        cpu_rate = {(r.step, r.n): r.mol_per_cpu_s for r in frame.itertuples() if r.status == "ok"}
        frame["x_vs_chemprop_cpu"] = [round(r.mol_per_cpu_s / cpu_rate[("chemprop-predict", r.n)], 2)
                                      if r.status == "ok" and pd.notna(r.mol_per_cpu_s)
                                      and ("chemprop-predict", r.n) in cpu_rate else None
                                      for r in frame.itertuples()]
    cols = [c for c in ("step", "n", "mol_per_s", "end_to_end_mol_per_s", "wall_s", "mol_per_cpu_s", "peak_tree_rss_mib",
                        "peak_tree_pss_mib", "main_maxrss_mib", "main_cpu_us_per_mol", "main_cpu_share", "x_vs_chemprop", "x_vs_chemprop_cpu",
                        "x_of_limit", "x_of_rdkit_floor", "other_cpu_cores", "status") if c in frame]
    table = frame[cols].to_markdown(index=False) if hasattr(frame, "to_markdown") else frame[cols].to_string(index=False)
    ok = frame[frame["status"] == "ok"]  # again: with the CPU ratio column
    memory, speed = [], []
    for step in [st for st in dict.fromkeys(ok["step"]) if st.startswith("molpred-screen")]:
        screens = ok[ok["step"] == step].set_index("n")
        if {100_000, 1_000_000} <= set(screens.index):
            pss = "peak_tree_pss_mib" in screens and screens["peak_tree_pss_mib"].notna().all()
            col = "peak_tree_pss_mib" if pss else "peak_tree_rss_mib"
            a, b = screens.loc[100_000, col], screens.loc[1_000_000, col]
            gb = b * 2**20 / 1e9
            memory.append(
                f"Peak memory (`{step}`, process tree, {'PSS' if pss else 'RSS'}): {a:.0f} MiB for 100k rows, "
                f"{b:.0f} MiB ({gb:.2f} GB) for 1M rows ({(b / a - 1) * 100:+.1f}%; goal: at most 1.5 GB (10^9 "
                f"bytes) and within 10%: {'met' if gb <= 1.5 and abs(b / a - 1) <= 0.10 else 'NOT met'})"
                + (f"; summed RSS, which counts the pages the processes share once per process: "
                   f"{screens.loc[100_000, 'peak_tree_rss_mib']:.0f} and "
                   f"{screens.loc[1_000_000, 'peak_tree_rss_mib']:.0f} MiB." if pss else "."))
        for n in screens.index:
            if ("chemprop-predict", n) in rate:
                x = screens.loc[n, "mol_per_s"] / rate[("chemprop-predict", n)]
                line = (f"`{step}` on {n} molecules: {screens.loc[n, 'mol_per_s']:.0f}/s, {x:.2f}x Chemprop v2 "
                        f"predict on the same {n} molecules in this run "
                        f"({rate[('chemprop-predict', n)]:.0f}/s; goal: 3x).")
                if "x_vs_chemprop_cpu" in screens and pd.notna(screens.loc[n, "x_vs_chemprop_cpu"]):
                    line += (f" Per CPU second (process and workers): {screens.loc[n, 'mol_per_cpu_s']:.0f} molecules, "
                             f"{screens.loc[n, 'x_vs_chemprop_cpu']:.2f}x Chemprop's.")
                speed.append(line)
            else:
                speed.append(f"`{step}` on {n} molecules: {screens.loc[n, 'mol_per_s']:.0f}/s (Chemprop not run at "
                             "this size: no ratio).")
        for n in screens.index:
            if pd.notna(screens.loc[n].get("x_of_limit")):
                speed.append(f"`{step}` on {n} molecules: {screens.loc[n, 'x_of_limit']:.0%} of this machine's limit "
                             f"({limits[_precision_of(step)]:,.0f} molecules/s: {machine['n_cores']} cores / (parse + "
                             "standardise + the network's matrix-product floor, CPU per molecule, profiled in this run); "
                             "goal: 70%). The main process used "
                             f"{screens.loc[n, 'main_cpu_us_per_mol']:.0f} us of CPU per molecule, "
                             f"{screens.loc[n, 'main_cpu_share']:.1%} of the screen's CPU.")
    plain = rate.get(("molpred-screen", small))
    for step in [st for st in dict.fromkeys(ok["step"]) if "--filters" in st]:
        filtered = rate.get((step, small))
        if plain and filtered:
            speed.append(f"`{step}` on {small} molecules: {filtered:.0f}/s, {plain / filtered:.2f}x the time of the "
                         f"unfiltered screen in this run ({plain:.0f}/s; goal: at most 1.5x).")
    from benchmarks.screen_profile import profile_text
    from molpred.screen.api import CHUNK_SIZE

    profile = profile_text(prof, frame, machine["n_cores"])
    text = "\n".join([
        "# Screening speed and memory", "",
        f"Command: `{command}` (started {started.isoformat(timespec='seconds')}, wall time {wall:.0f} s; "
        f"measured processes at niceness {os.nice(0) + args.nice}: `nice -n {args.nice}` on top of this process's {os.nice(0)}).",
        f"Machine: {machine['cpu_model']}, {machine['n_cores']} cores, {machine['ram_gib']} GiB RAM, {machine['os']}, "
        f"Python {machine['python']}. " + _load_note(frame, machine),
        "Versions: " + ", ".join(f"{k} {v}" for k, v in vers.items()), "",
        ("Library: the 35,633 unique compounds of the 30 bundled MoleculeACE sets, shuffled (seed 0), first n. "
         if args.library == "moleculeace" else f"Library: `{args.library}`, first n lines. " if args.library else
         "Library: `benchmarks.library_gen` (BRICS recombination of real molecules, seed 0), `.smi`, first n lines. ") +
        f"Chunks of {args.chunk_size or CHUNK_SIZE:,} rows. " +
        "Model: D-MPNN hidden 300, depth 3, FFN 300 x 2, fitted on Lipophilicity "
        f"({_model_note((models_info or {}).get('lipophilicity'))}), with applicability domain and conformal "
        "intervals as `MolPropertyRegressor` fits them by default (so the screen also computes fingerprints and "
        "their similarity to every training molecule). "
        f"`{ABLATION_STEP}`: fitted 1 epoch on 100 ESOL molecules instead "
        f"({_model_note((models_info or {}).get('esol100'))}), a small domain: an ablation, not the benchmark. "
        "Chemprop: an MPNN with the `chemprop train` defaults (norm aggregation), predicting in batches of 64 "
        "(the `chemprop predict` default) on the same molecules at each size. "
        "`molpred-screen` uses the default arithmetic (float32 on the CPU); `molpred-screen (bf16)` runs the "
        "network in bfloat16 (`precision=\"bf16\"`, matrix units of this CPU: "
        f"{'yes' if machine.get('cpu_bf16') else 'no'}). "
        "`mol_per_s`: rows over the `screen()` call (or, for Chemprop, from the SMILES list to predictions); "
        "`end_to_end_mol_per_s`: over the whole subprocess including start-up; peak RSS and peak PSS (proportional set size: "
        "a page shared by k processes counts 1/k in each) summed over the process tree (main + workers).", "",
        table, "",
        *[x for line in speed + memory for x in (line, "")],
        *(["CPU time per molecule and stage (one thread, first molecules of the smallest library):", "", profile, ""]
          if profile else []),
    ]) + "\n"
    (out / "screen_speed.md").write_text(text, encoding="utf-8")
    print(text)


def _model_note(info: dict | None) -> str:
    if not info:
        return "not built in this run"
    return (f"{info.get('n_fit')} molecules: {info.get('n_train')} train + {info.get('n_val')} validation "
            f"for the calibration, {info.get('epochs')} epoch(s)")


def _load_note(frame, machine: dict) -> str:
    """Whether other jobs shared the machine (:func:`benchmarks.environment.sharing_note`)."""
    if "other_cpu_cores" not in frame:
        return ""
    return sharing_note(frame["other_cpu_cores"].astype(float), machine["n_cores"])


if __name__ == "__main__":
    raise SystemExit(main())
