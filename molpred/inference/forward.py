"""Forward passes of fitted networks: batches in order, on a device, in a chosen precision."""

from __future__ import annotations

import numpy as np
import torch

from molpred.inference.device import autocast

__all__ = ["Batches", "predict_network"]


class Batches(list):
    """Ready-made PyG ``Batch`` objects: :func:`predict_network` uses them as they are.

    The screening engine builds batches straight from packed chunk arrays
    (:meth:`molpred.screen.packing.PackedGraphs.batch`), skipping per-molecule ``Data``
    objects and their collation.
    """


def _loader(data: list, batch_size: int, shuffle: bool, generator: torch.Generator | None = None):
    from torch_geometric.loader import DataLoader

    return DataLoader(data, batch_size=batch_size, shuffle=shuffle, generator=generator)


@torch.no_grad()
def predict_network(model: torch.nn.Module, data: list, device: torch.device, batch_size: int = 256,
                    dropout: bool = False, precision: str = "auto") -> np.ndarray:
    """Raw network outputs for ``data``.

    Parameters
    ----------
    data : list of Data or Batches
        Graphs (batched ``batch_size`` at a time, in order) or ready-made batches.
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
    outs = []
    batches = data if isinstance(data, Batches) else _loader(data, batch_size, shuffle=False)
    for batch in batches:
        batch = batch.to(device)
        with autocast(device, precision):
            out = model(batch).float().cpu()
        n_real = getattr(batch, "n_real", None)  # padded batches (PackedGraphs.batch) end with a filler graph
        outs.append(out if n_real is None else out[:n_real])
    if not outs:
        return np.zeros((0, model.head.n_tasks), dtype=np.float64)
    return torch.cat(outs).double().numpy()
