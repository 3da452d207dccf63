"""RDKit Mol -> MolGraph with one-hot atom and bond features, built with numpy per molecule.

Each atom is described by a small integer code per feature family (element index, degree,
charge...), read from RDKit in one pass; the one-hot matrix is then filled with a single fancy
index assignment rather than by appending Python lists.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from rdkit import Chem

from molpred.featurize.graph import MolGraph

__all__ = ["MolGraphFeaturizer", "ATOM_FAMILIES", "BOND_FAMILIES"]

ELEMENTS = (1, 5, 6, 7, 8, 9, 14, 15, 16, 17, 34, 35, 53)  # H B C N O F Si P S Cl Se Br I
_HYB = Chem.rdchem.HybridizationType
HYBRIDISATIONS = (_HYB.S, _HYB.SP, _HYB.SP2, _HYB.SP3, _HYB.SP3D, _HYB.SP3D2)
_CHI = Chem.rdchem.ChiralType
CHIRALITIES = (_CHI.CHI_TETRAHEDRAL_CW, _CHI.CHI_TETRAHEDRAL_CCW)
_BT = Chem.rdchem.BondType
BOND_TYPES = (_BT.SINGLE, _BT.DOUBLE, _BT.TRIPLE, _BT.AROMATIC)
_ST = Chem.rdchem.BondStereo
STEREOS = (_ST.STEREONONE, _ST.STEREOANY, _ST.STEREOZ, _ST.STEREOE, _ST.STEREOCIS, _ST.STEREOTRANS)

# (name, width) of each one-hot family; the last slot of a family is "other".
ATOM_FAMILIES = (
    ("element", len(ELEMENTS) + 1),
    ("degree", 7),  # 0..5, other
    ("formal_charge", 6),  # -2..2, other
    ("total_hs", 6),  # 0..4, other
    ("hybridisation", len(HYBRIDISATIONS) + 1),
    ("chirality", len(CHIRALITIES) + 1),  # CW, CCW, none/other
)
ATOM_SCALARS = ("aromatic", "in_ring", "mass_x0.01")
BOND_FAMILIES = (("bond_type", len(BOND_TYPES) + 1), ("stereo", len(STEREOS) + 1))
BOND_SCALARS = ("conjugated", "in_ring")

_ELEMENT_INDEX = np.full(128, len(ELEMENTS), dtype=np.int64)
_ELEMENT_INDEX[list(ELEMENTS)] = np.arange(len(ELEMENTS))
_HYB_INDEX = {h: i for i, h in enumerate(HYBRIDISATIONS)}
_CHI_INDEX = {c: i for i, c in enumerate(CHIRALITIES)}
_BT_INDEX = {b: i for i, b in enumerate(BOND_TYPES)}
_ST_INDEX = {s: i for i, s in enumerate(STEREOS)}

_ATOM_OFFSETS = np.cumsum([0] + [w for _, w in ATOM_FAMILIES])[:-1]
_BOND_OFFSETS = np.cumsum([0] + [w for _, w in BOND_FAMILIES])[:-1]
D_ATOM_ONEHOT = int(sum(w for _, w in ATOM_FAMILIES))
D_BOND_ONEHOT = int(sum(w for _, w in BOND_FAMILIES))


def _clip(values: np.ndarray, lo: int, hi: int) -> np.ndarray:
    """Map ``values`` to ``0..hi-lo`` and everything outside ``[lo, hi]`` to the "other" slot."""
    out = values - lo
    out[(values < lo) | (values > hi)] = hi - lo + 1
    return out


@dataclass(frozen=True)
class MolGraphFeaturizer:
    """Atom/bond featurizer for graph networks.

    Atom features (``d_atom`` = 46): element one-hot over H, B, C, N, O, F, Si, P, S, Cl, Se,
    Br, I + other; degree 0-5; formal charge -2..2; total Hs 0-4; hybridisation
    S/SP/SP2/SP3/SP3D/SP3D2; chirality CW/CCW/none (each + other); aromatic; in ring;
    mass / 100. Bond features (``d_bond`` = 14): single/double/triple/aromatic (+ other);
    stereo none/any/Z/E/cis/trans (+ other); conjugated; in ring.

    The ``name`` and ``version`` are saved with every model; a model refuses features from a
    featurizer with a different name, version or width.

    Examples
    --------
    >>> g = MolGraphFeaturizer()(Chem.MolFromSmiles("CCO"))
    >>> g.x.shape, g.edge_index.shape, g.edge_attr.shape
    ((3, 46), (2, 4), (4, 14))
    """

    name: str = "molgraph"
    version: int = 1

    @property
    def d_atom(self) -> int:
        return D_ATOM_ONEHOT + len(ATOM_SCALARS)

    @property
    def d_bond(self) -> int:
        return D_BOND_ONEHOT + len(BOND_SCALARS)

    def spec(self) -> dict:
        """JSON description saved with a model."""
        return {"name": self.name, "version": self.version, "d_atom": self.d_atom, "d_bond": self.d_bond}

    def atom_features(self, mol: Chem.Mol) -> np.ndarray:
        """``n_atoms x d_atom`` float32 atom feature matrix."""
        atoms = mol.GetAtoms()
        n = mol.GetNumAtoms()
        codes = np.array(
            [
                (
                    a.GetAtomicNum(),
                    a.GetDegree(),
                    a.GetFormalCharge(),
                    a.GetTotalNumHs(),
                    _HYB_INDEX.get(a.GetHybridization(), len(HYBRIDISATIONS)),
                    _CHI_INDEX.get(a.GetChiralTag(), len(CHIRALITIES)),
                    a.GetIsAromatic(),
                    a.IsInRing(),
                    a.GetMass(),
                )
                for a in atoms
            ],
            dtype=np.float64,
        ).reshape(n, 9)
        ints = codes[:, :6].astype(np.int64)
        onehot_idx = np.stack(
            [
                _ELEMENT_INDEX[np.clip(ints[:, 0], 0, 127)],
                _clip(ints[:, 1], 0, 5),
                _clip(ints[:, 2], -2, 2),
                _clip(ints[:, 3], 0, 4),
                ints[:, 4],
                ints[:, 5],
            ],
            axis=1,
        ) + _ATOM_OFFSETS
        x = np.zeros((n, self.d_atom), dtype=np.float32)
        x[np.arange(n)[:, None], onehot_idx] = 1.0
        x[:, D_ATOM_ONEHOT:] = codes[:, 6:]
        x[:, -1] *= 0.01
        return x

    def bond_features(self, mol: Chem.Mol) -> tuple[np.ndarray, np.ndarray]:
        """Directed edges and their features.

        Returns
        -------
        edge_index : numpy.ndarray
            ``2 x 2 n_bonds`` int64; columns ``2k``/``2k+1`` are bond ``k`` in both directions.
        edge_attr : numpy.ndarray
            ``2 n_bonds x d_bond`` float32.
        """
        m = mol.GetNumBonds()
        if m == 0:
            return np.zeros((2, 0), np.int64), np.zeros((0, self.d_bond), np.float32)
        codes = np.array(
            [
                (
                    b.GetBeginAtomIdx(),
                    b.GetEndAtomIdx(),
                    _BT_INDEX.get(b.GetBondType(), len(BOND_TYPES)),
                    _ST_INDEX.get(b.GetStereo(), len(STEREOS)),
                    b.GetIsConjugated(),
                    b.IsInRing(),
                )
                for b in mol.GetBonds()
            ],
            dtype=np.int64,
        )
        attr = np.zeros((m, self.d_bond), dtype=np.float32)
        attr[np.arange(m)[:, None], codes[:, 2:4] + _BOND_OFFSETS] = 1.0
        attr[:, D_BOND_ONEHOT:] = codes[:, 4:6]
        edge_index = np.empty((2, 2 * m), dtype=np.int64)
        edge_index[0, 0::2] = codes[:, 0]
        edge_index[1, 0::2] = codes[:, 1]
        edge_index[0, 1::2] = codes[:, 1]
        edge_index[1, 1::2] = codes[:, 0]
        return edge_index, np.repeat(attr, 2, axis=0)

    def __call__(self, mol: Chem.Mol) -> MolGraph:
        """Featurise one molecule.

        Raises
        ------
        ValueError
            ``mol`` is ``None`` or has no atoms (callers standardise first and record failures).
        """
        if mol is None or mol.GetNumAtoms() == 0:
            raise ValueError("cannot featurise an empty or missing molecule")
        edge_index, edge_attr = self.bond_features(mol)
        return MolGraph(self.atom_features(mol), edge_index, edge_attr)
