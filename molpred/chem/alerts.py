"""Structural alerts (PAINS, Brenk) found through a cheap, sound pre-screen.

RDKit's ``FilterCatalog`` tries every alert's SMARTS on every molecule; most of that time goes
to alerts that cannot match because the molecule lacks an atom, a bond or a two-bond path the
alert needs (a positively charged nitrogen, a triple bond, an aromatic N-H next to a carbonyl).
Each alert's query (the catalogue's own pattern, read from the entry's serialisation) is
reduced to requirements that every match must meet:

* query atoms: the molecule has as many atoms with allowed keys ``(element, aromatic, sign of
  the formal charge, has hydrogens, number of SSSR rings 0/1/2/3+)`` as the query has atoms
  confined to those keys (a match maps query atoms to distinct atoms);
* query bonds whose query restricts the order (single, double, triple, aromatic): likewise,
  bonds of such an order between allowed elements;
* each pair of such bonds sharing an atom: the molecule has such a two-bond path.

A molecule's atoms and bonds give its keys (one pass over the atoms, the rest numpy); an
inverted index from keys to requirements gives the count each requirement sees, and an alert is
tried, through the catalogue's own entry (``HasFilterMatch``), only when all its
requirements are met. The requirements only ever over-approximate what a query accepts
(anything not understood, such as recursive SMARTS, ring or degree primitives and most
negations, puts no restriction), so the alerts found are exactly the catalogue's; entries
whose pattern cannot be read are always tried. On drug-like molecules (MoleculeACE) about 27
of the 585 PAINS and Brenk alerts are left to try, against about 47 PAINS alerts through
RDKit's pattern fingerprint, which alone costs more than this whole pre-screen.
"""

from __future__ import annotations

import functools
import re

import numpy as np
from rdkit import Chem
from rdkit.Chem.FilterCatalog import FilterCatalog, FilterCatalogParams

__all__ = ["AlertScreen", "alert_screen", "catalog"]

_ORDERS = 4  # bond order codes: single, double, triple, aromatic
_BOND_TYPE_CODE = {1: 0, 2: 1, 3: 2, 12: 3}  # Chem.BondType values SINGLE, DOUBLE, TRIPLE, AROMATIC
# twice Bond.GetBondTypeAsDouble -> order code (single 1, aromatic 1.5, double 2, triple 3)
_ORDER_OF_DOUBLE = np.array([-1, -1, 0, 3, 1, -1, 2, -1])
_PER_CLASS = 48  # atom keys per element class
_MAX_KEYS = 64  # a bond or path requirement with more alternatives prunes little: not checked
_MAX_ATOM_KEYS = 64
_PICKLE = re.compile(rb"(\d+) (\xef\xbe\xad\xde)")  # length, then RDKit's mol-pickle magic
_LEAF = re.compile(r"^(?P<name>\w+) (?P<val>-?\d+) (?P<op>!?=) val$")
_ELEMENT_LEAF = re.compile(r"^(?:AtomAtomicNum|AtomType) (\d+) ", re.M)


@functools.cache
def catalog(name: str) -> FilterCatalog:
    """RDKit's ``FilterCatalog`` for ``"pains"`` (families A, B, C) or ``"brenk"``, built once."""
    # Building a catalogue parses hundreds of SMARTS (~50 ms): once per process.
    params = FilterCatalogParams()
    params.AddCatalog(
        {"pains": FilterCatalogParams.FilterCatalogs.PAINS,
         "brenk": FilterCatalogParams.FilterCatalogs.BRENK}[name]
    )
    return FilterCatalog(params)


def _entry_pattern(entry) -> Chem.Mol | None:
    """The query of a single-pattern ``SmartsMatcher`` entry needing at least one match, else None."""
    data = entry.Serialize()
    found = list(_PICKLE.finditer(data))
    if len(found) != 1:
        return None
    start, length = found[0].start(2), int(found[0].group(1))
    tail = data[start + length:].split(b" ", 3)
    try:
        min_count = int(tail[1])
        pattern = Chem.Mol(data[start:start + length])
    except (ValueError, IndexError, RuntimeError):
        return None
    return pattern if min_count >= 1 and pattern.GetNumAtoms() > 0 else None


def _tree(description: str) -> list:
    """``DescribeQuery`` text -> nested ``[line, children]`` nodes, by indentation."""
    root: list = ["", []]
    stack = [(-1, root)]
    for line in description.splitlines():
        if not line.strip():
            continue
        depth = len(line) - len(line.lstrip(" "))
        node = [line.strip(), []]
        while stack[-1][0] >= depth:
            stack.pop()
        stack[-1][1][1].append(node)
        stack.append((depth, node))
    return root[1]


