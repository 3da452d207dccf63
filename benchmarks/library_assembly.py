"""New molecules from BRICS fragments: compiled SMILES templates joined by compatible links.

Every fragment is compiled once into a template of literals, ring-closure slots (renumbered
per use so rings never clash) and attachment slots. A molecule is a tree: a random root
fragment, then, for each open attachment point, a random fragment whose BRICS label may bond
to it (``rdkit.Chem.BRICS.reactionDefs``), until the tree reaches a size drawn from the
sources' fragment-count distribution. Molecular weight and heavy-atom count are sums over
fragments, so most out-of-window products are rejected before RDKit parses them.
"""

from __future__ import annotations

import bisect
import random
import re
from dataclasses import dataclass
from itertools import accumulate

from rdkit import Chem, rdBase
from rdkit.Chem import BRICS, Descriptors

from benchmarks.library_fragments import FragmentLibrary
from molpred.exceptions import DataFileError

__all__ = ["LibraryConfig", "Assembler"]

_RING = [str(i) for i in range(1, 10)] + [f"%{i}" for i in range(10, 100)]
_TOKEN = re.compile(r"\[[^\]]+\]|%\d\d|\d|.")
_DUMMY = re.compile(r"\[(\d+)\*\]")
_BONDS = "-=#:/\\"


@dataclass(frozen=True)
class LibraryConfig:
    """What the generator keeps and how it samples.

    Parameters
    ----------
    mw_min, mw_max : float
        Inclusive molecular-weight window (``Descriptors.MolWt``), Da.
    max_heavy_atoms : int
        Largest heavy-atom count kept.
    max_fragments : int
        Cap on fragments per molecule (the count is drawn from the sources' distribution).
    max_attachments : int
        Fragments with more attachment points than this are not used.
    max_fragment_heavy_atoms : int
        Larger fragments are not used.
    frequency_power : float
        Fragments are drawn with weight ``count ** frequency_power``: 1 follows the
        sources (common amides, phenyls), 0 is uniform over distinct fragments (exotic).
    """

    mw_min: float = 150.0
    mw_max: float = 600.0
    max_heavy_atoms: int = 50
    max_fragments: int = 8
    max_attachments: int = 4
    max_fragment_heavy_atoms: int = 25
    frequency_power: float = 0.5


def _compile(smiles: str) -> tuple[list, int]:
    """Template items (str literal, int ring slot, (label, bond) attachment) and ring count."""
    items: list = []
    rings: dict[str, int] = {}
    for tok in _TOKEN.findall(smiles):
        dummy = _DUMMY.fullmatch(tok)
        if dummy:
            bond = ""
            if items and isinstance(items[-1], str) and items[-1][-1] in _BONDS:
                bond, items[-1] = items[-1][-1], items[-1][:-1]
                if not items[-1]:
                    items.pop()
            items.append((int(dummy[1]), bond))
        elif tok[0] == "%" or tok.isdigit():
            items.append(rings.setdefault(tok, len(rings)))
        elif items and isinstance(items[-1], str):
            items[-1] += tok
        else:
            items.append(tok)
    return items, len(rings)


def _compatible() -> dict[int, set[int]]:
    pairs: dict[int, set[int]] = {}
    for group in BRICS.reactionDefs:
        for a, b, _ in group:
            a, b = int(a.rstrip("ab")), int(b.rstrip("ab"))
            pairs.setdefault(a, set()).add(b)
            pairs.setdefault(b, set()).add(a)
    return pairs


class _Abort(Exception):
    pass


