"""Atom attributions and their pictures.

``atom_attributions`` computes integrated gradients through a fitted graph network (one score
per atom, in target units); ``draw_attribution``/``attribution_grid`` render RDKit similarity
maps; ``explain_frame``/``explain_file`` produce the tables and images of ``molpred explain``.

Torch is imported only by the attribution functions, so the drawing helpers load quickly.

Examples
--------
>>> from molpred.explain import atom_attributions, draw_attribution
>>> a = atom_attributions(model, ["CN1CCN(C)CC1"])[0]  # doctest: +SKIP
>>> draw_attribution(a.mol, a.weights, "map.png", legend=f"{a.target} = {a.prediction:.2f}")  # doctest: +SKIP
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY = {
    "AtomAttribution": "molpred.explain.attribution",
    "atom_attributions": "molpred.explain.attribution",
    "METHODS": "molpred.explain.attribution",
    "draw_attribution": "molpred.explain.drawing",
    "render_attribution": "molpred.explain.drawing",
    "attribution_grid": "molpred.explain.drawing",
    "ExplanationResult": "molpred.explain.report",
    "explain_frame": "molpred.explain.report",
    "explain_file": "molpred.explain.report",
}

__all__ = list(_LAZY)


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'molpred.explain' has no attribute {name!r}")
    return getattr(importlib.import_module(_LAZY[name]), name)


def __dir__() -> list[str]:
    return sorted(__all__)
