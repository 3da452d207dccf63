"""Data hygiene on real data: duplicate molecules after standardisation, and who gets a score.

Two measurements (issue 16, items 7 and 11), written to ``benchmarks/results/data_hygiene.md``
(and ``.json``):

1. Duplicates: for MoleculeNet classification and regression sets, the number of molecules
   that occur more than once after molpred's standardisation and how many have conflicting
   labels, as reported by training itself (``train_summary_["duplicates"]`` of a 1-epoch MLP
   fitted on the whole file with ``duplicates="merge"``; the count does not depend on the
   network).
2. Scoring coverage: ClinTox's FDA-approved drugs (``FDA_APPROVED == 1``; the 2,845-drug set
   of the issue is not in the shared data directory) predicted by a D-MPNN solubility model
   (ESOL, 10 epochs) fitted with the old refusal rules (``max_heavy_atoms=150,
   require_carbon=True``) and with the new defaults (no limit, inorganic allowed): rows with a
   finite prediction, and the in-domain share of the rows only the new rules score.

Usage::

    python -m benchmarks.data_hygiene [--epochs 10]
"""

from __future__ import annotations

import argparse
import json
import time
import warnings
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks.environment import command_line, machine_info, versions

RESULTS = Path(__file__).resolve().parent / "results"
DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "moleculenet"

# file, SMILES column, target columns, task
SETS = [
    ("BBBP.csv", "smiles", ["p_np"], "classification"),
    ("clintox.csv", "smiles", ["FDA_APPROVED", "CT_TOX"], "classification"),
    ("bace.csv", "smiles", ["Class"], "classification"),
    ("sider.csv", "smiles", None, "classification"),
    ("delaney-processed.csv", "smiles", ["measured log solubility in mols per litre"], "regression"),
    ("Lipophilicity.csv", "smiles", ["exp"], "regression"),
    ("SAMPL.csv", "smiles", ["expt"], "regression"),
]


