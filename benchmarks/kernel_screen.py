"""Screen of fingerprint kinds for the MinMax-kernel GP on MoleculeACE targets (issue 18).

For each target, builds count fingerprints of several kinds on the shipped split, fits
molpred's GP (:class:`molpred.learners.kernel.TanimotoGP`) on the mean of the MinMax kernels
of each combination, and appends test RMSE / RMSE_cliff / log marginal likelihood per
combination as one JSON line. This is how ``kernel="multi"`` (ECFP4 + atom pairs + torsions)
was chosen; the benchmark rows of the chosen kernel come from the normal runner
(``--models molpred-gp-multi``)::

    python -m benchmarks.kernel_screen CHEMBL2835_Ki CHEMBL2047_EC50 --out benchmarks/results/kernel_screen.jsonl
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

__all__ = ["COMBINATIONS", "screen_target", "append_screens", "main"]

COMBINATIONS = {
    "ecfp4_1024": ["ecfp4_1024"], "ecfp4_2048": ["ecfp4_2048"], "ecfp6_2048": ["ecfp6_2048"],
    "ecfp4+fcfp4": ["ecfp4_1024", "fcfp4_1024"], "ecfp4+ap": ["ecfp4_2048", "ap_2048"],
    "ecfp4+ap+tt": ["ecfp4_2048", "ap_2048", "tt_2048"],
    "ecfp4+fcfp4+ap+tt": ["ecfp4_2048", "fcfp4_1024", "ap_2048", "tt_2048"],
}


def _generators() -> dict:
    from rdkit.Chem import rdFingerprintGenerator as G

    return {
        "ecfp4_1024": G.GetMorganGenerator(radius=2, fpSize=1024),
        "ecfp4_2048": G.GetMorganGenerator(radius=2, fpSize=2048),
        "ecfp6_2048": G.GetMorganGenerator(radius=3, fpSize=2048),
        "fcfp4_1024": G.GetMorganGenerator(radius=2, fpSize=1024,
                                           atomInvariantsGenerator=G.GetMorganFeatureAtomInvGen()),
        "ap_2048": G.GetAtomPairGenerator(fpSize=2048),
        "tt_2048": G.GetTopologicalTorsionGenerator(fpSize=2048),
    }


def screen_target(target: str) -> dict:
    """Test RMSE, RMSE_cliff and log marginal likelihood of the GP for every combination."""
    from benchmarks.tasks import get_task, load_task
    from molpred.chem.standardize import to_mol
    from molpred.learners.kernel import TanimotoGP, minmax_kernel

    gens = _generators()
    data = load_task(get_task(target))
    mols = {"train": [to_mol(s) for s in data.smiles_train], "test": [to_mol(s) for s in data.smiles_test]}
    kernels = {}
    for kind in {k for parts in COMBINATIONS.values() for k in parts}:
        fp = {part: np.array([np.minimum(gens[kind].GetCountFingerprintAsNumPy(m), 255) for m in ms], np.uint8)
              for part, ms in mols.items()}
        kernels[kind] = (minmax_kernel(fp["train"], fp["train"]), minmax_kernel(fp["test"], fp["train"]))
    y, cliff = data.y_test[:, 0], data.cliff_test
    rec = {"task": data.task.name, "n_train": len(data.smiles_train)}
    for name, parts in COMBINATIONS.items():
        gram = np.mean([kernels[p][0] for p in parts], axis=0)
        query = np.mean([kernels[p][1] for p in parts], axis=0)
        gp = TanimotoGP(kernel="minmax").fit(np.zeros((len(gram), 8), np.uint8), data.y_train[:, 0], gram=gram)
        mean, _ = gp.predict_gram(query, np.ones(len(query)))
        rec[name] = {"rmse": float(np.sqrt(np.mean((mean - y) ** 2))),
                     "rmse_cliff": float(np.sqrt(np.mean((mean[cliff] - y[cliff]) ** 2))),
                     "log_marginal_likelihood": gp.params_["log_marginal_likelihood"]}
    return rec


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.kernel_screen", description=__doc__.split("\n")[0])
    parser.add_argument("targets", nargs="+", help="MoleculeACE targets, e.g. CHEMBL2835_Ki")
    parser.add_argument("--out", default="benchmarks/results/kernel_screen.jsonl")
    args = parser.parse_args(argv)
    append_screens(args.targets, screen_target, Path(args.out))
    return 0


def append_screens(targets: list[str], screen, out: Path) -> None:
    """Screen each target with ``screen`` and append its record to ``out`` as one JSON line."""
    out.parent.mkdir(parents=True, exist_ok=True)
    for target in targets:
        rec = screen(target)
        with out.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(rec) + "\n")
        print(target, flush=True)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
