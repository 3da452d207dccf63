"""Version 2 of the ``molgraph`` features: the same molecule gives the same features however it
is written.

Changes from version 1 (``molgraph_v1``):

- stereo is read as CIP labels (R/S on atoms, E/Z on bonds), which depend only on the molecule,
  not on the order in which a SMILES lists neighbours (RDKit's CW/CCW chiral tags and cis/trans
  bond stereo are relative to that order);
- ring membership by ring size (3, 4, 5, 6, 7, 8), so a cyclopropyl CH differs from a cyclohexyl
  CH (Chemprop's featurizer has no ring sizes either; MolPAL's neither);
- radical electrons (0, 1, more);
- metals as one element group beside H, B, C, N, O, F, Si, P, S, Cl, Se, Br, I (+ other);
- SP2D hybridisation, as in Chemprop v2's featurizer.

CIP labels come from RDKit's stereo perception: with the legacy perception (RDKit's default
up to 2026) parsing already stores ``_CIPCode`` on atoms and E/Z on bonds; otherwise, or when a
molecule arrives without them, the new CIP labeller (``rdCIPLabeler``) assigns them once per
molecule. A tagged stereocentre whose label cannot be determined (e.g. the relative cis/trans of
a 1,4-disubstituted cyclohexane) falls in the chirality family's "other" slot, which is itself
independent of atom order.
"""

from __future__ import annotations

import numpy as np
from rdkit import Chem
from rdkit.Chem import rdCIPLabeler

from molpred.featurize.atom_arrays import AtomBondArrays, read_arrays

__all__ = ["ATOM_FAMILIES", "BOND_FAMILIES", "ATOM_SCALARS", "BOND_SCALARS", "D_ATOM", "D_BOND",
           "atom_features", "bond_features", "features", "graph_arrays", "METALS", "RING_SIZES"]

ELEMENTS = (1, 5, 6, 7, 8, 9, 14, 15, 16, 17, 34, 35, 53)  # H B C N O F Si P S Cl Se Br I
# alkali, alkaline-earth, transition, post-transition metals, lanthanides and actinides
METALS = frozenset(
    [3, 4, 11, 12, 13, 19, 20, 31, 37, 38, 49, 50, 55, 56, 81, 82, 83, 84, 87, 88]
    + list(range(21, 31)) + list(range(39, 49)) + list(range(57, 81)) + list(range(89, 104))
)
_HYB = Chem.rdchem.HybridizationType
HYBRIDISATIONS = (_HYB.S, _HYB.SP, _HYB.SP2, _HYB.SP2D, _HYB.SP3, _HYB.SP3D, _HYB.SP3D2)
RING_SIZES = (3, 4, 5, 6, 7, 8)
_BT = Chem.rdchem.BondType
BOND_TYPES = (_BT.SINGLE, _BT.DOUBLE, _BT.TRIPLE, _BT.AROMATIC)
_ST = Chem.rdchem.BondStereo

# (name, width) of each one-hot family; the last slot of a family is "other".
ATOM_FAMILIES = (
    ("element", len(ELEMENTS) + 2),  # 13 elements, metal, other
    ("degree", 7),  # 0..5, other
    ("formal_charge", 6),  # -2..2, other
    ("total_hs", 6),  # 0..4, other
    ("radical_electrons", 3),  # 0, 1, other
    ("hybridisation", len(HYBRIDISATIONS) + 1),
    ("cip", 4),  # none, R, S, other (tagged stereocentre without a CIP label)
)
ATOM_SCALARS = tuple(f"ring_size_{k}" for k in RING_SIZES) + ("aromatic", "in_ring", "mass_x0.01")
BOND_FAMILIES = (("bond_type", len(BOND_TYPES) + 1), ("stereo", 4))  # none, E, Z, other (any/unlabelled)
BOND_SCALARS = ("conjugated", "in_ring")

_ATOM_OFFSETS = np.cumsum([0] + [w for _, w in ATOM_FAMILIES])[:-1]
_BOND_OFFSETS = np.cumsum([0] + [w for _, w in BOND_FAMILIES])[:-1]
D_ATOM_ONEHOT = int(sum(w for _, w in ATOM_FAMILIES))
D_BOND_ONEHOT = int(sum(w for _, w in BOND_FAMILIES))
D_ATOM = D_ATOM_ONEHOT + len(ATOM_SCALARS)  # 58
D_BOND = D_BOND_ONEHOT + len(BOND_SCALARS)  # 11


def _columns(family: int, values, offsets) -> dict:
    """``value -> one-hot column`` of a family (its last column, "other", is for the rest)."""
    return {v: int(offsets[family] + i) for i, v in enumerate(values)}


