"""Check: does MolPAL's MPN, run by molpred, move with the atom/bond features? (molpal.md)

``molpal-mpn-greedy`` (the paper protocol) trained on Chemprop v1's atom and bond features, as
MolPAL's copy of Chemprop computes them (``molpal/models/chemprop/features/featurization.py``,
commit ``a78bc21``: 133 atom and 14 bond columns), instead of molpred's ``molgraph`` v2. The
features are swapped in by replacing the graph featurizer the estimator asks for
(``molpred.train.fitting.get_featurizer``) in this process only: an experiment, not a molpred
option. Everything else is ``python -m benchmarks.molpal run``'s protocol; rounds are appended to
``benchmarks/results/molpal_mpn_features_check.jsonl``.

Usage::

    python -m benchmarks.molpal_features_check 50k 0 1 [seed ...]
"""
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from rdkit import Chem

import molpred.train.fitting as fitting
from benchmarks.environment import command_line
from molpred.featurize.atom_bond import _edges
from molpred.featurize.graph import MolGraph

OUT = Path(__file__).resolve().parent / "results" / "molpal_mpn_features_check.jsonl"

HYB = [Chem.rdchem.HybridizationType.SP, Chem.rdchem.HybridizationType.SP2, Chem.rdchem.HybridizationType.SP3,
       Chem.rdchem.HybridizationType.SP3D, Chem.rdchem.HybridizationType.SP3D2]


def onek(value, choices) -> list[int]:
    """One-hot over ``choices`` plus a last "other" column (Chemprop v1's ``onek_encoding_unk``)."""
    enc = [0] * (len(choices) + 1)
    enc[choices.index(value) if value in choices else -1] = 1
    return enc


def atom_row(a) -> list[float]:
    """133 Chemprop v1 atom features: atomic number (100), degree, charge, chiral tag, Hs, hybridisation, aromatic, mass."""
    return (onek(a.GetAtomicNum() - 1, list(range(100))) + onek(a.GetTotalDegree(), [0, 1, 2, 3, 4, 5])
            + onek(a.GetFormalCharge(), [-1, -2, 1, 2, 0]) + onek(int(a.GetChiralTag()), [0, 1, 2, 3])
            + onek(int(a.GetTotalNumHs()), [0, 1, 2, 3, 4]) + onek(int(a.GetHybridization()), [int(h) for h in HYB])
            + [1 if a.GetIsAromatic() else 0] + [a.GetMass() * 0.01])


def bond_row(b) -> list:
    """14 Chemprop v1 bond features: not-None flag, type (4), conjugated, in ring, stereo (6 + other)."""
    bt = b.GetBondType()
    return [0, bt == Chem.rdchem.BondType.SINGLE, bt == Chem.rdchem.BondType.DOUBLE, bt == Chem.rdchem.BondType.TRIPLE,
            bt == Chem.rdchem.BondType.AROMATIC, b.GetIsConjugated(), b.IsInRing()] + onek(int(b.GetStereo()), list(range(6)))


@dataclass(frozen=True)
class ChempropV1:
    """Mol -> :class:`~molpred.featurize.graph.MolGraph` with Chemprop v1's features (``n_atoms x 133``, ``2 n_bonds x 14``)."""

    name: str = "chemprop1"
    version: int = 1
    d_atom: int = 133
    d_bond: int = 14

    def spec(self):
        return {"name": self.name, "version": self.version, "d_atom": self.d_atom, "d_bond": self.d_bond}

    def __call__(self, mol):
        x = np.array([atom_row(a) for a in mol.GetAtoms()], dtype=np.float32).reshape(-1, 133)
        if mol.GetNumBonds() == 0:
            return MolGraph(x, np.zeros((2, 0), np.int64), np.zeros((0, 14), np.float32))
        attr = np.array([bond_row(b) for b in mol.GetBonds()], dtype=np.float32).reshape(-1, 14)
        ei, ea = _edges(attr, mol)
        return MolGraph(x, ei, ea)


def main(argv: list[str]) -> int:
    import torch

    from benchmarks.molpal import load_library, method_configs
    from molpred.campaign.proposal import BatchConfig
    from molpred.campaign.simulate import simulate

    fitting.get_featurizer = lambda name, **kw: ChempropV1()  # this process only
    torch.set_num_threads(1)
    library, seeds = argv[0], [int(s) for s in argv[1:]]
    pool, values, k = load_library(library)
    size = max(1, round(0.01 * len(pool)))
    sur, acq = method_configs("molpal-mpn-greedy", 30, 5)
    for seed in seeds:
        t0 = time.perf_counter()

        def write(rec, seed=seed, t0=t0):
            rec = {"library": library, "method": "molpal-mpn-greedy", "features": "chemprop v1 atom/bond",
                   "command": command_line(module="benchmarks.molpal_features_check"),
                   "seed": seed, "surrogate": sur.to_dict(), "elapsed": round(time.perf_counter() - t0, 1),
                   **{kk: v for kk, v in rec.items() if not isinstance(v, (list, dict))}}
            with OUT.open("a") as fh:
                fh.write(json.dumps(rec) + "\n")
            print(library, seed, rec["round"], rec.get(f"top{k}_scores"), flush=True)

        simulate(pool, values, direction="min", surrogate=sur, acquisition=acq, batch=BatchConfig(size),
                 init_size=size, rounds=5, top_k=k, seed=seed, on_round=write)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
