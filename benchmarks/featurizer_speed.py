"""CPU cost of the molgraph v2 featurizer before and after reading atoms in bulk, and a check
that both give bit-identical graphs.

"Before" is the per-atom implementation at a8b41b0 (frozen in
``tests/featurize/molgraph_v2_reference.py``, plus that version's per-bond edge loop);
"after" is ``MolGraphFeaturizer()`` of this checkout. Both run in the same process on the same
standardised molecules (every MoleculeACE row of the 30 bundled targets and every
``--moses-every``-th MOSES training molecule), in blocks of ``--block`` molecules whose order
alternates (before/after, then after/before), so machine load hits both alike. Times are CPU
seconds of this process (``time.process_time``), the best of ``--reps`` repetitions per
implementation. Writes ``benchmarks/results/featurizer_speed.{md,json}`` after every
repetition (a stopped run leaves its completed repetitions).

Usage::

    nice -n 15 python -m benchmarks.featurizer_speed [--moses-every 300] [--reps 3]
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import json
import os
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from benchmarks.environment import command_line, machine_info, versions

RESULTS = Path(__file__).resolve().parent / "results"


def _molecules(moses_every: int) -> tuple[list, dict]:
    import molpred
    from molpred.chem.standardize import to_mol

    ace = []
    for name in molpred.datasets.list_datasets():
        if name.startswith("moleculeace/"):
            ace += list(molpred.datasets.load_moleculeace(name.split("/", 1)[1]).smiles)
    with gzip.open(molpred.datasets.find_data_dir() / "moses" / "moses_train.csv.gz", "rt") as fh:
        next(fh)
        moses = [line.strip() for line in itertools.islice(fh, 0, None, moses_every)]
    mols, failed = [], 0
    for s in ace + moses:
        try:
            mols.append(to_mol(s))
        except Exception:  # noqa: BLE001 - counted, not featurised
            failed += 1
    return mols, {"n_moleculeace_rows": len(ace), "n_moses": len(moses), "n_not_standardised": failed}


def _before(mol):
    """The featurizer call at a8b41b0: per-atom features, then the per-bond edge loop."""
    from molpred.featurize.atom_bond import _edges
    from molpred.featurize.graph import MolGraph
    from tests.featurize import molgraph_v2_reference as ref

    x, bond_attr = ref.features(mol)
    if mol.GetNumBonds() == 0:
        return MolGraph(x, np.zeros((2, 0), np.int64), np.zeros((0, ref.D_BOND), np.float32))
    edge_index, edge_attr = _edges(bond_attr, mol)  # without ends: reads them bond by bond, as then
    return MolGraph(x, edge_index, edge_attr)


def _identical(a, b) -> bool:
    return all(p.dtype == q.dtype and p.shape == q.shape and np.array_equal(p, q)
               for p, q in ((a.x, b.x), (a.edge_index, b.edge_index), (a.edge_attr, b.edge_attr)))


def _write(out: Path, row: dict) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "featurizer_speed.json").write_text(json.dumps(row, indent=1), encoding="utf-8")
    done = row["reps_done"]
    text = "\n".join([
        "# molgraph v2 featurizer: CPU per molecule before and after reading atoms in bulk", "",
        f"Command: `{row['command']}` (started {row['started']}, {row['wall_s']:.0f} s wall so far; "
        f"{done} of {row['reps']} repetitions done{'' if done == row['reps'] else ': PARTIAL'}).",
        f"Machine: {row['cpu_model']}, {row['n_cores']} cores, shared: load average {row['load_start']} at "
        f"the start and {row['load_now']} at the last write (other sessions and benchmarks running), so "
        "times are CPU seconds of this process, not wall clock. Versions: "
        + ", ".join(f"{k} {v}" for k, v in row["versions"].items()) + ".", "",
        f"Molecules: all {row['n_moleculeace_rows']:,} MoleculeACE rows of the 30 bundled targets and "
        f"{row['n_moses']:,} MOSES training molecules (every {row['moses_every']}th), standardised with "
        f"`molpred.chem.to_mol` ({row['n_not_standardised']} refused); {row['n_mols']:,} featurised, "
        f"{row['mean_atoms']:.1f} heavy atoms and {row['mean_bonds']:.1f} bonds on average.", "",
        f"Bit-identical graphs (x, edge_index, edge_attr, dtypes): {row['n_identical']:,} of {row['n_mols']:,}.", "",
        "| implementation | CPU us / molecule (best of reps) | CPU us / atom | all reps (us / molecule) |",
        "|---|---|---|---|",
        *[f"| {name} | {row[name]['best_us_per_mol']:.1f} | {row[name]['best_us_per_mol'] / row['mean_atoms']:.2f} | "
          f"{', '.join(f'{v:.1f}' for v in row[name]['us_per_mol'])} |" for name in ("before", "after")],
        "",
        f"Speed-up (best before / best after): **{row['speedup']:.2f}x**.", "",
        "Before = `tests/featurize/molgraph_v2_reference.py` (molgraph_v2.py at a8b41b0) + the per-bond edge "
        "loop of `MolGraphFeaturizer` at a8b41b0; after = `MolGraphFeaturizer()` (reads through "
        "`molpred/featurize/atom_arrays.py`). Blocks of "
        f"{row['block']} molecules alternate which implementation runs first.", "",
    ])
    (out / "featurizer_speed.md").write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.featurizer_speed", description=__doc__.split("\n")[0])
    parser.add_argument("--moses-every", type=int, default=300)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--block", type=int, default=500)
    parser.add_argument("--out", default=str(RESULTS))
    args = parser.parse_args(argv)
    from rdkit import RDLogger

    from molpred.featurize import MolGraphFeaturizer

    RDLogger.DisableLog("rdApp.*")
    t0 = time.perf_counter()
    started = datetime.now(timezone.utc).isoformat(timespec="seconds")
    mols, counts = _molecules(args.moses_every)
    after = MolGraphFeaturizer()
    n_identical = sum(_identical(_before(m), after(m)) for m in mols)
    row = {
        "command": command_line(argv, module="benchmarks.featurizer_speed"), "started": started,
        "load_start": " ".join(f"{v:.1f}" for v in os.getloadavg()), "moses_every": args.moses_every,
        "reps": args.reps, "reps_done": 0, "block": args.block, "n_mols": len(mols), **counts,
        "mean_atoms": float(np.mean([m.GetNumAtoms() for m in mols])),
        "mean_bonds": float(np.mean([m.GetNumBonds() for m in mols])),
        "n_identical": int(n_identical), "versions": versions(), **machine_info(),
        "before": {"us_per_mol": []}, "after": {"us_per_mol": []},
    }
    impls = {"before": _before, "after": after}
    for _ in range(args.reps):
        cpu = {"before": 0.0, "after": 0.0}
        for k, lo in enumerate(range(0, len(mols), args.block)):
            block = mols[lo:lo + args.block]
            for name in (("before", "after") if k % 2 == 0 else ("after", "before")):
                fn = impls[name]
                c0 = time.process_time()
                for m in block:
                    fn(m)
                cpu[name] += time.process_time() - c0
        for name in impls:
            row[name]["us_per_mol"].append(cpu[name] / len(mols) * 1e6)
            row[name]["best_us_per_mol"] = min(row[name]["us_per_mol"])
        row["reps_done"] += 1
        row["speedup"] = row["before"]["best_us_per_mol"] / row["after"]["best_us_per_mol"]
        row["wall_s"] = time.perf_counter() - t0
        row["load_now"] = " ".join(f"{v:.1f}" for v in os.getloadavg())
        _write(Path(args.out), row)
    print((Path(args.out) / "featurizer_speed.md").read_text())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
