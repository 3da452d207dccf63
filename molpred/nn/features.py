"""Imputation and scaling of molecule-level features inside the network (Chemprop's ``X_d`` transform).

The raw vectors (:mod:`molpred.featurize.molecule_features`) travel on the graphs as ``mol_x``
with NaN where a descriptor failed. This layer holds the training statistics as buffers, so
they are saved with the weights (safetensors) and every path that runs the network (predict,
screen, explain, ensembles) applies the same transformation.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor, nn

__all__ = ["MoleculeFeatureScaling"]


class MoleculeFeatureScaling(nn.Module):
    """``mol_x`` -> imputed, scaled, clipped features (no trainable parameters).

    ``out = clamp((where(isnan(x), center, x) - center) / scale, -clip, clip)``: a missing value
    becomes the training median (0 after scaling).

    Parameters
    ----------
    d_mol : int
        Feature width.

    Shapes
    ------
    ``n_mols x d_mol`` -> ``n_mols x d_mol`` float32.
    """

    def __init__(self, d_mol: int):
        super().__init__()
        self.d_mol = d_mol
        self.register_buffer("center", torch.zeros(d_mol))
        self.register_buffer("scale", torch.ones(d_mol))
        self.register_buffer("clip", torch.full((d_mol,), float("inf")))

    def set_statistics(self, center: np.ndarray, scale: np.ndarray, clip: np.ndarray) -> None:
        """Copy :func:`molpred.data.scaler.fit_robust_scaling`'s arrays (``d_mol`` each) into the buffers."""
        for name, arr in (("center", center), ("scale", scale), ("clip", clip)):
            arr = np.asarray(arr, dtype=np.float32)
            if arr.shape != (self.d_mol,):
                raise ValueError(f"{name} has shape {arr.shape}, expected ({self.d_mol},)")
            getattr(self, name).copy_(torch.from_numpy(arr))

    def forward(self, mol_x: Tensor) -> Tensor:
        x = mol_x.float()
        x = torch.where(torch.isnan(x), self.center, x)
        return torch.clamp((x - self.center) / self.scale, -self.clip, self.clip)
