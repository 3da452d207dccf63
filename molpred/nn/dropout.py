"""Switch a network to Monte-Carlo dropout mode.

MC dropout (Gal & Ghahramani, ICML 2016) samples dropout masks at prediction time. Two
styles of dropout live in our encoders:

- ``torch.nn.Dropout`` modules (D-MPNN, GINE, the FFN head, the fingerprint MLP), which drop
  when the module is in training mode;
- functional ``F.dropout(x, p=self.dropout, training=self.training)`` inside PyG layers
  (AttentiveFP, ``GATEConv``, ``GATConv``), which follow the *enclosing* layer's ``training``
  flag. Switching only ``nn.Dropout`` modules leaves these silent, and the MC spread of an
  AttentiveFP model would come from its head alone.

Only the flags of the modules that drop are set, one module at a time (never recursively), so
normalisation layers (``BatchNorm1d`` in GINE) keep their running statistics frozen.
"""

from __future__ import annotations

from torch import nn

__all__ = ["enable_mc_dropout", "dropout_modules"]


def dropout_modules(model: nn.Module) -> list[nn.Module]:
    """Modules whose ``training`` flag turns dropout on.

    Parameters
    ----------
    model : torch.nn.Module

    Returns
    -------
    list of torch.nn.Module
        ``nn.Dropout``-family modules, and modules holding a float ``dropout`` probability
        > 0 that they pass to functional dropout (the PyG convention).
    """
    found = []
    for m in model.modules():
        if isinstance(m, nn.modules.dropout._DropoutNd):
            found.append(m)
        elif isinstance(getattr(m, "dropout", None), float) and m.dropout > 0.0:
            found.append(m)
    return found


def enable_mc_dropout(model: nn.Module) -> nn.Module:
    """Put ``model`` in evaluation mode with every dropout active; returns ``model``.

    ``model.eval()`` first (BatchNorm uses its running statistics and does not update them),
    then the ``training`` flag of each module in :func:`dropout_modules`, and of no other
    module, is set.
    """
    model.eval()
    for m in dropout_modules(model):
        m.training = True  # not m.train(): that would recurse into children (e.g. norms)
    return model
