"""Readouts: atom embeddings -> one vector per molecule (PyG aggregations)."""

from __future__ import annotations

from torch import Tensor, nn
from torch_geometric.nn import aggr

__all__ = ["GraphReadout", "READOUTS"]

READOUTS = ("mean", "sum", "attention", "none")


class GraphReadout(nn.Module):
    """Pool ``n_atoms x d`` atom embeddings into ``n_mols x d``.

    Parameters
    ----------
    kind : {"mean", "sum", "attention", "none"}
        ``"attention"`` is PyG's ``AttentionalAggregation`` with a linear gate; ``"none"``
        passes through embeddings that are already per molecule (AttentiveFP, MLP).
    dim : int
        Embedding width (needed for the attention gate).
    """

    def __init__(self, kind: str = "mean", dim: int = 300):
        super().__init__()
        if kind not in READOUTS:
            raise ValueError(f"unknown readout {kind!r}; choose from {READOUTS}")
        self.kind = kind
        if kind == "mean":
            self.pool = aggr.MeanAggregation()
        elif kind == "sum":
            self.pool = aggr.SumAggregation()
        elif kind == "attention":
            self.pool = aggr.AttentionalAggregation(gate_nn=nn.Linear(dim, 1))
        else:
            self.pool = None

    def forward(self, h: Tensor, batch: Tensor | None, n_graphs: int) -> Tensor:
        if self.pool is None:
            return h
        return self.pool(h, batch, dim_size=n_graphs)
