"""Which MoleculeNet benchmark splits change with issue 16's data fixes, and by how much.

Two changes move rows between train/val/test of ``benchmarks.tasks.load_task`` (balanced
scaffold split, seeds 0-2): stereo-free Bemis-Murcko scaffolds (item 6), and molecules that
were ``unsupported`` (no carbon, > 150 heavy atoms) now being kept (item 11). For each task
and seed this counts the rows added, and the rows whose part (train/val/test) differs between
the old and the new split, and writes ``benchmarks/results/split_changes.md``. Tasks whose
splits are unchanged keep their published numbers; the others need a re-run.

Usage::

    python -m benchmarks.split_changes [--tasks esol bace ...]
"""

from __future__ import annotations

import argparse
import time
from datetime import datetime, timezone
from pathlib import Path

from benchmarks.environment import command_line, machine_info, versions

RESULTS = Path(__file__).resolve().parent / "results"
TASKS = ("esol", "freesolv", "lipophilicity", "bbbp", "bace", "clintox", "tox21", "sider")


def _parts(split, ok: list[int]) -> dict[int, str]:
    out = {}
    for name, rows in (("train", split.train), ("val", split.val), ("test", split.test)):
        for r in rows:
            out[ok[r]] = name
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.split_changes", description=__doc__.split("\n")[0])
    parser.add_argument("--tasks", nargs="+", default=list(TASKS))
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--out", default=str(RESULTS))
    args = parser.parse_args(argv)
    from rdkit import Chem
    from rdkit.Chem.Scaffolds import MurckoScaffold

    from molpred import datasets
    from molpred.chem import to_mol_record
    from molpred.data.splits import _group_split

    started, t0 = datetime.now(timezone.utc), time.perf_counter()
    rows = []
    for task in args.tasks:
        smiles, _, _ = datasets.load_xy(task)
        recs = [to_mol_record(s) for s in smiles]  # new defaults
        new_ok = [i for i, r in enumerate(recs) if r.ok]
        # the old rules refused these after standardisation (same parent molecule otherwise)
        old_ok = [i for i in new_ok if recs[i].mol.GetNumHeavyAtoms() <= 150
                  and recs[i].mol.HasSubstructMatch(Chem.MolFromSmarts("[#6]"))]
        cores = {i: MurckoScaffold.GetScaffoldForMol(recs[i].mol) for i in new_ok}
        iso = {i: Chem.MolToSmiles(c) for i, c in cores.items()}
        flat = {i: Chem.MolToSmiles(c, isomericSmiles=False) for i, c in cores.items()}
        n_iso, n_flat = len(set(iso[i] for i in old_ok)), len(set(flat[i] for i in new_ok))
        for seed in args.seeds:
            old = _parts(_group_split([iso[i] for i in old_ok], (0.8, 0.1, 0.1), seed, True), old_ok)
            new = _parts(_group_split([flat[i] for i in new_ok], (0.8, 0.1, 0.1), seed, True), new_ok)
            moved = sum(1 for i in old if old[i] != new.get(i))
            test_old = {i for i, p in old.items() if p == "test"}
            test_new = {i for i, p in new.items() if p == "test"}
            rows.append({"task": task, "seed": seed, "rows": len(smiles), "old_rows": len(old_ok),
                         "new_rows": len(new_ok), "old_scaffolds": n_iso, "new_scaffolds": n_flat,
                         "moved": moved, "test_changed": len(test_old ^ test_new), "test_new": len(test_new)})
    seconds = round(time.perf_counter() - t0, 1)
    m, v = machine_info(), versions()
    lines = [
        "# MoleculeNet benchmark splits before/after the stereo-free scaffold and 'score everything' fixes",
        "",
        f"Command: `{command_line(argv, 'benchmarks.split_changes')}` (started "
        f"{started.isoformat(timespec='seconds')}, {seconds} s).",
        f"Machine: {m['cpu_model']}, {m['n_cores']} cores (shared). Versions: "
        + ", ".join(f"{k} {val}" for k, val in v.items()),
        "",
        "Old: isomeric scaffolds over rows the old rules accepted; new: stereo-free scaffolds over rows that "
        "standardise now. `moved` = old rows whose part (train/val/test) changed; `test changed` = size of "
        "the symmetric difference of the two test sets. HIV not computed (41k rows; run with `--tasks hiv`).",
        "",
        "| task | seed | rows | old rows | new rows | old scaffolds | new scaffolds | moved | test changed / new test size |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(f"| {r['task']} | {r['seed']} | {r['rows']} | {r['old_rows']} | {r['new_rows']} | "
                     f"{r['old_scaffolds']} | {r['new_scaffolds']} | {r['moved']} | {r['test_changed']} / {r['test_new']} |")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "split_changes.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
