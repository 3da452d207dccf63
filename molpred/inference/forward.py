"""Forward passes of fitted networks: batches in order, on a device, in a chosen precision."""

from __future__ import annotations

import numpy as np
import torch

from molpred.inference.device import autocast

__all__ = ["PREDICT_BATCH", "as_batches", "to_device", "predict_network", "advance_global_rng"]

PREDICT_BATCH = 256
"""Molecules per batch when predicting (training uses the estimator's ``batch_size``)."""


def _is_batch(obj) -> bool:
    from torch_geometric.data import Batch

    return isinstance(obj, Batch)


def as_batches(data, batch_size: int = PREDICT_BATCH, device: torch.device | None = None,
               bucket: int = 0) -> list:
    """PyG batches of ``data``, built once so several passes can reuse them.

    Parameters
    ----------
    data : PackedGraphs, sequence of torch_geometric.data.Batch, or list of Data
        Packed graphs (the pipeline's representation), ready-made batches (returned as
        they are), or per-molecule ``Data`` (packed first).
    batch_size : int
    device : torch.device, optional
        With a CUDA device the batches are put in pinned memory, so :func:`to_device` copies
        them without blocking.
    bucket : int
        Pad batches to row multiples of ``bucket`` (:meth:`GraphBatcher.batch`).

    Returns
    -------
    list of torch_geometric.data.Batch
    """
    from molpred.data.batching import GraphBatcher
    from molpred.data.packed import PackedGraphs

    if not isinstance(data, PackedGraphs):
        data = list(data)
        if not data or _is_batch(data[0]):
            return data
        data = PackedGraphs.from_data(data)
    pin = device is not None and device.type == "cuda"
    return GraphBatcher(data, pin_memory=pin).batches(batch_size, bucket=bucket)


def to_device(batch, device: torch.device):
    """``batch`` on ``device``; copies to CUDA are non-blocking (from pinned memory)."""
    if device.type == "cpu":
        return batch
    return batch.to(device, non_blocking=device.type == "cuda")


def advance_global_rng() -> None:
    """Take one number from torch's global generator, as each pass through a PyG ``DataLoader``
    did before molpred batched packed graphs itself (the loader drew a base seed per pass).

    Keeping that draw keeps the random stream unchanged: MC-dropout samples of a model, and
    the dropout masks of a training run with a validation set, are the same for the same
    seed as with molpred versions that used the loader.
    """
    torch.empty((), dtype=torch.int64).random_()


@torch.no_grad()
def predict_network(model: torch.nn.Module, data, device: torch.device, batch_size: int = PREDICT_BATCH,
                    dropout: bool = False, precision: str = "auto") -> np.ndarray:
    """Raw network outputs for ``data``.

    Parameters
    ----------
    data : PackedGraphs, sequence of Batch, or list of Data
        See :func:`as_batches`; pass batches made once to reuse them across ensemble members
        and MC-dropout passes.
    batch_size : int
        Molecules per batch when ``data`` is not already batched.
    dropout : bool
        Keep dropout active (MC dropout, :func:`molpred.nn.dropout.enable_mc_dropout`).
    precision : {"auto", "fp32", "bf16"}
        Arithmetic of the forward pass (:func:`molpred.inference.device.autocast`).

    Returns
    -------
    numpy.ndarray
        ``n x n_tasks`` (or ``n x n_tasks x 2`` with a mean-variance head), float64, in the
        network's (scaled) units.
    """
    model.eval()
    if dropout:
        from molpred.nn.dropout import enable_mc_dropout

        enable_mc_dropout(model)  # nn.Dropout and PyG's functional dropout, never BatchNorm
    batches = as_batches(data, batch_size, device)
    advance_global_rng()
    outs = []
    for batch in batches:
        batch = to_device(batch, device)
        with autocast(device, precision):
            out = model(batch).float().cpu()
        n_real = getattr(batch, "n_real", None)  # padded batches (GraphBatcher.batch) end with a filler graph
        outs.append(out if n_real is None else out[:n_real])
    if not outs:
        return np.zeros((0, model.head.n_tasks), dtype=np.float64)
    return torch.cat(outs).double().numpy()
