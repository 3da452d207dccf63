"""Prediction heads: molecule embedding -> task outputs."""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torch.nn import functional as F

__all__ = ["FFNHead"]


class FFNHead(nn.Module):
    """Feed-forward head.

    Parameters
    ----------
    d_in : int
        Molecule embedding width.
    n_tasks : int
        Number of targets.
    hidden : int
        Width of the hidden layers.
    n_layers : int
        Number of linear layers (>= 1).
    dropout : float
    mve : bool
        Mean-variance estimation (Nix & Weigend 1994): also output a per-task variance.

    Returns (forward)
    -----------------
    Tensor
        ``n_mols x n_tasks`` predictions, or ``n_mols x n_tasks x 2`` (mean, variance > 0)
        when ``mve``.
    """

    def __init__(self, d_in: int, n_tasks: int, hidden: int = 300, n_layers: int = 2, dropout: float = 0.0, mve: bool = False):
        super().__init__()
        self.n_tasks = n_tasks
        self.mve = mve
        layers: list[nn.Module] = []
        width = d_in
        for _ in range(n_layers - 1):
            layers += [nn.Dropout(dropout), nn.Linear(width, hidden), nn.ReLU()]
            width = hidden
        layers += [nn.Dropout(dropout), nn.Linear(width, n_tasks * (2 if mve else 1))]
        self.net = nn.Sequential(*layers)

    def reset_parameters(self) -> None:
        for m in self.net:
            if isinstance(m, nn.Linear):
                m.reset_parameters()

    def forward(self, z: Tensor) -> Tensor:
        out = self.net(z)
        if not self.mve:
            return out
        out = out.view(-1, self.n_tasks, 2)
        return torch.stack([out[..., 0], F.softplus(out[..., 1]) + 1e-6], dim=-1)
