"""Mol -> the inputs of several models at once, for the stack of ``model="auto"``.

A stack's members read different features (MinMax-kernel learners raw ECFP4 counts, the
fingerprint MLP log counts, graph networks a molecular graph). :class:`CompositeFeaturizer`
computes each part once per molecule and puts them in one PyG ``Data``: a graph part's
fields as they are (``x``, ``edge_index``, ``edge_attr``...), every fingerprint part as
``fp__<featurizer name>`` (``1 x n_bits``). :func:`part_view` gives a member the records its
own featurizer would have made, so members predict exactly as they would alone.
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

    def to_pyg(self, **attrs):
        """One PyG ``Data``: the graph part's fields, and ``fp__<name>`` (``1 x n_bits``) per fingerprint part."""
        from torch_geometric.data import Data

        fields: dict = {}
        num_nodes = 1
        for rec, name in zip(self.records, self.names):
            d = rec.to_pyg()
            if name == "molgraph":
                fields.update({k: v for k, v in d.items()})
                num_nodes = d.num_nodes
            else:
                fields[fp_key(name)] = d.fp
        fields.pop("num_nodes", None)
        return Data(num_nodes=num_nodes, **fields, **attrs)


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
    """The records part ``name`` alone would have made, from composite records.

    Parameters
    ----------
    data : PackedGraphs or list of torch_geometric.data.Data
        Composite records packed by :func:`molpred.data.packed.pack_records` (the graph part
        as graphs, fingerprint parts as ``graph_attrs["fp__<name>"]``), or one composite
        ``Data`` each (:meth:`CompositeRecord.to_pyg`).
    name : str
        A part's featurizer name.

    Returns
    -------
    PackedGraphs or list of torch_geometric.data.Data
        The same kind as ``data``: fingerprint parts as ``fp`` (``n x n_bits``), the graph part
        as the graphs alone.
    """
    from dataclasses import replace

    from torch_geometric.data import Data

    from molpred.data.packed import PackedGraphs

    key = fp_key(name)
    if isinstance(data, PackedGraphs):
        rest = {k: v for k, v in data.graph_attrs.items() if not k.startswith("fp__")}
        if name == "molgraph":
            return replace(data, graph_attrs=rest)
        n = len(data)
        return PackedGraphs(None, np.zeros((2, 0), np.int32), None, np.ones(n, np.int64), np.zeros(n, np.int64),
                            {**rest, "fp": data.graph_attrs[key]})
    if name == "molgraph":
        return [Data(num_nodes=d.num_nodes,
                     **{k: v for k, v in d.items() if not k.startswith("fp__") and k != "num_nodes"})
                for d in data]
    return [Data(fp=d[key], num_nodes=1) for d in data]