class Assembler:
    """Compiled fragment templates and the weighted pools to draw them from."""

    def __init__(self, library: FragmentLibrary, config: LibraryConfig):
        self.config = config
        self.cores, self.subs, self.attach, self.mw, self.heavy = [], [], [], [], []
        weights = []
        with rdBase.BlockLogs():
            for smi, count in library.fragments:
                mol = Chem.MolFromSmiles(smi)
                if mol is None:
                    continue
                dummies = [a.GetIdx() for a in mol.GetAtoms() if a.GetAtomicNum() == 0]
                heavy = mol.GetNumHeavyAtoms()
                if not 1 <= len(dummies) <= config.max_attachments:
                    continue
                if not 0 < heavy <= config.max_fragment_heavy_atoms:
                    continue
                root = next(a.GetIdx() for a in mol.GetAtoms() if a.GetAtomicNum() != 0)
                self.cores.append(_compile(Chem.MolToSmiles(mol, rootedAtAtom=root)))
                subs = []
                for d in dummies:  # rooted at the dummy: drop it and the bond after it
                    items, n_rings = _compile(Chem.MolToSmiles(mol, rootedAtAtom=d))
                    label = items[0][0]
                    rest = items[1:]
                    if rest and isinstance(rest[0], str):
                        rest[0] = rest[0].lstrip(_BONDS)
                    subs.append((label, rest, n_rings))
                self.subs.append(subs)
                self.attach.append(len(dummies))
                self.mw.append(Descriptors.MolWt(mol))
                self.heavy.append(heavy)
                weights.append(float(count) ** config.frequency_power)
        if not self.cores:
            raise DataFileError("no usable BRICS fragments in the sources")
        max_a = config.max_attachments
        self.roots = {
            a: self._pool([(i, -1) for i in range(len(self.cores)) if self.attach[i] <= a], weights)
            for a in range(1, max_a + 1)
        }
        compat = _compatible()
        self.pools: dict[tuple[int, int], tuple[list, list] | None] = {}
        for label in compat:
            for extra in range(max_a):
                forms = [
                    (i, j)
                    for i, subs in enumerate(self.subs)
                    if self.attach[i] - 1 <= extra
                    for j, (lab, _, _) in enumerate(subs)
                    if lab in compat[label]
                ]
                self.pools[label, extra] = self._pool(forms, weights)
        sizes = [(min(k, config.max_fragments), v) for k, v in library.sizes] or [(3, 1)]
        self.size_values = [max(k, 2) for k, _ in sizes]
        self.size_cum = list(accumulate(v for _, v in sizes))

    @staticmethod
    def _pool(forms: list, weights: list) -> tuple[list, list] | None:
        if not forms:
            return None
        return forms, list(accumulate(weights[i] for i, _ in forms))

    @staticmethod
    def _draw(rng: random.Random, pool: tuple[list, list]):
        forms, cum = pool
        return forms[bisect.bisect_right(cum, rng.random() * cum[-1], 0, len(cum) - 1)]

    def sample(self, rng: random.Random) -> str | None:
        """One canonical SMILES, or None when the draw is rejected."""
        cfg = self.config
        cum = self.size_cum
        target = self.size_values[bisect.bisect_right(cum, rng.random() * cum[-1], 0, len(cum) - 1)]
        pool = self.roots[min(target - 1, cfg.max_attachments)]
        if pool is None:
            return None
        root, _ = self._draw(rng, pool)
        # state: [fragments used, open attachment points, next ring number, mw, heavy atoms]
        state = [1, self.attach[root], 0, self.mw[root], self.heavy[root]]
        out: list[str] = []
        try:
            self._render(*self.cores[root], out, state, target, rng)
        except _Abort:
            return None
        if not cfg.mw_min <= state[3] <= cfg.mw_max:
            return None
        mol = Chem.MolFromSmiles("".join(out))
        if mol is None or mol.GetNumHeavyAtoms() > cfg.max_heavy_atoms:
            return None
        if not cfg.mw_min <= Descriptors.MolWt(mol) <= cfg.mw_max:
            return None
        return Chem.MolToSmiles(mol)

    def _render(self, items, n_rings, out, state, target, rng) -> None:
        base = state[2]
        state[2] += n_rings
        if state[2] > len(_RING):
            raise _Abort
        for item in items:
            kind = type(item)
            if kind is str:
                out.append(item)
            elif kind is int:
                out.append(_RING[base + item])
            else:
                label, bond = item
                extra = min(target - state[0] - state[1], self.config.max_attachments - 1)
                pool = self.pools.get((label, max(extra, 0)))
                if pool is None:
                    raise _Abort
                frag, j = self._draw(rng, pool)
                state[0] += 1
                state[1] += self.attach[frag] - 2
                state[3] += self.mw[frag]
                state[4] += self.heavy[frag]
                if state[4] > self.config.max_heavy_atoms or state[3] > self.config.mw_max:
                    raise _Abort
                out.append(bond or ("=" if label == 7 else "-"))
                _, sub_items, sub_rings = self.subs[frag][j]
                self._render(sub_items, sub_rings, out, state, target, rng)
