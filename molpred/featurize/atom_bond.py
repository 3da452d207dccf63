"""RDKit Mol -> MolGraph: the versioned atom/bond featurizer of the graph networks.

The feature definitions live in one module per version (``molgraph_v1``, ``molgraph_v2``); the
version is saved with every model, so a model keeps the features it was trained with after the
default changes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from rdkit import Chem

from molpred.featurize import molgraph_v1, molgraph_v2
from molpred.featurize.graph import MolGraph

__all__ = ["MolGraphFeaturizer", "MOLGRAPH_VERSIONS", "DEFAULT_MOLGRAPH_VERSION"]

MOLGRAPH_VERSIONS = {1: molgraph_v1, 2: molgraph_v2}
DEFAULT_MOLGRAPH_VERSION = 2


def _edges(bond_attr: np.ndarray, mol: Chem.Mol, ends: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Directed edges from per-bond rows: columns ``2k``/``2k+1`` are bond ``k`` both ways.

    ``ends`` (``n_bonds x 2`` begin/end atoms) is read from ``mol`` when not given.
    """
    m = mol.GetNumBonds()
    if ends is None:
        ends = np.array([(b.GetBeginAtomIdx(), b.GetEndAtomIdx()) for b in mol.GetBonds()],
                        dtype=np.int64).reshape(m, 2)
    edge_index = np.empty((2, 2 * m), dtype=np.int64)
    edge_index[0, 0::2] = ends[:, 0]
    edge_index[1, 0::2] = ends[:, 1]
    edge_index[0, 1::2] = ends[:, 1]
    edge_index[1, 1::2] = ends[:, 0]
    return edge_index, np.repeat(bond_attr, 2, axis=0)


@dataclass(frozen=True)
class MolGraphFeaturizer:
    """Atom/bond featurizer for graph networks.

    Version 2 (the default; ``d_atom`` = 58, ``d_bond`` = 11): element one-hot over H, B, C, N,
    O, F, Si, P, S, Cl, Se, Br, I, metal, other; degree 0-5; formal charge -2..2; total Hs 0-4;
    radical electrons 0/1; hybridisation S/SP/SP2/SP2D/SP3/SP3D/SP3D2 (each + other); CIP label
    none/R/S/other; membership of rings of size 3, 4, 5, 6, 7, 8; aromatic; in ring; mass / 100.
    Bonds: single/double/triple/aromatic (+ other); stereo none/E/Z/other; conjugated; in ring.
    Stereo is read as CIP labels, so every way of writing a molecule gives the same features
    (see :mod:`molpred.featurize.molgraph_v2`).

    Version 1 (``d_atom`` = 46, ``d_bond`` = 14) used RDKit's CW/CCW chiral tags and cis/trans
    bond stereo, which depend on the order the SMILES lists the atoms; it is kept, bit for bit,
    for models saved with it.

    The ``name`` and ``version`` are saved with every model; a model refuses features from a
    featurizer with a different name, version or width.

    Examples
    --------
    >>> g = MolGraphFeaturizer()(Chem.MolFromSmiles("CCO"))
    >>> g.x.shape, g.edge_index.shape, g.edge_attr.shape
    ((3, 58), (2, 4), (4, 11))
    >>> MolGraphFeaturizer(version=1)(Chem.MolFromSmiles("CCO")).x.shape
    (3, 46)
    """

    name: str = "molgraph"
    version: int = DEFAULT_MOLGRAPH_VERSION

    def __post_init__(self):
        if self.version not in MOLGRAPH_VERSIONS:
            raise ValueError(f"molgraph featurizer version {self.version!r} is unknown "
                             f"(this molpred has {sorted(MOLGRAPH_VERSIONS)})")

    @property
    def _defs(self):
        return MOLGRAPH_VERSIONS[self.version]

    @property
    def d_atom(self) -> int:
        return self._defs.D_ATOM

    @property
    def d_bond(self) -> int:
        return self._defs.D_BOND

    def spec(self) -> dict:
        """JSON description saved with a model."""
        return {"name": self.name, "version": self.version, "d_atom": self.d_atom, "d_bond": self.d_bond}

    def atom_features(self, mol: Chem.Mol) -> np.ndarray:
        """``n_atoms x d_atom`` float32 atom feature matrix."""
        return self._defs.atom_features(mol)

    def bond_features(self, mol: Chem.Mol) -> tuple[np.ndarray, np.ndarray]:
        """Directed edges and their features.

        Returns
        -------
        edge_index : numpy.ndarray
            ``2 x 2 n_bonds`` int64; columns ``2k``/``2k+1`` are bond ``k`` in both directions.
        edge_attr : numpy.ndarray
            ``2 n_bonds x d_bond`` float32.
        """
        if mol.GetNumBonds() == 0:
            return np.zeros((2, 0), np.int64), np.zeros((0, self.d_bond), np.float32)
        return _edges(self._defs.bond_features(mol), mol)

    def __call__(self, mol: Chem.Mol) -> MolGraph:
        """Featurise one molecule.

        Raises
        ------
        ValueError
            ``mol`` is ``None`` or has no atoms (callers standardise first and record failures).
        """
        if mol is None or mol.GetNumAtoms() == 0:
            raise ValueError("cannot featurise an empty or missing molecule")
        if self.version == 1:
            x = molgraph_v1.atom_features(mol)
            edge_index, edge_attr = self.bond_features(mol)
            return MolGraph(x, edge_index, edge_attr)
        x, bond_attr, ends = molgraph_v2.graph_arrays(mol)
        if mol.GetNumBonds() == 0:
            return MolGraph(x, np.zeros((2, 0), np.int64), np.zeros((0, self.d_bond), np.float32))
        edge_index, edge_attr = _edges(bond_attr, mol, ends)
        return MolGraph(x, edge_index, edge_attr)
