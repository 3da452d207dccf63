"""Check: does MolPAL's MPN, run by molpred, move with features, initialisation, batch order? (molpal.md)

``molpal-mpn-greedy`` (the paper protocol) with the parts of MolPAL's copy of Chemprop v1 (commit
``a78bc21``) that molpred does differently, each switched on by an option:

- ``--features chemprop1`` (the default): Chemprop v1's atom and bond features
  (``molpal/models/chemprop/features/featurization.py``: 133 atom and 14 bond columns) in place
  of molpred's ``molgraph`` v2 (``--features molgraph``);
- ``--xavier``: Chemprop v1's ``initialize_weights`` (Xavier-normal weight matrices, zero
  biases) in place of PyTorch's default initialisation;
- ``--fixed-order``: one random order of the training molecules kept for every epoch (MolPAL's
  ``MoleculeDataLoader`` has ``shuffle=False`` after the random 80/20 split) in place of a new
  shuffle each epoch.

The parts are swapped in by replacing functions the estimator calls
(``molpred.train.fitting.get_featurizer`` and ``build_model``,
``molpred.train.loop._epoch_order``) in this process only: an experiment, not molpred options.
Everything else is ``python -m benchmarks.molpal run``'s protocol; rounds are appended to
``benchmarks/results/molpal_mpn_features_check.jsonl`` with the variant named in ``features``
(and ``init`` / ``batch_order``); ``--summary`` prints the last-round % of top-k scores found
per library, variant and seed.

Usage::

    python -m benchmarks.molpal_features_check 50k 0 1 [seed ...] [--features molgraph] [--xavier] [--fixed-order]
    python -m benchmarks.molpal_features_check --summary
"""
import argparse
import json
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


def xavier_init(net) -> None:
    """Chemprop v1's ``initialize_weights``: Xavier-normal matrices, zero vectors (in place)."""
    from torch import nn

    for param in net.parameters():
        if param.dim() == 1:
            nn.init.constant_(param, 0)
        else:
            nn.init.xavier_normal_(param)


def fixed_order(epoch_order):
    """An ``_epoch_order`` that draws one order per training-set size and repeats it each epoch."""
    orders: dict[int, object] = {}

    def order(n, generator):
        drawn = epoch_order(n, generator)  # draws as before, so other random streams are unchanged
        return orders.setdefault(n, drawn)

    return order


def variant_fields(features: str, xavier: bool, fixed: bool) -> dict:
    """The jsonl fields naming a variant (rows without ``init`` / ``batch_order`` are the defaults)."""
    out = {"features": "chemprop v1 atom/bond" if features == "chemprop1" else "molgraph v2"}
    if xavier:
        out["init"] = "xavier normal, zero biases (chemprop v1)"
    if fixed:
        out["batch_order"] = "fixed per fit (molpal paper code)"
    return out


def summary(path: Path = OUT) -> list[dict]:
    """Last-round % of top-k scores per library, variant and seed (``--summary``)."""
    last: dict[tuple, dict] = {}
    for line in path.read_text().splitlines():
        rec = json.loads(line)
        key = (rec["library"], rec["features"], rec.get("init", "pytorch default"),
               rec.get("batch_order", "shuffled each epoch"), rec["seed"])
        if rec["round"] == 5:
            last[key] = rec
    rows = {}
    for (lib, *variant, seed), rec in sorted(last.items()):
        k = 100 if lib == "10k" else 500
        row = rows.setdefault((lib, *variant), {"library": lib, "features": variant[0], "init": variant[1],
                                               "batch_order": variant[2], "seeds": [], "scores_pct": []})
        row["seeds"].append(seed)
        row["scores_pct"].append(round(100 * rec[f"top{k}_scores"], 1))
    for row in rows.values():
        row["mean"] = round(float(np.mean(row["scores_pct"])), 1)
    return list(rows.values())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.molpal_features_check",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("library", nargs="?", choices=["10k", "50k"])
    parser.add_argument("seeds", nargs="*", type=int)
    parser.add_argument("--features", choices=["chemprop1", "molgraph"], default="chemprop1")
    parser.add_argument("--xavier", action="store_true", help="Chemprop v1's weight initialisation")
    parser.add_argument("--fixed-order", action="store_true", help="one batch order for every epoch")
    parser.add_argument("--summary", action="store_true", help="print the finished runs and stop")
    args = parser.parse_args(argv)
    if args.summary:
        for row in summary():
            print(json.dumps(row))
        return 0
    if args.library is None or not args.seeds:
        parser.error("give a library and at least one seed (or --summary)")
    import torch

    import molpred.train.loop as loop
    from benchmarks.molpal import load_library, method_configs
    from molpred.campaign.proposal import BatchConfig
    from molpred.campaign.simulate import simulate

    # this process only
    if args.features == "chemprop1":
        fitting.get_featurizer = lambda name, **kw: ChempropV1()
    if args.xavier:
        build = fitting.build_model

        def build_xavier(spec):
            net = build(spec)
            xavier_init(net)
            return net

        fitting.build_model = build_xavier
    if args.fixed_order:
        loop._epoch_order = fixed_order(loop._epoch_order)
    torch.set_num_threads(1)
    library, seeds = args.library, args.seeds
    pool, values, k = load_library(library)
    size = max(1, round(0.01 * len(pool)))
    sur, acq = method_configs("molpal-mpn-greedy", 30, 5)
    variant = variant_fields(args.features, args.xavier, args.fixed_order)
    for seed in seeds:
        t0 = time.perf_counter()

        def write(rec, seed=seed, t0=t0):
            rec = {"library": library, "method": "molpal-mpn-greedy", **variant,
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
    raise SystemExit(main())
