"""Per-stage screening costs measured here, projected to bigger machines (issue 20).

    python -m benchmarks.screen_scaling [--model DIR] [--n 3000] [--out benchmarks/results]

Measured on this machine, one thread, CPU time (``time.process_time``), on the first ``n``
molecules of MolPAL's Enamine 50k library (real purchasable compounds), with the screening
benchmark's model (D-MPNN fitted on Lipophilicity, 4,200 molecules, applicability domain and
conformal intervals on; trained here unless ``--model`` is given):

* every stage of the screen's hot path (:func:`benchmarks.screen_profile.profile_stages`);
* the applicability-domain similarity search against the model's training fingerprints;
* the network's size per molecule: floating-point operations of the encoder, readout and head
  at the library's mean numbers of atoms and bonds, counted from the weight shapes.

Projected (arithmetic on those numbers, written out in the report, not measured):

* a 16-core node without a GPU: every core runs every stage;
* the same node with one GPU: 15 worker cores run the CPU stages, the GPU runs the network; the
  GPU's time per molecule is the FLOP count over an *assumed* sustained rate (``--gpu-tflops``,
  default 5 TFLOP/s: 2-3% of a current data-centre GPU's bf16 peak, since message passing is
  gather/scatter-bound), so the report shows how far the GPU is from being the bound;
* a Ray cluster screening 10^9 molecules with such nodes: node-hours.

Every projection assumes perfect scaling across cores (no hand-off, reading, ranking or writing
cost): they are upper bounds, and the report says which stage bounds each case.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

__all__ = ["measure", "project", "network_flops", "main"]

CPU_STAGES = ("parse + standardise (to_mol)", "canonical SMILES", "featurise (MolGraphFeaturizer)",
              "domain fingerprints", "domain similarity search", "pack (PackedGraphs)")


def _library(path: Path, n: int, out: Path) -> Path:
    """The first ``n`` SMILES of MolPAL's Enamine 50k file as a ``.smi``."""
    smiles = []
    with gzip.open(path, "rt") as fh:
        next(fh)
        for line in fh:
            smiles.append(line.split(",")[0].strip())
            if len(smiles) == n:
                break
    out.write_text("\n".join(smiles) + "\n")
    return out


def network_flops(est, graphs: list) -> dict:
    """Floating-point operations per molecule of the D-MPNN forward (2 per multiply-add).

    Parameters
    ----------
    est : molpred.MolPropertyRegressor
        A fitted D-MPNN model (its first ensemble member is counted).
    graphs : list
        Featurised molecules (``MolGraph``), for the mean numbers of atoms and directed bonds.

    Returns
    -------
    dict
        ``atoms``, ``directed_bonds`` (means), ``flops`` per molecule and its parts.
    """
    net = est.members_[0]
    enc = net.encoder
    atoms = float(np.mean([g.x.shape[0] for g in graphs]))
    edges = float(np.mean([g.edge_index.shape[1] for g in graphs]))
    w_i, w_h, w_o = (lin.weight.shape for lin in (enc.W_i, enc.W_h, enc.W_o))  # (out, in)
    parts = {"W_i (directed bonds)": 2 * edges * w_i[0] * w_i[1],
             "W_h (directed bonds x (depth - 1))": 2 * edges * w_h[0] * w_h[1] * (enc.depth - 1),
             "W_o (atoms)": 2 * atoms * w_o[0] * w_o[1]}
    head = sum(2 * p.shape[0] * p.shape[1] for name, p in net.named_parameters()
               if p.ndim == 2 and not name.startswith("encoder."))
    parts["readout + head (one row per molecule)"] = head
    return {"atoms": atoms, "directed_bonds": edges, "parts": parts, "flops": float(sum(parts.values()))}


def measure(model: str, library: str, n: int) -> dict:
    """Stage costs (CPU us per molecule, one thread) and the network's FLOPs per molecule."""
    import torch

    import molpred
    from benchmarks.screen_profile import profile_stages
    from molpred.chem import morgan_fingerprints, to_mol
    from molpred.exceptions import MolpredError

    torch.set_num_threads(1)
    prof = profile_stages(model, library, n)
    est = molpred.load(model)
    mols = []
    for s in Path(library).read_text().split():
        try:
            mols.append(to_mol(s))
        except MolpredError:
            continue
    packed = np.packbits(morgan_fingerprints(mols), axis=1)
    # warm-up as a few chunks into a screen: the kernel choice (timed once per process), the
    # unpacked training bits and oneDNN's int8 kernels exist before the timed call
    est.domain_.score(packed[:256])
    t0 = time.process_time()
    est.domain_.score(packed)
    prof["cpu_us_per_mol"]["domain similarity search"] = round((time.process_time() - t0) / len(mols) * 1e6, 1)
    flops = network_flops(est, [est.featurizer_(m) for m in mols])
    return {"stages": prof["cpu_us_per_mol"], "n": prof["n"], "n_train_fingerprints": int(est.domain_.train_packed_.shape[0]),
            "network": flops}


