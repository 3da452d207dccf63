"""AttentiveFP encoder.

Xiong et al., "Pushing the Boundaries of Molecular Representation for Drug Discovery with the
Graph Attention Mechanism", J. Med. Chem. 2020, via ``torch_geometric.nn.models.AttentiveFP``.
AttentiveFP's readout (a GRU attending over atoms) is part of the architecture, so this encoder
already returns one vector per molecule; pair it with :class:`molpred.nn.readout.GraphReadout`
set to ``"none"``.
"""

from __future__ import annotations

from torch import Tensor, nn
from torch_geometric.nn.models import AttentiveFP

__all__ = ["AttentiveFPEncoder"]


class AttentiveFPEncoder(nn.Module):
    """Graph embeddings from AttentiveFP.

    Parameters
    ----------
    d_atom, d_bond : int
        Input widths.
    hidden : int
        Hidden and output width.
    depth : int
        Number of atom-level attention layers.
    timesteps : int
        Number of molecule-level attention steps.
    dropout : float
    """

    graph_level = True

    def __init__(
        self, d_atom: int, d_bond: int, hidden: int = 200, depth: int = 3, timesteps: int = 2, dropout: float = 0.0
    ):
        super().__init__()
        self.out_dim = hidden
        self.net = AttentiveFP(
            in_channels=d_atom,
            hidden_channels=hidden,
            out_channels=hidden,
            edge_dim=d_bond,
            num_layers=depth,
            num_timesteps=timesteps,
            dropout=dropout,
        )

    def reset_parameters(self) -> None:
        self.net.reset_parameters()

    def forward(self, x: Tensor, edge_index: Tensor, edge_attr: Tensor, batch: Tensor) -> Tensor:
        """``n_atoms x d_atom`` -> ``n_mols x hidden``."""
        return self.net(x, edge_index, edge_attr, batch)
