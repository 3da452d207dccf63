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
    """

    x: np.ndarray
    edge_index: np.ndarray
    edge_attr: np.ndarray

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

        return Data(
            x=torch.from_numpy(self.x),
            edge_index=torch.from_numpy(self.edge_index),
            edge_attr=torch.from_numpy(self.edge_attr),
            **attrs,
        )