_ELEMENT_COL = np.full(128, int(_ATOM_OFFSETS[0] + len(ELEMENTS) + 1), dtype=np.int64)  # other
_ELEMENT_COL[sorted(METALS)] = int(_ATOM_OFFSETS[0] + len(ELEMENTS))
_ELEMENT_COL[list(ELEMENTS)] = _ATOM_OFFSETS[0] + np.arange(len(ELEMENTS))
_ELEMENT_COL = _ELEMENT_COL.tolist()
_DEGREE_COL, _DEGREE_OTHER = _columns(1, range(6), _ATOM_OFFSETS), int(_ATOM_OFFSETS[1] + 6)
_CHARGE_COL, _CHARGE_OTHER = _columns(2, range(-2, 3), _ATOM_OFFSETS), int(_ATOM_OFFSETS[2] + 5)
_HS_COL, _HS_OTHER = _columns(3, range(5), _ATOM_OFFSETS), int(_ATOM_OFFSETS[3] + 5)
_RAD_COL, _RAD_OTHER = _columns(4, range(2), _ATOM_OFFSETS), int(_ATOM_OFFSETS[4] + 2)
_HYB_COL, _HYB_OTHER = _columns(5, HYBRIDISATIONS, _ATOM_OFFSETS), int(_ATOM_OFFSETS[5] + len(HYBRIDISATIONS))
_CIP_NONE = int(_ATOM_OFFSETS[6])
_CIP_COL, _CIP_OTHER = {"R": _CIP_NONE + 1, "S": _CIP_NONE + 2}, _CIP_NONE + 3
_RING_COL0 = D_ATOM_ONEHOT  # first ring-size scalar
_BT_COL, _BT_OTHER = _columns(0, BOND_TYPES, _BOND_OFFSETS), int(_BOND_OFFSETS[0] + len(BOND_TYPES))
_ST_NONE = int(_BOND_OFFSETS[1])
_ST_COL, _ST_OTHER = {"E": _ST_NONE + 1, "Z": _ST_NONE + 2}, _ST_NONE + 3
_LEGACY_EZ = {_ST.STEREOE: "E", _ST.STEREOZ: "Z"}
_UNSPECIFIED = Chem.rdchem.ChiralType.CHI_UNSPECIFIED


def _cip_labels(mol: Chem.Mol, atoms: list[int], bonds: list[int]) -> tuple[dict, dict]:
    """CIP labels of the given stereo atoms and bonds: ``{atom_idx: "R"|"S"}``, ``{bond_idx: "E"|"Z"}``.

    Uses the labels RDKit's stereo perception stored at parsing; when any is missing, runs the
    new CIP labeller once for the molecule (on a copy, so the caller's molecule is untouched).
    """
    atom_lab = {}
    for i in atoms:
        a = mol.GetAtomWithIdx(i)
        atom_lab[i] = a.GetProp("_CIPCode") if a.HasProp("_CIPCode") else None
    bond_lab = {}
    for i in bonds:
        b = mol.GetBondWithIdx(i)
        bond_lab[i] = _LEGACY_EZ.get(b.GetStereo()) or (b.GetProp("_CIPCode") if b.HasProp("_CIPCode") else None)
    if all(v is not None for v in atom_lab.values()) and all(v is not None for v in bond_lab.values()):
        return atom_lab, bond_lab
    labelled = Chem.Mol(mol)
    try:
        rdCIPLabeler.AssignCIPLabels(labelled)
    except RuntimeError:  # the labeller gave up (its iteration limit): keep what perception gave
        return atom_lab, bond_lab
    for i in atoms:
        a = labelled.GetAtomWithIdx(i)
        if atom_lab[i] is None and a.HasProp("_CIPCode"):
            atom_lab[i] = a.GetProp("_CIPCode")
    for i in bonds:
        b = labelled.GetBondWithIdx(i)
        if bond_lab[i] is None and b.HasProp("_CIPCode"):
            bond_lab[i] = b.GetProp("_CIPCode")
    return atom_lab, bond_lab


