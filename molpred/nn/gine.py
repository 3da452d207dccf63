"""GINE encoder: graph isomorphism network with edge features.

Hu et al., "Strategies for Pre-training Graph Neural Networks", ICLR 2020, built from
``torch_geometric.nn.GINEConv``.
"""

from __future__ import annotations

from torch import Tensor, nn
from torch_geometric.nn import GINEConv

__all__ = ["GINEEncoder"]


class GINEEncoder(nn.Module):
    """Stack of GINE convolutions with residual connections and batch norm.

    Parameters
    ----------
    d_atom, d_bond : int
        Input widths.
    hidden : int
        Node embedding width.
    depth : int
        Number of GINE layers.
    dropout : float
    """

    def __init__(self, d_atom: int, d_bond: int, hidden: int = 300, depth: int = 4, dropout: float = 0.0):
        super().__init__()
        self.out_dim = hidden
        self.embed = nn.Linear(d_atom, hidden)
        self.convs = nn.ModuleList()
        self.norms = nn.ModuleList()
        for _ in range(depth):
            mlp = nn.Sequential(nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, hidden))
            self.convs.append(GINEConv(mlp, train_eps=True, edge_dim=d_bond))
            self.norms.append(nn.BatchNorm1d(hidden))
        self.dropout = nn.Dropout(dropout)

    def reset_parameters(self) -> None:
        self.embed.reset_parameters()
        for conv, norm in zip(self.convs, self.norms):
            conv.reset_parameters()
            norm.reset_parameters()

    def forward(self, x: Tensor, edge_index: Tensor, edge_attr: Tensor) -> Tensor:
        """``n_atoms x d_atom`` -> ``n_atoms x hidden``."""
        h = self.embed(x)
        for conv, norm in zip(self.convs, self.norms):
            h = h + self.dropout(norm(conv(h, edge_index, edge_attr)).relu())
        return h