def duplicate_rows(data_dir: Path) -> list[dict]:
    """One row per data set: the training summary's duplicate counts."""
    from molpred import MolPropertyClassifier, MolPropertyRegressor

    rows = []
    for name, col, targets, task in SETS:
        frame = pd.read_csv(data_dir / name)
        targets = targets or [c for c in frame.columns if c != col]
        cls = MolPropertyClassifier if task == "classification" else MolPropertyRegressor
        est = cls(model="mlp", epochs=1, hidden_size=16, ffn_hidden_size=16, val_fraction=0.0,
                  applicability_domain=False, device="cpu", seed=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            est.fit(frame[col].tolist(), frame[targets].astype(float))
        dup = est.train_summary_["duplicates"]
        rows.append({"dataset": name, "task": task, "n_targets": len(targets), "rows": len(frame),
                     "statuses": est.train_summary_["statuses"], "labelled_ok_rows": dup["n_rows"],
                     "molecules": dup["n_molecules"], "duplicate_groups": dup["n_groups"],
                     "rows_in_groups": dup["n_rows_in_groups"], "conflicting_groups": dup["n_conflicting"],
                     "tied_labels": dup["n_ties"], "max_label_range": dup["max_label_range"],
                     "examples": dup["examples"][:2]})
    return rows


def coverage_rows(data_dir: Path, epochs: int) -> tuple[list[dict], dict]:
    """Approved drugs scored under the old and the new refusal rules."""
    from molpred import MolPropertyRegressor

    esol = pd.read_csv(data_dir / "delaney-processed.csv")
    y = esol["measured log solubility in mols per litre"].rename("logS")
    drugs = pd.read_csv(data_dir / "clintox.csv")
    drugs = drugs[drugs["FDA_APPROVED"] == 1]["smiles"].tolist()
    frames, rows = {}, []
    for label, kw in (("old rules (max_heavy_atoms=150, require_carbon=True)",
                       {"max_heavy_atoms": 150, "require_carbon": True}),
                      ("new defaults (no limit, inorganic allowed)", {})):
        est = MolPropertyRegressor(model="dmpnn", epochs=epochs, seed=0, device="cpu", pretrained=None, **kw)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            est.fit(esol["smiles"].tolist(), y)
        frame = est.predict_frame(drugs)
        frames[label] = frame
        scored = np.isfinite(frame["logS"].to_numpy(float))
        rows.append({"rules": label, "approved_drugs": len(drugs), "scored": int(scored.sum()),
                     "not_scored": int((~scored).sum()),
                     "statuses": dict(Counter(frame["status"])),
                     "reasons_not_scored": dict(Counter(e.split(" (")[0].split(";")[0]
                                                        for e in frame.loc[~scored, "error"]))})
    old, new = frames.values()
    gained = np.isfinite(new["logS"].to_numpy(float)) & ~np.isfinite(old["logS"].to_numpy(float))
    in_dom = new.loc[gained, "in_domain"].astype("boolean")
    extra = {"newly_scored": int(gained.sum()), "newly_scored_in_domain": int(in_dom.sum()),
             "newly_scored_examples": new.loc[gained, "smiles"].head(5).tolist(),
             "all_scored_in_domain_share": float(new["in_domain"].astype("boolean").mean())}
    return rows, extra


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.data_hygiene", description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=10, help="epochs of the ESOL model used for coverage")
    parser.add_argument("--data", default=str(DATA))
    parser.add_argument("--out", default=str(RESULTS))
    args = parser.parse_args(argv)
    import torch

    torch.set_num_threads(1)
    started = datetime.now(timezone.utc)
    t0 = time.perf_counter()
    dups = duplicate_rows(Path(args.data))
    cov, extra = coverage_rows(Path(args.data), args.epochs)
    seconds = round(time.perf_counter() - t0, 1)
    result = {"command": command_line(argv, "benchmarks.data_hygiene"), "started": started.isoformat(timespec="seconds"),
              "seconds": seconds, "machine": machine_info(), "versions": versions(),
              "duplicates": dups, "approved_drug_coverage": cov, "newly_scored": extra}
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "data_hygiene.json").write_text(json.dumps(result, indent=2, default=str))
    m, v = machine_info(), versions()
    lines = [
        "# Data hygiene: duplicates after standardisation, and approved drugs scored",
        "",
        f"Command: `{result['command']}` (started {result['started']}, {seconds} s).",
        f"Machine: {m['cpu_model']}, {m['n_cores']} cores (shared with other jobs). Versions: "
        + ", ".join(f"{k} {val}" for k, val in v.items()),
        "",
        "## Duplicate molecules (training summary, `duplicates=\"merge\"`)",
        "",
        "Counted by `fit` on the whole file over rows that standardise and carry a label; a group is one "
        "standardised molecule (canonical isomeric SMILES) occurring more than once; conflicting = labels "
        "differ (classification: 0 and 1 for some task; regression: any difference).",
        "",
        "| data set | rows | usable rows | molecules | duplicate groups | rows in groups | conflicting | tied labels | max label range |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in dups:
        lines.append(f"| {r['dataset']} | {r['rows']} | {r['labelled_ok_rows']} | {r['molecules']} | "
                     f"{r['duplicate_groups']} | {r['rows_in_groups']} | {r['conflicting_groups']} | "
                     f"{r['tied_labels'] if r['task'] == 'classification' else '-'} | "
                     f"{r['max_label_range'] if r['max_label_range'] is not None else '-'} |")
    lines += [
        "",
        f"## ClinTox FDA-approved drugs scored by a D-MPNN ESOL model ({args.epochs} epochs, seed 0)",
        "",
        "| rules | approved drugs | scored | not scored | reasons not scored |",
        "|---|---|---|---|---|",
    ]
    for r in cov:
        reasons = "; ".join(f"{k}: {n}" for k, n in r["reasons_not_scored"].items()) or "-"
        lines.append(f"| {r['rules']} | {r['approved_drugs']} | {r['scored']} | {r['not_scored']} | {reasons} |")
    lines += [
        "",
        f"Newly scored under the new defaults: {extra['newly_scored']}, of which "
        f"{extra['newly_scored_in_domain']} are flagged in domain (`in_domain`); in-domain share of all "
        f"scored approved drugs: {extra['all_scored_in_domain_share']:.3f}. Examples: "
        + ", ".join(f"`{s}`" for s in extra["newly_scored_examples"]),
        "",
    ]
    (out / "data_hygiene.md").write_text("\n".join(lines))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