def _family_table() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One lookup table for the six one-hot families read from atom properties.

    Returns ``(table, low, high)``: the column of value ``v`` of family ``f`` (element, degree,
    formal charge, total Hs, radical electrons, hybridisation) is
    ``table[f, clip(v - low[f], 0, high[f])]``; the clipped ends hold each family's "other".
    """
    table = np.full((6, 128), -1, dtype=np.int64)
    table[0, :len(_ELEMENT_COL)] = _ELEMENT_COL  # atomic number 0..127
    table[1, :7] = [_DEGREE_COL.get(v, _DEGREE_OTHER) for v in range(7)]  # 6 = more than 5
    table[2, :7] = [_CHARGE_COL.get(v, _CHARGE_OTHER) for v in range(-3, 4)]  # -3 / 3 = beyond
    table[3, :6] = [_HS_COL.get(v, _HS_OTHER) for v in range(6)]
    table[4, :3] = [_RAD_COL.get(v, _RAD_OTHER) for v in range(3)]
    n_hyb = max(int(h) for h in _HYB.values.values()) + 1
    by_value = {int(h): col for h, col in _HYB_COL.items()}
    table[5, :n_hyb] = [by_value.get(v, _HYB_OTHER) for v in range(n_hyb)]
    low = np.array([0, 0, -3, 0, 0, 0], dtype=np.int64)
    high = np.array([len(_ELEMENT_COL) - 1, 6, 6, 5, 2, n_hyb - 1], dtype=np.int64)
    return table, low, high


_FAMILY_TABLE, _FAMILY_LOW, _FAMILY_HIGH = _family_table()
_FAMILY_ROWS = np.arange(6)
_BT_TABLE = np.full(max(int(t) for t in _BT.values.values()) + 1, _BT_OTHER, dtype=np.int64)
for _t, _col in _BT_COL.items():
    _BT_TABLE[int(_t)] = _col


def _atom_matrix(mol: Chem.Mol, arr: AtomBondArrays, cip: dict) -> np.ndarray:
    """``n_atoms x 58`` float32 from the property arrays and the CIP labels of tagged atoms."""
    n = len(arr.atomic_num)
    values = np.stack([arr.atomic_num, arr.degree, arr.formal_charge, arr.total_hs, arr.radicals,
                       arr.hybridisation], axis=1)
    onehot = np.empty((n, 7), dtype=np.int64)
    # np.minimum/np.maximum, not np.clip: clip's per-call overhead on small int arrays was ~10 us
    onehot[:, :6] = _FAMILY_TABLE[_FAMILY_ROWS, np.minimum(np.maximum(values - _FAMILY_LOW, 0), _FAMILY_HIGH)]
    onehot[:, 6] = _CIP_NONE
    for i, label in cip.items():
        onehot[i, 6] = _CIP_COL.get(label, _CIP_OTHER)
    x = np.zeros((n, D_ATOM), dtype=np.float32)
    x[np.arange(n)[:, None], onehot] = 1.0
    for ring in mol.GetRingInfo().AtomRings():  # SSSR rings, the same whatever the atom order
        if RING_SIZES[0] <= len(ring) <= RING_SIZES[-1]:
            x[list(ring), _RING_COL0 + len(ring) - RING_SIZES[0]] = 1.0
    x[:, -3] = arr.aromatic
    x[:, -2] = arr.in_ring
    x[:, -1] = arr.mass
    x[:, -1] *= 0.01  # in float32, as version 2 has always scaled it
    return x


def _bond_matrix(arr: AtomBondArrays, cip: dict) -> np.ndarray:
    """``n_bonds x 11`` float32 from the property arrays and the E/Z labels of stereo bonds."""
    m = len(arr.begin)
    stereo_col = np.full(m, _ST_NONE, dtype=np.int64)
    for i, label in cip.items():
        stereo_col[i] = _ST_COL.get(label, _ST_OTHER)
    attr = np.zeros((m, D_BOND), dtype=np.float32)
    attr[np.arange(m), _BT_TABLE[arr.bond_type]] = 1.0  # the table covers every BondType value
    attr[np.arange(m), stereo_col] = 1.0
    attr[:, D_BOND_ONEHOT] = arr.conjugated
    attr[:, D_BOND_ONEHOT + 1] = arr.bond_in_ring
    return attr


def _labels(mol: Chem.Mol, arr: AtomBondArrays) -> tuple[dict, dict]:
    tagged = np.flatnonzero(arr.chiral_tagged).tolist()
    stereo = np.flatnonzero(arr.stereo_set).tolist()
    return _cip_labels(mol, tagged, stereo) if (tagged or stereo) else ({}, {})


def atom_features(mol: Chem.Mol, cip: dict | None = None) -> np.ndarray:
    """``n_atoms x 58`` float32 atom features (version 2).

    Parameters
    ----------
    mol : rdkit.Chem.Mol
    cip : dict, optional
        ``{atom_idx: label}`` for the tagged stereocentres (from :func:`_cip_labels`); computed
        when not given.
    """
    arr = read_arrays(mol)
    return _atom_matrix(mol, arr, _labels(mol, arr)[0] if cip is None else cip)


def bond_features(mol: Chem.Mol, cip: dict | None = None) -> np.ndarray:
    """``n_bonds x 11`` float32 bond features (version 2), one row per RDKit bond.

    Parameters
    ----------
    mol : rdkit.Chem.Mol
    cip : dict, optional
        ``{bond_idx: "E"|"Z"}`` for the bonds with stereo; computed when not given.
    """
    arr = read_arrays(mol)
    return _bond_matrix(arr, _labels(mol, arr)[1] if cip is None else cip)


def graph_arrays(mol: Chem.Mol) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Atom features (``n_atoms x 58``), bond features (``n_bonds x 11``) and bond ends
    (``n_bonds x 2`` int64), with the molecule's properties read once
    (:func:`molpred.featurize.atom_arrays.read_arrays`) and CIP labels looked up once."""
    arr = read_arrays(mol)
    atom_cip, bond_cip = _labels(mol, arr)
    ends = np.stack([arr.begin, arr.end], axis=1).reshape(-1, 2)
    return _atom_matrix(mol, arr, atom_cip), _bond_matrix(arr, bond_cip), ends


def features(mol: Chem.Mol) -> tuple[np.ndarray, np.ndarray]:
    """Atom (``n_atoms x 58``) and bond (``n_bonds x 11``) features, CIP labels looked up once."""
    x, attr, _ = graph_arrays(mol)
    return x, attr
