"""Masked, weighted losses: missing labels (NaN) contribute nothing.

Regression losses (``loss=``):

* ``"mse"``: squared error (default);
* ``"mae"``: absolute error;
* ``"huber"``: squared within one (scaled) unit of the label, absolute beyond;
* ``"censored"``: squared error for exact labels; for a qualified label (``>``: the true
  value is at least the label, ``<``: at most) only a prediction on the wrong side of the
  bound is penalised, by its squared distance to the bound.
"""

from __future__ import annotations

import torch
from torch import Tensor
from torch.nn import functional as F

__all__ = ["masked_loss", "LOSSES"]

LOSSES = ("mse", "mae", "huber", "censored")


def _regression(out: Tensor, y: Tensor, loss: str, qual: Tensor | None) -> Tensor:
    diff = out - y
    if loss == "mae":
        return diff.abs()
    if loss == "huber":
        return F.huber_loss(out, y, reduction="none", delta=1.0)
    if loss == "censored" and qual is not None:
        # qual > 0: label is a lower bound (penalise out < y); qual < 0: an upper bound
        diff = torch.where(qual > 0, torch.clamp(diff, max=0.0), diff)
        diff = torch.where(qual < 0, torch.clamp(diff, min=0.0), diff)
    return diff ** 2


def masked_loss(task: str, out: Tensor, y: Tensor, mask: Tensor, weight: Tensor | None = None,
                loss: str = "mse", qual: Tensor | None = None) -> Tensor:
    """Weighted mean loss over labelled entries.

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
    weight : Tensor, optional
        ``n x n_tasks`` non-negative sample/class weights (1 when omitted).
    loss : {"mse", "mae", "huber", "censored"}
        Regression loss (ignored for classification and the mean-variance head).
    qual : Tensor, optional
        ``n x n_tasks`` qualifiers for ``"censored"``: 0 exact, 1 ``>``, -1 ``<``.
    """
    if out.dim() == 3:
        mean, var = out[..., 0], out[..., 1]
        per = 0.5 * (torch.log(var) + (y - mean) ** 2 / var)
    elif task == "regression":
        per = _regression(out, y, loss, qual)
    else:
        per = F.binary_cross_entropy_with_logits(out, y, reduction="none")
    w = mask.to(per.dtype)
    if weight is not None:
        w = w * weight.to(per.dtype)
    return (per * w).sum() / w.sum().clamp(min=1e-12)
