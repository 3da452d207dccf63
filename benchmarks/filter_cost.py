"""CPU cost per molecule of the medicinal-chemistry filters, and what the PAINS pre-screen saves.

Measures, on compounds of the bundled MoleculeACE sets (or any SMILES file), the process CPU
time per molecule of: PAINS through RDKit's FilterCatalog (every alert collected, the old path),
PAINS through molpred's pattern-fingerprint pre-screen (the path ``apply_filters`` takes),
Brenk, and the Lipinski properties; checks that the two PAINS paths report the same alerts for
every molecule; writes ``benchmarks/results/filter_cost.md``. CPU time (not wall time), so a
busy machine changes the numbers less.

Usage::

    python -m benchmarks.filter_cost [--n 3000]
"""

from __future__ import annotations

import argparse
import time
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from benchmarks.environment import command_line, machine_info, versions

RESULTS = Path(__file__).resolve().parent / "results"
DATASETS = Path(__file__).resolve().parent.parent / "datasets" / "moleculeace"


def _per_mol_us(fn, mols) -> float:
    t = time.process_time()
    for m in mols:
        fn(m)
    return (time.process_time() - t) / len(mols) * 1e6


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.filter_cost", description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=3000, help="molecules (spread over the 30 MoleculeACE sets)")
    parser.add_argument("--out", default=str(RESULTS))
    args = parser.parse_args(argv)

    from rdkit import Chem

    from molpred.chem import filters

    start = time.perf_counter()
    frames = [pd.read_csv(p) for p in sorted(DATASETS.glob("*.csv"))]
    smiles = pd.concat(frames).smiles.drop_duplicates().sample(frac=1.0, random_state=0).head(args.n)
    mols = [m for m in (Chem.MolFromSmiles(s) for s in smiles) if m is not None]
    catalogue = filters._catalog("pains")
    filters._screened("pains")  # build outside the timing
    old = [sorted({e.GetDescription() for e in catalogue.GetMatches(m)}) for m in mols]
    new = [filters._alerts(m, "pains") for m in mols]
    mismatches = sum(a != b for a, b in zip(old, new))
    rows = [
        ("PAINS, FilterCatalog.GetMatches (before)", _per_mol_us(catalogue.GetMatches, mols)),
        ("PAINS, pattern-fingerprint pre-screen (now)", _per_mol_us(lambda m: filters._alerts(m, "pains"), mols)),
        ("Brenk, FilterCatalog.GetMatches", _per_mol_us(lambda m: filters._alerts(m, "brenk"), mols)),
        ("Lipinski properties (MW, cLogP, HBD, HBA)",
         _per_mol_us(lambda m: [filters.PROPERTIES[p](m) for p in ("mw", "clogp", "hbd", "hba")], mols)),
    ]
    wall = time.perf_counter() - start
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    lines = [
        "# Filter cost per molecule",
        "",
        f"Command: `{command_line(argv, 'benchmarks.filter_cost')}`  ",
        f"Date: {datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}; wall time {wall:.0f} s  ",
        f"Machine: {machine_info()}  ",
        f"Versions: {versions()}  ",
        f"Molecules: {len(mols)} distinct MoleculeACE compounds (seeded sample); "
        f"{sum(bool(a) for a in old)} have a PAINS alert; PAINS alerts differing between the two paths: "
        f"**{mismatches}**.",
        "",
        "Process CPU time per molecule (not wall time: other jobs on the machine move it less):",
        "",
        "| stage | CPU us per molecule |",
        "|---|---|",
        *(f"| {name} | {us:,.0f} |" for name, us in rows),
        "",
        f"PAINS pre-screen speed-up: {rows[0][1] / rows[1][1]:.1f}x; "
        f"PAINS + Brenk + Lipinski now {rows[1][1] + rows[2][1] + rows[3][1]:,.0f} us per molecule, "
        f"before {rows[0][1] + rows[2][1] + rows[3][1]:,.0f} us.",
        "",
    ]
    (out / "filter_cost.md").write_text("\n".join(lines))
    print("\n".join(lines))
    return 0 if mismatches == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