class _Keys:
    """Atom keys ``(element class, aromatic, charge sign, has H, rings 0/1/2/3+)`` as integers.

    Elements named by some query have a class each; all others share one class, so every set
    of keys a query leaf describes is a union of whole classes (sound for unnamed elements).
    """

    def __init__(self, elements: set[int]):
        self.n_z = 128
        named = sorted(z for z in elements if 0 <= z < self.n_z)
        self.zclass = np.full(self.n_z, len(named), dtype=np.int64)
        self.zclass[named] = np.arange(len(named))
        self.n_class = len(named) + 1
        self.n_atom = self.n_class * _PER_CLASS
        self.all = frozenset(range(self.n_atom))

    def atom(self, c, aromatic, sign, has_h, rings):
        return (((c * 2 + aromatic) * 3 + sign) * 2 + has_h) * 4 + rings

    def where(self, cls=None, aromatic=None, sign=None, has_h=None, rings=None) -> frozenset:
        return frozenset(
            self.atom(c, a, s, h, r)
            for c in (range(self.n_class) if cls is None else cls)
            for a in ((0, 1) if aromatic is None else (aromatic,))
            for s in ((0, 1, 2) if sign is None else sign)
            for h in ((0, 1) if has_h is None else (has_h,))
            for r in ((0, 1, 2, 3) if rings is None else rings)
        )

    def bond(self, c1, c2, order):
        lo, hi = np.minimum(c1, c2), np.maximum(c1, c2)
        return self.n_atom + (lo * self.n_class + hi) * _ORDERS + order

    @property
    def size(self) -> int:
        return self.n_atom + self.n_class * self.n_class * _ORDERS * (1 + self.n_class * _ORDERS)

    def atom_set(self, node) -> frozenset | None:
        """Keys a query node can accept (a superset), or None for any atom."""
        head, children = node
        if head in ("AtomAnd", "AtomOr"):
            sets = [self.atom_set(c) for c in children]
            if head == "AtomOr":
                return None if any(s is None for s in sets) else frozenset().union(*sets)
            known = [s for s in sets if s is not None]
            return frozenset.intersection(*known) if known else None
        m = _LEAF.match(head)
        if m is None:
            return None
        name, val, equal = m["name"], int(m["val"]), m["op"] == "="
        if name == "AtomType" and equal and val % 1000 < self.n_z:  # 1000 * aromatic + Z
            return self.where(cls=(int(self.zclass[val % 1000]),), aromatic=int(val >= 1000))
        if name == "AtomAtomicNum" and 0 <= val < self.n_z:
            c = int(self.zclass[val])
            return self.where(cls=(c,)) if equal else self.all - self.where(cls=(c,))
        if name in ("AtomIsAromatic", "AtomIsAliphatic") and val == 1:
            return self.where(aromatic=int((name == "AtomIsAromatic") == equal))
        if name == "AtomHCount" and val == 0:  # [H0] or [!H0]
            return self.where(has_h=int(not equal))
        if name == "AtomHCount" and equal:
            return self.where(has_h=1)
        if name == "AtomInNRings" and equal:  # SSSR rings holding the atom; -1: "in a ring"
            return self.where(rings=(1, 2, 3) if val < 0 else (min(val, 3),))
        if name == "AtomInNRings" and val == 0:
            return self.where(rings=(1, 2, 3))
        if name == "AtomFormalCharge":
            if equal:
                return self.where(sign=(int(np.sign(val)) + 1,))
            if val == 0:  # "charged"
                return self.where(sign=(0, 2))
        return None

    def requirements(self, pattern: Chem.Mol) -> list[tuple[frozenset, int]]:
        """``(keys, n)`` pairs: a match of ``pattern`` needs ``n`` molecule atoms (or bonds, or
        two-bond paths) with keys in ``keys``, as its atoms (bonds) map to distinct ones."""
        atoms = [_all_of([self.atom_set(n) for n in _tree(a.DescribeQuery())]) if a.HasQuery() else None
                 for a in pattern.GetAtoms()]
        bonds, bond_orders, paths = [], {}, set()
        for bond in pattern.GetBonds():
            orders = _all_of([_bond_orders(n) for n in _tree(bond.DescribeQuery())]) if bond.HasQuery() else None
            if orders is None:
                continue
            bond_orders[bond.GetIdx()] = orders
            c1, c2 = (self._classes(atoms[bond.GetBeginAtomIdx()]), self._classes(atoms[bond.GetEndAtomIdx()]))
            if len(c1) * len(c2) * len(orders) <= _MAX_KEYS:
                bonds.append(frozenset(int(self.bond(a, b, o)) for a in c1 for b in c2 for o in orders))
        for centre in pattern.GetAtoms():  # paths i-j-k of two bonds whose orders are restricted
            cj = self._classes(atoms[centre.GetIdx()])
            around = [(b.GetOtherAtomIdx(centre.GetIdx()), bond_orders[b.GetIdx()])
                      for b in centre.GetBonds() if b.GetIdx() in bond_orders]
            for x, (i, oi) in enumerate(around):
                for k, ok in around[x + 1:]:
                    ci, ck = self._classes(atoms[i]), self._classes(atoms[k])
                    if len(ci) * len(oi) * len(cj) * len(ok) * len(ck) <= _MAX_KEYS:
                        paths.add(frozenset(int(self.path(a, o1, b, o2, c))
                                            for a in ci for o1 in oi for b in cj for o2 in ok for c in ck))
        reqs = {p: 1 for p in paths}
        for group in (atoms, bonds):
            sets = [g for g in group if g is not None and len(g) <= (_MAX_ATOM_KEYS if group is atoms else _MAX_KEYS)]
            for s in set(sets):
                reqs[s] = sum(t <= s for t in sets)
        return sorted(reqs.items(), key=lambda r: len(r[0]))

    def _classes(self, keys: frozenset | None) -> list[int]:
        return list(range(self.n_class)) if keys is None else sorted({k // _PER_CLASS for k in keys})

    def path(self, c1, o1, c2, o2, c3):
        """Key of the path ``c1 -o1- c2 -o2- c3`` (molecules hold both directions)."""
        return self.n_atom + self.n_class * self.n_class * _ORDERS + (
            ((c1 * _ORDERS + o1) * self.n_class + c2) * _ORDERS + o2) * self.n_class + c3

    def _classes(self, keys: frozenset | None) -> list[int]:
        return list(range(self.n_class)) if keys is None else sorted({k // _PER_CLASS for k in keys})


def _all_of(sets: list) -> frozenset | None:
    known = [s for s in sets if s is not None]
    return frozenset.intersection(*known) if known else None


def _bond_orders(node) -> frozenset | None:
    """Order codes a bond query node can accept (a superset), or None for any bond."""
    head, children = node
    if head in ("BondAnd", "BondOr"):
        sets = [_bond_orders(c) for c in children]
        if head == "BondOr":
            return None if any(s is None for s in sets) else frozenset().union(*sets)
        return _all_of(sets)
    m = _LEAF.match(head)
    if m is None or m["op"] != "=":
        return None
    if m["name"] == "BondOrder":
        code = _BOND_TYPE_CODE.get(int(m["val"]))
        return None if code is None else frozenset({code})
    if m["name"] == "SingleOrAromaticBond":
        return frozenset({0, 3})
    return None


class AlertScreen:
    """The alerts of several ``FilterCatalog``s, each tried only when the molecule could match it.

    Parameters
    ----------
    names : tuple of str
        Catalogue names (``"pains"``, ``"brenk"``).

    Examples
    --------
    >>> screen = AlertScreen(("pains", "brenk"))
    >>> screen.alerts(Chem.MolFromSmiles("O=C1NC(=S)SC1=Cc1ccccc1"))["brenk"]
    ['Michael_acceptor_1', 'Thiocarbonyl_group']
    """

    def __init__(self, names: tuple[str, ...]):
        self.names = names
        self.entries, self.owner, patterns = [], [], []
        for k, name in enumerate(names):
            cat = catalog(name)
            for i in range(cat.GetNumEntries()):
                entry = cat.GetEntryWithIdx(i)
                self.entries.append(entry)
                self.owner.append(k)
                patterns.append(_entry_pattern(entry))
        self.descriptions = [e.GetDescription() for e in self.entries]
        elements = {
            int(z) % 1000
            for p in patterns if p is not None for a in p.GetAtoms() if a.HasQuery()
            for z in _ELEMENT_LEAF.findall(a.DescribeQuery())
        }
        self.keys = keys = _Keys(elements)
        always, flat, req_starts, alert_starts, with_reqs, needs = [], [], [], [], [], []
        for idx, pattern in enumerate(patterns):
            reqs = [] if pattern is None else keys.requirements(pattern)
            if not reqs:
                always.append(idx)
                continue
            with_reqs.append(idx)
            alert_starts.append(len(req_starts))
            for r, n in reqs:
                req_starts.append(len(flat))
                flat.extend(sorted(r))
                needs.append(n)
        flat = np.asarray(flat, dtype=np.int64)
        # inverted index: for each key, the requirements holding it (CSR over keys)
        owner = np.repeat(np.arange(len(req_starts)), np.diff(np.append(req_starts, len(flat))))
        by_key = np.argsort(flat, kind="stable")
        self._inv_req = owner[by_key]
        self._inv_ptr = np.concatenate([[0], np.cumsum(np.bincount(flat, minlength=keys.size))])
        self._needs = np.asarray(needs, dtype=np.int32)
        self._alert_starts = np.asarray(alert_starts, dtype=np.int64)
        self._alert_ends = np.append(self._alert_starts[1:], len(req_starts))
        self._alert_sizes = self._alert_ends - self._alert_starts
        self._with_reqs = np.asarray(with_reqs, dtype=np.int64)
        self._always = np.asarray(always, dtype=np.int64)

    def candidates(self, mol: Chem.Mol) -> np.ndarray:
        """Positions (in ``self.entries``) of the alerts whose requirements ``mol`` meets."""
        keys = self.keys
        atoms = [  # indexed access: the Python sequence behind GetAtoms() costs ~2 us per atom
            (a.GetAtomicNum(), a.GetIsAromatic(), a.GetFormalCharge(), a.GetTotalNumHs(True) > 0)
            for a in map(mol.GetAtomWithIdx, range(mol.GetNumAtoms()))
        ]
        if not atoms:
            return self._always
        a = np.asarray(atoms, dtype=np.int64).reshape(-1, 4)
        # the rings RDKit's [R], [R0], [R2] queries count (mol.GetRingInfo().NumAtomRings)
        in_rings = [i for ring in mol.GetRingInfo().AtomRings() for i in ring]
        rings = np.minimum(np.bincount(np.asarray(in_rings, dtype=np.int64), minlength=len(atoms)), 3)
        cls = keys.zclass[np.minimum(a[:, 0], keys.n_z - 1)]
        found = [keys.atom(cls, a[:, 1], np.sign(a[:, 2]) + 1, a[:, 3], rings)]
        if mol.GetNumBonds():
            adjacency = Chem.GetAdjacencyMatrix(mol, useBO=True)  # GetBondTypeAsDouble per pair
            i, j = np.nonzero(np.triu(adjacency))
            order = _ORDER_OF_DOUBLE[np.minimum((2 * adjacency[i, j]).astype(np.int64), 7)]
            keep = order >= 0  # other bond types have no order a requirement names
            i, j, order = i[keep], j[keep], order[keep]
            found.append(keys.bond(cls[i], cls[j], order))
            src, dst, o = np.concatenate([i, j]), np.concatenate([j, i]), np.concatenate([order, order])
            e1, e2 = np.nonzero((src[:, None] == src[None, :]) & (dst[:, None] != dst[None, :]))
            paths = np.unique(keys.path(cls[dst[e1]], o[e1], cls[src[e1]], o[e2], cls[dst[e2]]))
        else:
            paths = np.zeros(0, dtype=np.int64)
        # atoms and bonds counted per key, paths only present; then, through the inverted
        # index, the count each requirement sees, and all() per alert by cumulative sums
        key, n = np.unique(np.concatenate(found), return_counts=True)
        key, n = np.concatenate([key, paths]), np.concatenate([n, np.ones(len(paths), dtype=n.dtype)])
        lo, length = self._inv_ptr[key], self._inv_ptr[key + 1] - self._inv_ptr[key]
        total = int(length.sum())
        pos = np.arange(total) + np.repeat(lo - np.concatenate([[0], np.cumsum(length)[:-1]]), length)
        seen = np.bincount(self._inv_req[pos], weights=np.repeat(n, length), minlength=len(self._needs))
        met = np.concatenate([[0], np.cumsum(seen >= self._needs, dtype=np.int32)])
        ok = met[self._alert_ends] - met[self._alert_starts] == self._alert_sizes
        return np.concatenate([self._always, self._with_reqs[ok]])

    def alerts(self, mol: Chem.Mol) -> dict[str, list[str]]:
        """Sorted, de-duplicated descriptions of the alerts ``mol`` matches, per catalogue.

        The same as ``sorted({e.GetDescription() for e in catalog(name).GetMatches(mol)})``.
        """
        found: dict[str, set[str]] = {name: set() for name in self.names}
        for i in self.candidates(mol):
            if self.entries[i].HasFilterMatch(mol):
                found[self.names[self.owner[i]]].add(self.descriptions[i])
        return {name: sorted(d) for name, d in found.items()}


@functools.cache
def alert_screen(names: tuple[str, ...]) -> AlertScreen:
    """The :class:`AlertScreen` of these catalogues, built once per process (~0.1 s)."""
    return AlertScreen(names)
