"""Cost of applicability-domain scoring per query molecule, by training-set size.

``ApplicabilityDomain.score`` compares every query with every training fingerprint (ECFP4,
2,048 bits): by an int8 matrix product of the unpacked bits where ``torch._int_mm`` runs and
a one-off timing finds it faster, else by popcount over packed 64-bit words (``numpy.bitwise_count``); the popcount kernel alone
is timed in the same run as ``before``. This measures its cost per query at 100, 2,000 and 20,000
training molecules (HIV compounds from MoleculeNet; 1,000 other HIV compounds as queries),
from packed fingerprints (fingerprinting is a separate, per-query constant), and checks the
similarities against RDKit's ``BulkTanimotoSimilarity`` (C++), which is also timed as the
peer on a subset of queries.

CPU time (``time.process_time``, this process only, single thread) is reported next to wall
time because the machine is often shared: CPU time moves less with other jobs (caches and
memory bandwidth are still shared).

Usage::

    OMP_NUM_THREADS=1 python -m benchmarks.domain_speed [--sizes 100 2000 20000] [--queries 1000]
"""

from __future__ import annotations

import argparse
import os
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from benchmarks.environment import command_line, machine_info, versions

RESULTS = Path(__file__).resolve().parent / "results"


def _timed(fn, repeats: int) -> tuple[float, float]:
    """Best (CPU seconds, wall seconds) over ``repeats`` calls."""
    best_cpu, best_wall = np.inf, np.inf
    for _ in range(repeats):
        c0, w0 = time.process_time(), time.perf_counter()
        fn()
        best_cpu = min(best_cpu, time.process_time() - c0)
        best_wall = min(best_wall, time.perf_counter() - w0)
    return best_cpu, best_wall


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.domain_speed", description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 2000, 20000])
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--rdkit-queries", type=int, default=100, help="queries timed with RDKit (slow)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", default=str(RESULTS / "domain_speed.md"))
    args = parser.parse_args(argv)

    import pandas as pd
    from rdkit import Chem, DataStructs

    from molpred.chem import morgan_fingerprints
    from molpred.chem.fingerprints import morgan_bitvects
    from molpred.datasets import load as load_dataset
    from molpred.uncertainty import ApplicabilityDomain

    try:
        import torch

        torch.set_num_threads(1)
    except ImportError:  # pragma: no cover
        pass
    start_all = time.perf_counter()
    smiles = load_dataset("hiv")["smiles"].tolist()
    need = max(args.sizes) + args.queries
    mols = []
    for s in smiles:
        m = Chem.MolFromSmiles(s)
        if m is not None and m.GetNumAtoms() > 0:
            mols.append(m)
        if len(mols) == need:
            break
    fps = morgan_fingerprints(mols, radius=2, n_bits=2048)
    packed = np.packbits(fps, axis=1)
    queries = packed[-args.queries:]
    rd_fps = morgan_bitvects(mols, 2, 2048)
    rd_queries = rd_fps[-args.queries:][: args.rdkit_queries]

    from molpred.uncertainty import tanimoto

    rows = []
    for n in args.sizes:
        ad = ApplicabilityDomain().fit(packed[:n])
        # before: the popcount kernel over 64-bit words alone (as up to commit 4e6f238)
        pays = tanimoto._int8_matmul_pays
        tanimoto._int8_matmul_pays = lambda: False
        try:
            old_cpu, old_wall = _timed(lambda ad=ad: ad.score(queries), args.repeats)
            old = ad.score(queries)
        finally:
            tanimoto._int8_matmul_pays = pays
        kernel = "int8 product" if ad._training_fingerprints().use_matmul(len(queries)) else "popcount"
        c0 = time.process_time()
        if kernel == "int8 product":
            ad._training_fingerprints().bits()  # the unpacked copy, made once per model and process
        prepare_ms = 1e3 * (time.process_time() - c0)
        cpu, wall = _timed(lambda ad=ad: ad.score(queries), args.repeats)
        new = ad.score(queries)
        same_old = all(np.array_equal(old[k], new[k]) for k in new)
        ours = new["max_sim_train"]
        train_rd = rd_fps[:n]

        def rdkit_max(train_rd=train_rd):
            return np.array([max(DataStructs.BulkTanimotoSimilarity(q, train_rd)) for q in rd_queries])

        rd_cpu, rd_wall = _timed(rdkit_max, 1)
        ref = rdkit_max().astype(np.float32)
        same = bool(np.array_equal(ours[: len(ref)], ref))
        rows.append({
            "n_train": n, "n_queries": len(queries), "kernel": kernel, "prepare_ms_cpu": prepare_ms,
            "before_us_per_query_cpu": 1e6 * old_cpu / len(queries),
            "before_us_per_query_wall": 1e6 * old_wall / len(queries),
            "us_per_query_cpu": 1e6 * cpu / len(queries), "us_per_query_wall": 1e6 * wall / len(queries),
            "identical_to_before": same_old,
            "rdkit_us_per_query_cpu": 1e6 * rd_cpu / len(rd_queries),
            "rdkit_us_per_query_wall": 1e6 * rd_wall / len(rd_queries),
            "max_sim_identical_to_rdkit": same,
        })
        print(rows[-1], flush=True)
    df = pd.DataFrame(rows)
    mach, ver = machine_info(), versions()
    load1 = os.getloadavg()[0]
    lines = [
        "# Applicability-domain scoring: cost per query",
        "",
        f"Run {datetime.now(timezone.utc).isoformat(timespec='minutes')}; command: "
        f"`OMP_NUM_THREADS=1 {command_line(argv, 'benchmarks.domain_speed')}`; "
        f"total wall time {time.perf_counter() - start_all:.0f} s.",
        "",
        "Queries: the last HIV compounds of the set; training sets: the first `n_train` HIV "
        "compounds. Costs start from packed fingerprints (ECFP4 2,048 bits). molpred: "
        "`ApplicabilityDomain.score` (max and 5-NN mean similarity, nearest index), best of "
        f"{args.repeats} runs. RDKit: `max(BulkTanimotoSimilarity(q, train))` per query, "
        f"{args.rdkit_queries} queries, one run. `max_sim_identical_to_rdkit`: molpred's "
        "`max_sim_train` equals RDKit's similarity cast to float32, bit for bit.",
        "",
        "`before`: the popcount kernel over 64-bit words in cache tiles (the only kernel up to "
        "commit 4e6f238), timed in the same run; `after`: the kernel `ApplicabilityDomain` picks "
        "(`kernel`; the int8 matrix product of unpacked bits where `torch._int_mm` runs and a one-off "
        "timing in the process finds it faster than the popcount). "
        "`prepare`: unpacking the training bits for the int8 product, once per model and process "
        "(not in the per-query cost). `identical_to_before`: every score array equal bit for bit.",
        "",
        "| n_train | kernel | before us/query (CPU) | after us/query (CPU) | before (wall) | after (wall) | "
        "prepare ms (CPU) | RDKit us/query (CPU) | RDKit (wall) | identical to before | identical to RDKit |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(f"| {r['n_train']:,} | {r['kernel']} | {r['before_us_per_query_cpu']:.0f} | {r['us_per_query_cpu']:.0f} | "
                     f"{r['before_us_per_query_wall']:.0f} | {r['us_per_query_wall']:.0f} | "
                     f"{r['prepare_ms_cpu']:.1f} | {r['rdkit_us_per_query_cpu']:.0f} | {r['rdkit_us_per_query_wall']:.0f} | "
                     f"{r['identical_to_before']} | {r['max_sim_identical_to_rdkit']} |")
    lines += [
        "",
        f"Machine: {mach['cpu_model']}, {mach['n_cores']} cores, {mach['ram_gib']} GiB RAM, "
        f"{mach['os']}, Python {mach['python']}; one thread. Load average at the end: {load1:.1f} "
        f"on {mach['n_cores']} cores" + (" (heavily shared: absolute numbers are inflated; compare "
                                        "columns within this run)." if load1 > 1.5 * mach["n_cores"] else "."),
        "",
        "Versions: " + ", ".join(f"{k} {v}" for k, v in ver.items() if v != "not installed") + ".",
        "",
    ]
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines), encoding="utf-8")
    df.to_csv(out.with_suffix(".csv"), index=False, float_format="%.4g")
    print(f"written {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
