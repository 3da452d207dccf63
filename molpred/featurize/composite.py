"""Mol -> the inputs of several models at once, for the stack of ``model="auto"``.

A stack's members read different features (MinMax-kernel learners raw ECFP4 counts, the
fingerprint MLP log counts, graph networks a molecular graph). :class:`CompositeFeaturizer`
computes each part once per molecule; packed (:meth:`molpred.data.packed.PackedGraphs.pack_composite`)
a graph part keeps its graphs and every fingerprint part becomes the per-molecule matrix
``fp__<featurizer name>``. :func:`part_view` gives a member the packed records its own
featurizer would have made, so members predict exactly as they would alone.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["CompositeFeaturizer", "CompositeRecord", "part_view", "fp_key"]


def fp_key(name: str) -> str:
    """Attribute of a composite ``Data`` holding fingerprint part ``name``."""
    return f"fp__{name}"


@dataclass(frozen=True)
class CompositeRecord:
    """One molecule featurised by every part (records in the order of the featurizer's parts)."""

    records: tuple
    names: tuple


@dataclass(frozen=True)
class CompositeFeaturizer:
    """Several featurizers applied to one molecule (at most one per featurizer name).

    Parameters
    ----------
    parts : tuple
        Featurizers from :mod:`molpred.featurize.registry` with distinct ``name``.
    """

    parts: tuple
    name: str = "composite"
    version: int = 1

    def __post_init__(self):
        names = [p.name for p in self.parts]
        if not names or len(set(names)) != len(names):
            raise ValueError(f"a composite featurizer needs distinct parts, got {names}")

    @property
    def d_atom(self) -> int:
        return 0  # no single input width: each member checks its own part

    @property
    def d_bond(self) -> int:
        return 0

    def part(self, name: str):
        """The part featurizer called ``name``."""
        for p in self.parts:
            if p.name == name:
                return p
        raise KeyError(f"this composite featurizer has no part {name!r} (parts: {[p.name for p in self.parts]})")

    def __call__(self, mol) -> CompositeRecord:
        return CompositeRecord(tuple(p(mol) for p in self.parts), tuple(p.name for p in self.parts))

    def spec(self) -> dict:
        return {"name": self.name, "version": self.version, "parts": [p.spec() for p in self.parts],
                "d_atom": self.d_atom, "d_bond": self.d_bond}


def part_view(data, name: str):
    """The packed records part ``name`` alone would have made, from packed composite records.

    Parameters
    ----------
    data : PackedGraphs
        Composite records packed by :func:`molpred.data.packed.pack_records` (the graph part
        as graphs, fingerprint parts as ``graph_attrs["fp__<name>"]``).
    name : str
        A part's featurizer name.

    Returns
    -------
    PackedGraphs
        Fingerprint parts as ``fp`` (``n x n_bits``, no graphs), the graph part as the graphs
        alone.
    """
    from dataclasses import replace

    from molpred.data.packed import PackedGraphs

    rest = {k: v for k, v in data.graph_attrs.items() if not k.startswith("fp__")}
    if name == "molgraph":
        return replace(data, graph_attrs=rest)
    n = len(data)
    return PackedGraphs(None, np.zeros((2, 0), np.int32), None, np.ones(n, np.int64), np.zeros(n, np.int64),
                        {**rest, "fp": data.graph_attrs[fp_key(name)]})
