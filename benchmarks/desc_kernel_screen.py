"""Screen: does a descriptor kernel beside the multi-fingerprint kernel help the GP? (issue 18)

For each MoleculeACE target (shipped split), the GP of ``kernel="multi"`` (mean MinMax kernel
of ECFP4, atom-pair and torsion counts) gets ``(1 - w) * K_multi + w * RBF(descriptors)``,
where the descriptors are molpred's 202 RDKit 2D descriptors (``molpred pretrain``'s set),
scaled by the training molecules' median and IQR and clipped at +-5, and the RBF length
scale is ``ls`` times the median squared distance between training molecules. Every
``(w, ls)`` on a small grid is fitted (signal and noise by marginal likelihood, as the GP
does) and scored on the test split; one JSON line per target. Choosing ``(w, ls)`` by the
log marginal likelihood uses training data only, so it is what a learner could do::

    python -m benchmarks.desc_kernel_screen CHEMBL2835_Ki CHEMBL2047_EC50 --out benchmarks/results/desc_kernel_screen.jsonl
    python -m benchmarks.desc_kernel_screen --summary benchmarks/results/desc_kernel_screen.jsonl
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

__all__ = ["screen_target", "summary"]

KINDS = ("ecfp4_2048", "ap_2048", "tt_2048")
WEIGHTS = (0.0, 0.1, 0.25, 0.5)
LENGTH_SCALES = (0.25, 0.5, 1.0, 2.0)


def _scaled_descriptors(mols: dict) -> dict:
    from molpred.pretrain.descriptors import compute_descriptors

    raw = {part: np.array([compute_descriptors(m) for m in ms], float) for part, ms in mols.items()}
    med = np.nanmedian(raw["train"], axis=0)
    iqr = np.nanpercentile(raw["train"], 75, axis=0) - np.nanpercentile(raw["train"], 25, axis=0)
    ok = iqr > 0
    return {part: np.clip(np.nan_to_num((d[:, ok] - med[ok]) / iqr[ok]), -5, 5) for part, d in raw.items()}


def _sq_dist(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.clip((a ** 2).sum(1)[:, None] + (b ** 2).sum(1)[None] - 2 * a @ b.T, 0, None)


def screen_target(target: str) -> dict:
    """Test RMSE, RMSE_cliff and log marginal likelihood for every ``(w, ls)`` of the grid."""
    from benchmarks.kernel_screen import _generators
    from benchmarks.tasks import get_task, load_task
    from molpred.chem.standardize import to_mol
    from molpred.learners.kernel import TanimotoGP, minmax_kernel

    gens = _generators()
    data = load_task(get_task(target))
    mols = {"train": [to_mol(s) for s in data.smiles_train], "test": [to_mol(s) for s in data.smiles_test]}
    blocks = []
    for kind in KINDS:
        fp = {p: np.array([np.minimum(gens[kind].GetCountFingerprintAsNumPy(m), 255) for m in ms], np.uint8)
              for p, ms in mols.items()}
        blocks.append((minmax_kernel(fp["train"], fp["train"]), minmax_kernel(fp["test"], fp["train"])))
    k_train, k_test = np.mean([b[0] for b in blocks], axis=0), np.mean([b[1] for b in blocks], axis=0)
    z = _scaled_descriptors(mols)
    d_train, d_test = _sq_dist(z["train"], z["train"]), _sq_dist(z["test"], z["train"])
    h = np.median(d_train[np.triu_indices(len(d_train), 1)])
    y, cliff = data.y_test[:, 0], data.cliff_test
    rec = {"task": target, "n": len(data.smiles_train), "res": []}
    for ls in LENGTH_SCALES:
        r_train, r_test = np.exp(-d_train / (ls * h)), np.exp(-d_test / (ls * h))
        for w in WEIGHTS:
            gram, query = (1 - w) * k_train + w * r_train, (1 - w) * k_test + w * r_test
            gp = TanimotoGP(kernel="minmax").fit(np.zeros((len(gram), 8), np.uint8), data.y_train[:, 0], gram=gram)
            mean, _ = gp.predict_gram(query, np.ones(len(query)))
            rec["res"].append({"ls": ls, "w": w, "lml": gp.params_["log_marginal_likelihood"],
                               "rmse": float(np.sqrt(np.mean((mean - y) ** 2))),
                               "cliff": float(np.sqrt(np.mean((mean[cliff] - y[cliff]) ** 2)))})
    return rec


def summary(records: list[dict]) -> dict:
    """Mean RMSE / RMSE_cliff: fingerprints only (w = 0) and ``(w, ls)`` chosen by marginal likelihood.

    ``targets_lower`` counts the targets where the likelihood's choice scores lower than ``w = 0``.
    """
    def chosen(rec, allowed):
        return max((r for r in rec["res"] if allowed(r)), key=lambda r: r["lml"])

    out = {"targets": len(records)}
    picks = {}
    for name, allowed in (("multi only (w=0)", lambda r: r["w"] == 0.0), ("w, ls by likelihood", lambda r: True)):
        picks[name] = [chosen(rec, allowed) for rec in records]
        out[name] = {"rmse": round(float(np.mean([p["rmse"] for p in picks[name]])), 4),
                     "rmse_cliff": round(float(np.mean([p["cliff"] for p in picks[name]])), 4)}
    pairs = list(zip(picks["multi only (w=0)"], picks["w, ls by likelihood"]))
    out["targets_lower"] = {m: sum(b[m] < a[m] for a, b in pairs) for m in ("rmse", "cliff")}
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.desc_kernel_screen", description=__doc__.split("\n")[0])
    parser.add_argument("targets", nargs="*", help="MoleculeACE targets, e.g. CHEMBL2835_Ki")
    parser.add_argument("--out", default="benchmarks/results/desc_kernel_screen.jsonl")
    parser.add_argument("--summary", default=None, metavar="JSONL", help="print the summary of a results file")
    args = parser.parse_args(argv)
    if args.summary:
        print(json.dumps(summary([json.loads(line) for line in open(args.summary, encoding="utf-8")]), indent=2))
        return 0
    from benchmarks.kernel_screen import append_screens

    append_screens(args.targets, screen_target, Path(args.out))
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
