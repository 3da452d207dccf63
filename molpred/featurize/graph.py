"""The molecular graph record: plain numpy arrays, converted to PyG in one place."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["MolGraph"]


@dataclass(frozen=True)
class MolGraph:
    """A featurised molecule.

    Attributes
    ----------
    x : numpy.ndarray
        ``n_atoms x d_atom`` float32 atom features.
    edge_index : numpy.ndarray
        ``2 x n_edges`` int64, both directions of every bond; edge ``2k`` and ``2k + 1`` are
        the two directions of bond ``k`` (the D-MPNN relies on this pairing).
    edge_attr : numpy.ndarray
        ``n_edges x d_bond`` float32 bond features.
    mol_x : numpy.ndarray, optional
        ``d_mol`` float32 molecule-level features (NaN = missing), set by
        :class:`molpred.featurize.molecule_features.WithMoleculeFeatures`.
    """

    x: np.ndarray
    edge_index: np.ndarray
    edge_attr: np.ndarray
    mol_x: np.ndarray | None = None

    @property
    def n_atoms(self) -> int:
        return int(self.x.shape[0])

    @property
    def n_edges(self) -> int:
        return int(self.edge_index.shape[1])

    def to_pyg(self, **attrs):
        """Convert to a ``torch_geometric.data.Data``; extra keyword tensors are attached.

        This is the only place molpred converts its graphs to PyG.
        """
        import torch
        from torch_geometric.data import Data

        if self.mol_x is not None:  # 1 x d_mol, so a batch stacks to n_graphs x d_mol
            attrs = {"mol_x": torch.from_numpy(np.asarray(self.mol_x, np.float32)[None, :]), **attrs}
        return Data(
            x=torch.from_numpy(self.x),
            edge_index=torch.from_numpy(self.edge_index),
            edge_attr=torch.from_numpy(self.edge_attr),
            **attrs,
        )
