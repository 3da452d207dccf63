"""CPU cost per molecule of the medicinal-chemistry filters: molpred's path against the reference.

Measures, on compounds of the bundled MoleculeACE sets, the process CPU time per molecule of
``--filters pains,brenk,lipinski``:

* the previous path, ``apply_filters`` of another git revision (``--before``, default ``main``):
  PAINS through a pattern-fingerprint pre-screen, Brenk through ``GetMatches``, all four
  Lipinski descriptors;
* the reference: RDKit's ``FilterCatalog.GetMatches`` over every PAINS and Brenk entry, then
  the four Lipinski descriptors (MW, cLogP, HBD, HBA) by plain calls;
* molpred's path, ``apply_filters`` in slices of 500 molecules as a screen worker runs it:
  alerts through the pre-screen of ``molpred.chem.alerts`` and, when the Lipinski properties
  are not reported (``report_needed=False``, a screen without them as output columns), cLogP
  only where it decides the rule; and the same with all four properties reported;

and the parts of the new path (alert pre-screen alone, alerts confirmed). Every timed path gets
freshly parsed molecules (RDKit caches Crippen values on a molecule). Counts the rows whose
``passes``, ``filter_reasons`` or reported property differ from the reference (must be 0) and
writes ``benchmarks/results/filter_cost.md``. CPU time, not wall time, so other jobs on the
machine move the numbers less (they still do: note the load).

Usage::

    python -m benchmarks.filter_cost [--n 3000] [--before main] [--repeat 2]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
import types
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks.environment import command_line, machine_info, versions

RESULTS = Path(__file__).resolve().parent / "results"
DATASETS = Path(__file__).resolve().parent.parent / "datasets" / "moleculeace"
SLICE = 500  # molecules per apply_filters call, as molpred.screen.worker.SLICE
LIPINSKI = ("mw", "clogp", "hbd", "hba")


def _reference(mols) -> list[tuple[bool, str, dict]]:
    from rdkit.Chem import Crippen, Descriptors, rdMolDescriptors

    from molpred.chem.alerts import catalog

    rows = []
    for mol in mols:
        reasons = []
        for name in ("pains", "brenk"):
            found = sorted({e.GetDescription() for e in catalog(name).GetMatches(mol)})
            reasons += [f"{name.upper()}:{d}" for d in found]
        props = {"mw": Descriptors.MolWt(mol), "clogp": Crippen.MolLogP(mol),
                 "hbd": rdMolDescriptors.CalcNumHBD(mol), "hba": rdMolDescriptors.CalcNumHBA(mol)}
        broken = (props["mw"] > 500) + (props["clogp"] > 5) + (props["hbd"] > 5) + (props["hba"] > 10)
        if broken > 1:
            reasons.append("lipinski")
        rows.append((not reasons, ";".join(reasons), props))
    return rows


def _filters_at(rev: str) -> types.ModuleType:
    """``molpred.chem.filters`` as it was at git revision ``rev`` (imports today's molpred)."""
    root = Path(__file__).resolve().parent.parent
    text = subprocess.run(["git", "show", f"{rev}:molpred/chem/filters.py"], cwd=root,
                          capture_output=True, text=True, check=True).stdout
    module = types.ModuleType(f"filters_at_{rev}")
    sys.modules[module.__name__] = module  # dataclasses look their module up
    exec(compile(text, f"{rev}:molpred/chem/filters.py", "exec"), module.__dict__)
    return module


def _sliced(mols, apply_filters=None, **kwargs) -> pd.DataFrame:
    if apply_filters is None:
        from molpred.chem.filters import apply_filters

    parts = [apply_filters(mols[i:i + SLICE], "pains,brenk,lipinski", **kwargs) for i in range(0, len(mols), SLICE)]
    return pd.concat(parts, ignore_index=True)


def _timed(fn, smiles) -> tuple[float, object]:
    """CPU us per molecule of ``fn`` on freshly parsed molecules, and its result."""
    from rdkit import Chem

    mols = [Chem.MolFromSmiles(s) for s in smiles]
    t = time.process_time()
    out = fn(mols)
    return (time.process_time() - t) / len(mols) * 1e6, out


def _differing(table: pd.DataFrame, reference, props) -> int:
    bad = (table["passes"].to_numpy() != np.array([r[0] for r in reference])) | (
        table["filter_reasons"].to_numpy() != np.array([r[1] for r in reference], dtype=object)
    )
    for p in props:
        bad |= table[p].to_numpy() != np.array([r[2][p] for r in reference])
    return int(bad.sum())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.filter_cost", description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=3000, help="molecules (spread over the 30 MoleculeACE sets)")
    parser.add_argument("--before", default="main", help="git revision whose apply_filters is the previous path")
    parser.add_argument("--repeat", type=int, default=2, help="rounds over all paths (least time kept)")
    parser.add_argument("--out", default=str(RESULTS))
    args = parser.parse_args(argv)

    from rdkit import Chem

    from molpred.chem.alerts import alert_screen

    start = time.perf_counter()
    load = os.getloadavg()[0]
    frames = [pd.read_csv(p) for p in sorted(DATASETS.glob("*.csv"))]
    smiles = pd.concat(frames).smiles.drop_duplicates().sample(frac=1.0, random_state=0).head(args.n)
    smiles = [s for s in smiles if Chem.MolFromSmiles(s) is not None]
    screen = alert_screen(("pains", "brenk"))  # built outside the timing (~0.5 s once per process)
    before = _filters_at(args.before).apply_filters
    for fn in (None, before):  # warm up imports and caches (catalogues, the PAINS fingerprints)
        _sliced([Chem.MolFromSmiles(s) for s in smiles[:20]], fn)

    paths = {
        "reference": _reference,
        "before": lambda m: _sliced(m, before, columns=[]),
        "lean": lambda m: _sliced(m, columns=[], report_needed=False),
        "full": lambda m: _sliced(m, columns=list(LIPINSKI)),
        "candidates": lambda ms: [screen.candidates(m) for m in ms],
        "alerts": lambda ms: [screen.alerts(m) for m in ms],
    }
    us: dict[str, float] = {}
    results: dict[str, object] = {}
    for _ in range(args.repeat):  # rounds interleave the paths; the least CPU time of each is kept
        for name, fn in paths.items():
            t, results[name] = _timed(fn, smiles)
            us[name] = min(us.get(name, np.inf), t)
    ref_us, before_us, lean_us, full_us, cand_us, alerts_us = us.values()
    reference, previous, lean, full, cands = (results[k] for k in ("reference", "before", "lean", "full", "candidates"))
    diff_lean, diff_full = _differing(lean, reference, ()), _differing(full, reference, LIPINSKI)
    diff_before = _differing(previous, reference, LIPINSKI)
    wall = time.perf_counter() - start

    n_pains = sum("PAINS:" in r[1] for r in reference)
    n_brenk = sum("BRENK:" in r[1] for r in reference)
    n_lip = sum("lipinski" in r[1] for r in reference)
    rows = [
        ("reference: FilterCatalog.GetMatches (PAINS, Brenk) + MW, cLogP, HBD, HBA", ref_us, "-"),
        (f"previous molpred path (`{args.before}`), which always reports the Lipinski properties", before_us,
         diff_before),
        ("molpred, Lipinski properties not reported (a screen without them as columns)", lean_us, diff_lean),
        ("molpred, the four Lipinski properties reported", full_us, diff_full),
        ("  of which: alert pre-screen (candidates only)", cand_us, "-"),
        ("  of which: PAINS + Brenk alerts (pre-screen + confirmation)", alerts_us, "-"),
    ]
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    lines = [
        "# Filter cost per molecule (`pains,brenk,lipinski`)",
        "",
        f"Command: `{command_line(argv, 'benchmarks.filter_cost')}`  ",
        f"Date: {datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}; wall time {wall:.0f} s; "
        f"1-min load average at start {load:.2f} (a shared machine: other benchmark jobs were running)  ",
        f"Machine: {machine_info()}  ",
        f"Versions: {versions()}  ",
        f"Molecules: {len(smiles)} distinct MoleculeACE compounds (seeded sample); reference reasons: "
        f"{n_pains} with a PAINS alert, {n_brenk} with a Brenk alert, {n_lip} failing Lipinski. "
        f"Alerts tried per molecule after the pre-screen: {np.mean([len(c) for c in cands]):.1f} of "
        f"{len(screen.entries)}.",
        "",
        f"Process CPU time per molecule, the least of {args.repeat} interleaved rounds (freshly parsed "
        "molecules for each timing); differing rows =",
        "rows whose `passes`, `filter_reasons` or a reported property differs from the reference:",
        "",
        "| path | CPU us per molecule | differing rows |",
        "|---|---|---|",
        *(f"| {name} | {us:,.0f} | {d} |" for name, us, d in rows),
        "",
        f"Speed-up over the previous path: {before_us / lean_us:.1f}x without the Lipinski columns, "
        f"{before_us / full_us:.1f}x with them; over the reference {ref_us / lean_us:.1f}x and "
        f"{ref_us / full_us:.1f}x.",
        "",
    ]
    (out / "filter_cost.md").write_text("\n".join(lines))
    print("\n".join(lines))
    return 0 if diff_lean == diff_full == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