def project(stages: dict, flops: float, gpu_tflops: float, cores: int = 16, molecules: float = 1e9) -> list[dict]:
    """Throughput bounds (molecules/s) and node-hours for ``molecules``, per scenario.

    Parameters
    ----------
    stages : dict
        CPU us per molecule per stage (one thread), as :func:`measure` returns.
    flops : float
        Network FLOPs per molecule.
    gpu_tflops : float
        Assumed sustained GPU rate for this network, TFLOP/s.
    cores : int
        Cores of the projected node.
    molecules : float
        Library size for the node-hours column.
    """
    cpu = sum(stages[k] for k in CPU_STAGES)
    rows = []
    for precision in ("fp32", "bf16"):
        forward = stages.get(f"batches + forward, {precision} (as the screen builds them)")
        if forward is None:
            continue
        per_mol = cpu + forward
        bound = max([*CPU_STAGES, "forward"], key=lambda k: forward if k == "forward" else stages[k])
        for label, c in (("this machine (2 cores), CPU only", 2), (f"{cores}-core node, CPU only", cores)):
            rate = c * 1e6 / per_mol
            rows.append({"scenario": label, "network": f"CPU {precision}", "mol_per_s": rate,
                         "node_hours_1e9": molecules / rate / 3600, "bound": f"CPU, largest stage: {bound}"})
    gpu_us = flops / (gpu_tflops * 1e12) * 1e6
    workers = cores - 1  # one core feeds the GPU
    cpu_rate = workers * 1e6 / cpu
    gpu_rate = 1e6 / gpu_us
    rate = min(cpu_rate, gpu_rate)
    largest = max(CPU_STAGES, key=lambda k: stages[k])
    rows.append({"scenario": f"{cores}-core node + 1 GPU ({workers} worker cores)",
                 "network": f"GPU at an assumed {gpu_tflops:g} TFLOP/s", "mol_per_s": rate,
                 "node_hours_1e9": molecules / rate / 3600,
                 "bound": (f"CPU stages ({cpu_rate:,.0f}/s; largest: {largest}); the GPU alone would allow "
                           f"{gpu_rate:,.0f}/s") if cpu_rate < gpu_rate else f"GPU ({gpu_rate:,.0f}/s)"})
    return rows


def _report(res: dict, rows: list[dict], args, machine: dict, versions: dict, wall: float, started: str) -> str:
    stages = res["stages"]
    cpu = sum(stages[k] for k in CPU_STAGES)
    net = res["network"]
    lines = [
        "# Screening: per-stage costs and projections to bigger machines", "",
        f"Command: `python -m benchmarks.screen_scaling {' '.join(args.argv)}` (started {started}, wall time "
        f"{wall:.0f} s).",
        f"Machine: {machine['cpu_model']}, {machine['n_cores']} cores, {machine['ram_gib']} GiB RAM; load average "
        f"at the start {args.load:.1f} (CPU times move less with load than wall times do).",
        "Versions: " + ", ".join(f"{k} {v}" for k, v in versions.items() if v), "",
        f"Measured: CPU time per molecule, one thread, first {res['n']} molecules of MolPAL's Enamine 50k library; "
        f"model: D-MPNN fitted on Lipophilicity, domain with {res['n_train_fingerprints']} training fingerprints, "
        "conformal intervals on.", "",
        "| stage | CPU us / molecule | in the CPU stages |", "|---|---|---|",
        *[f"| {k} | {v:,.1f} | {'yes' if k in CPU_STAGES else ''} |" for k, v in stages.items()],
        f"| **CPU stages, total** | **{cpu:,.1f}** | |", "",
        f"Network size: {net['flops'] / 1e6:.1f} MFLOP per molecule at the library's mean "
        f"{net['atoms']:.1f} atoms and {net['directed_bonds']:.1f} directed bonds ("
        + "; ".join(f"{k} {v / 1e6:.1f}" for k, v in net["parts"].items()) + " MFLOP).", "",
        "## Projections (upper bounds: perfect scaling, no I/O or hand-off cost)", "",
        "| scenario | network | molecules/s | node-hours for 10^9 | bound by |", "|---|---|---|---|---|",
        *[f"| {r['scenario']} | {r['network']} | {r['mol_per_s']:,.0f} | {r['node_hours_1e9']:,.1f} | {r['bound']} |"
          for r in rows], "",
        "How to read it: on CPU-only nodes the network forward and the CPU stages share every core, so the "
        "sum of the stage costs sets the rate; with a GPU the forward leaves the CPU and the CPU stages on the "
        "remaining cores set it, unless the GPU's own rate is lower. The GPU rate is an assumption "
        f"(`--gpu-tflops {args.gpu_tflops:g}`), not a measurement: no GPU was available here. A Ray cluster "
        "of N such nodes divides the node-hours by N (shards are independent; reading shards from shared "
        "storage and merging the top-K are not counted).",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    from benchmarks.environment import machine_info, versions
    from benchmarks.screen_speed import _child_model
    from molpred.datasets.cards import find_data_dir

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", default=None, help="screening model directory (default: fit the Lipophilicity model)")
    p.add_argument("--n", type=int, default=3000, help="library molecules to profile")
    p.add_argument("--gpu-tflops", type=float, default=5.0, help="assumed sustained GPU rate for the projection")
    p.add_argument("--cores", type=int, default=16)
    p.add_argument("--workdir", default="/tmp/molpred-screen-scaling")
    p.add_argument("--out", default="benchmarks/results")
    args = p.parse_args(argv)
    args.argv = argv if argv is not None else __import__("sys").argv[1:]
    args.load = os.getloadavg()[0]
    started, t0 = datetime.now(timezone.utc).isoformat(timespec="seconds"), time.perf_counter()
    work = Path(args.workdir)
    work.mkdir(parents=True, exist_ok=True)
    model = args.model
    if model is None:
        model = str(work / "lipophilicity-model")
        if not (Path(model) / "model.json").is_file():
            _child_model(model)
    library = _library(find_data_dir("molpal") / "molpal" / "Enamine50k.csv.gz", args.n, work / "enamine.smi")
    res = measure(model, str(library), args.n)
    rows = project(res["stages"], res["network"]["flops"], args.gpu_tflops, args.cores)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    text = _report(res, rows, args, machine_info(), versions(), time.perf_counter() - t0, started)
    (out / "screen_scaling.md").write_text(text, encoding="utf-8")
    (out / "screen_scaling.json").write_text(json.dumps({"measured": res, "projections": rows}, indent=2) + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
