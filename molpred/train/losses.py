"""Masked losses: missing labels (NaN) contribute nothing."""

from __future__ import annotations

import torch
from torch import Tensor
from torch.nn import functional as F

__all__ = ["masked_loss"]


def masked_loss(task: str, out: Tensor, y: Tensor, mask: Tensor) -> Tensor:
    """Mean loss over labelled entries.

    Parameters
    ----------
    task : {"regression", "classification"}
    out : Tensor
        ``n x n_tasks`` predictions (logits for classification), or ``n x n_tasks x 2``
        (mean, variance) from a mean-variance head: Gaussian negative log-likelihood.
    y : Tensor
        ``n x n_tasks`` scaled targets (NaN replaced by 0).
    mask : Tensor
        ``n x n_tasks`` bool, True where labelled.
    """
    if out.dim() == 3:
        mean, var = out[..., 0], out[..., 1]
        per = 0.5 * (torch.log(var) + (y - mean) ** 2 / var)
    elif task == "regression":
        per = (out - y) ** 2
    else:
        per = F.binary_cross_entropy_with_logits(out, y, reduction="none")
    per = per * mask
    return per.sum() / mask.sum().clamp(min=1)
