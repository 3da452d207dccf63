"""Masked, weighted losses: missing labels (NaN) contribute nothing.

Regression losses (``loss=``):

* ``"mse"``: squared error (default);
* ``"mae"``: absolute error;
* ``"huber"``: squared within one (scaled) unit of the label, absolute beyond;
* ``"censored"``: squared error for exact labels; for a qualified label (``>``: the true
  value is at least the label, ``<``: at most) only a prediction on the wrong side of the
  bound is penalised, by its squared distance to the bound.

:func:`cliff_triplet_loss` is the optional activity-cliff term added to a regression loss
(``cliff_weight`` on the estimators): a triplet loss in the embedding space, after ACANet's
activity-cliff-awareness loss (Shen et al., "Online triplet contrastive learning enables
efficient cliff awareness in regression tasks of molecular property prediction", 2023).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor
from torch.nn import functional as F

__all__ = ["masked_loss", "cliff_triplet_loss", "LOSSES"]

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


def cliff_triplet_loss(z: Tensor, y: Tensor, mask: Tensor, lower: float | Sequence[float],
                       upper: float | Sequence[float]) -> Tensor:
    """Triplet loss over the triplets of one batch, with a soft margin set by the labels.

    For each task, every labelled molecule is an anchor ``a``; a positive ``p`` is another
    molecule whose label is within ``lower`` of the anchor's, a negative ``n`` one whose label
    differs by at least ``upper`` (an activity cliff when the two are also alike in structure).
    A triplet costs ``max(0, |z_a - z_p| - |z_a - z_n| + |y_a - y_n| - |y_a - y_p|)``: the
    negative must sit further from the anchor than the positive, by the difference of their
    label gaps. The result is the mean over the triplets that cost something (0 when none do),
    summed over tasks.

    Parameters
    ----------
    z : Tensor
        ``n x d`` molecule embeddings (before the head).
    y : Tensor
        ``n x n_tasks`` targets in the units the thresholds are in.
    mask : Tensor
        ``n x n_tasks`` bool, True where labelled.
    lower, upper : float or sequence of float
        Positive pairs differ by at most ``lower``, negative pairs by at least ``upper``
        (``lower <= upper``); one value for every task or one per task.

    Returns
    -------
    Tensor
        A scalar, differentiable in ``z``.
    """
    n_tasks = y.shape[1]
    lower = [lower] * n_tasks if isinstance(lower, int | float) else list(lower)
    upper = [upper] * n_tasks if isinstance(upper, int | float) else list(upper)
    total = z.new_zeros(())
    for t in range(n_tasks):
        keep = mask[:, t]
        if int(keep.sum()) < 3:
            continue
        zt, yt = z[keep], y[keep, t]
        # Euclidean distances; the epsilon keeps the gradient finite on the zero diagonal
        dist = torch.sqrt(((zt[:, None, :] - zt[None, :, :]) ** 2).sum(-1) + 1e-12)
        gap = (yt[:, None] - yt[None, :]).abs()
        pos = gap <= lower[t]
        pos.fill_diagonal_(False)
        neg = gap >= upper[t]
        valid = pos[:, :, None] & neg[:, None, :]  # [a, p, n]
        if not bool(valid.any()):
            continue
        cost = dist[:, :, None] - dist[:, None, :] + gap[:, None, :] - gap[:, :, None]
        cost = F.relu(cost)[valid]
        active = cost > 0
        if bool(active.any()):
            total = total + cost[active].mean()
    return total
