"""Many featurised molecules in a few flat arrays: the one representation training, prediction
and screening share.

Molecules are featurised once into :class:`PackedGraphs`: all atoms' features in one matrix,
all edges in another, sizes per molecule, and per-molecule matrices (fingerprints, molecule
features, training targets) beside them. Subsets (a split, a calibration hold-out, a screening
slice) are taken with :meth:`PackedGraphs.take` / :meth:`PackedGraphs.slice`; PyG batches are
cut from the arrays by :class:`molpred.data.batching.GraphBatcher`. Edge indices are stored
local to their molecule, so any subset or slice keeps them valid without renumbering.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cached_property

import numpy as np

from molpred.data.compact import CompactMatrix
from molpred.featurize.fingerprint import FingerprintRecord
from molpred.featurize.graph import MolGraph

__all__ = ["CompactMatrix", "PackedGraphs", "GRAPH_ATTRS", "pack_records"]

GRAPH_ATTRS = ("fp", "mol_x", "y", "mask", "weight", "qual")
"""Per-molecule matrices a :class:`PackedGraphs` may carry (``n_graphs x d`` each):
``fp`` fingerprint records (uint8 Morgan counts or bits: the fingerprint MLP, kernel and
tree learners), ``mol_x``
molecule-level features concatenated at the readout, and the training targets ``y``
(NaN -> 0), ``mask`` (bool), ``weight`` and ``qual`` (see :func:`molpred.train.attach_targets`).
Batches carry each under the same name."""


def _ranges(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """``concatenate([arange(s, s + n) for s, n in zip(starts, lengths)])`` without a Python loop."""
    lengths = np.asarray(lengths, dtype=np.int64)
    if not len(lengths):
        return np.zeros(0, dtype=np.int64)
    begin = np.cumsum(lengths) - lengths  # where each range starts in the output
    return np.repeat(np.asarray(starts, dtype=np.int64) - begin, lengths) + np.arange(int(lengths.sum()))


@dataclass
class PackedGraphs:
    """Many :class:`MolGraph` (or fingerprint records) in concatenated arrays.

    Attributes
    ----------
    x : CompactMatrix or None
        ``sum(n_atoms) x d_atom`` atom features; None for fingerprint records.
    edge_index : numpy.ndarray
        ``2 x sum(n_edges)`` int32, indices local to each graph; edges ``2k``/``2k + 1`` of a
        graph are one bond both ways, as :class:`MolGraph` has them.
    edge_attr : CompactMatrix or None
        ``sum(n_edges) x d_bond``; None for fingerprint records.
    n_atoms, n_edges : numpy.ndarray
        ``n_graphs`` int64 sizes (a fingerprint record counts as one node, as its PyG ``Data``
        did).
    graph_attrs : dict of str -> numpy.ndarray
        Per-graph ``n_graphs x d`` matrices named in :data:`GRAPH_ATTRS`.
    """

    x: CompactMatrix | None
    edge_index: np.ndarray
    edge_attr: CompactMatrix | None
    n_atoms: np.ndarray
    n_edges: np.ndarray
    graph_attrs: dict = field(default_factory=dict)

    @classmethod
    def pack(cls, graphs: list[MolGraph], d_atom: int, d_bond: int, d_mol: int = 0) -> PackedGraphs:
        """Pack graphs (``d_atom``/``d_bond`` give the widths when ``graphs`` is empty); their
        molecule-level ``mol_x`` (when they carry it, ``d_mol`` wide) becomes ``graph_attrs["mol_x"]``."""
        if not graphs:
            attrs = {"mol_x": np.zeros((0, d_mol), np.float32)} if d_mol else {}
            return cls(CompactMatrix.from_array(np.zeros((0, d_atom), np.float32)), np.zeros((2, 0), np.int32),
                       CompactMatrix.from_array(np.zeros((0, d_bond), np.float32)),
                       np.zeros(0, np.int64), np.zeros(0, np.int64), attrs)
        return cls(
            CompactMatrix.from_array(np.concatenate([g.x for g in graphs])),
            np.concatenate([g.edge_index for g in graphs], axis=1).astype(np.int32),
            CompactMatrix.from_array(np.concatenate([g.edge_attr for g in graphs])),
            np.array([g.n_atoms for g in graphs], dtype=np.int64),
            np.array([g.n_edges for g in graphs], dtype=np.int64),
            _mol_x(graphs),
        )

    @classmethod
    def pack_composite(cls, records: list, featurizer) -> PackedGraphs:
        """Pack :class:`~molpred.featurize.composite.CompositeRecord` s (the stack of
        ``model="auto"``): the graph part, if there is one, as graphs, and every fingerprint part
        ``name`` as the per-graph matrix ``fp__<name>``."""
        from molpred.featurize.composite import fp_key

        attrs, packed = {}, None
        for j, part in enumerate(featurizer.parts):
            recs = [r.records[j] for r in records]
            if getattr(part, "d_bond", 0):  # the graph part
                packed = cls.pack(recs, part.d_atom, part.d_bond)
            else:
                attrs[fp_key(part.name)] = (np.stack([r.fp for r in recs]) if recs
                                            else np.zeros((0, part.d_atom), np.uint8))
        if packed is None:
            n = len(records)
            packed = cls(None, np.zeros((2, 0), np.int32), None, np.ones(n, np.int64), np.zeros(n, np.int64))
        packed.graph_attrs.update(attrs)
        return packed

    @classmethod
    def pack_fingerprints(cls, records: list[FingerprintRecord], n_bits: int) -> PackedGraphs:
        """Pack fingerprint records as the per-graph matrix ``fp``, ``n x n_bits`` uint8 (their
        dtype is kept; an empty set is uint8 too, so concatenating it does not turn counts into
        floats)."""
        fp = (np.stack([r.fp for r in records]) if records else np.zeros((0, n_bits), np.uint8))
        n = len(records)
        return cls(None, np.zeros((2, 0), np.int32), None, np.ones(n, np.int64), np.zeros(n, np.int64),
                   {"fp": fp, **_mol_x(records)})

    @classmethod
    def from_data(cls, data: list) -> PackedGraphs:
        """Pack PyG ``Data`` objects (as :meth:`MolGraph.to_pyg` / ``FingerprintRecord.to_pyg``
        make them, with any of :data:`GRAPH_ATTRS` attached as ``1 x d`` tensors)."""
        if not data:
            raise ValueError("cannot pack an empty list of graphs (its feature widths are unknown)")
        first = data[0]
        attrs = {k: np.concatenate([d[k].numpy() for d in data]) for k in GRAPH_ATTRS if k in first}
        if getattr(first, "x", None) is None:
            n = len(data)
            return cls(None, np.zeros((2, 0), np.int32), None, np.ones(n, np.int64), np.zeros(n, np.int64), attrs)
        graphs = [MolGraph(d.x.numpy(), d.edge_index.numpy(), d.edge_attr.numpy()) for d in data]
        return cls.pack(graphs, 0, 0).with_attrs(**attrs)

    @classmethod
    def concat(cls, parts: list[PackedGraphs]) -> PackedGraphs:
        if len(parts) == 1:
            return parts[0]
        graph = parts[0].x is not None
        return cls(
            CompactMatrix.concat([p.x for p in parts]) if graph else None,
            np.concatenate([p.edge_index for p in parts], axis=1),
            CompactMatrix.concat([p.edge_attr for p in parts]) if graph else None,
            np.concatenate([p.n_atoms for p in parts]),
            np.concatenate([p.n_edges for p in parts]),
            {k: np.concatenate([p.graph_attrs[k] for p in parts]) for k in parts[0].graph_attrs},
        )

    @property
    def is_fingerprint(self) -> bool:
        """True for packed fingerprint records (no atoms or bonds, ``graph_attrs["fp"]``)."""
        return self.x is None

    @cached_property
    def offsets(self) -> tuple[np.ndarray, np.ndarray]:
        """``n_graphs + 1`` int64 start positions of each graph's atoms and edges."""
        return np.concatenate([[0], np.cumsum(self.n_atoms)]), np.concatenate([[0], np.cumsum(self.n_edges)])

    def with_attrs(self, **arrays: np.ndarray) -> PackedGraphs:
        """A copy carrying these per-graph matrices too (``n_graphs x d`` each, names from
        :data:`GRAPH_ATTRS`); the atom and edge arrays are shared, not copied."""
        for name, a in arrays.items():
            if name not in GRAPH_ATTRS:
                raise ValueError(f"unknown per-graph attribute {name!r} (known: {', '.join(GRAPH_ATTRS)})")
            if a.ndim != 2 or len(a) != len(self):
                raise ValueError(f"{name} must be n_graphs x d = {len(self)} x d; got shape {a.shape}")
        return replace(self, graph_attrs={**self.graph_attrs, **arrays})

    def take(self, index) -> PackedGraphs:
        """Graphs ``index`` (positions, in that order) as a new set."""
        index = np.asarray(index, dtype=np.int64).reshape(-1)
        a, e = self.offsets
        edges = _ranges(e[index], self.n_edges[index])
        atoms = _ranges(a[index], self.n_atoms[index]) if self.x is not None else None
        return PackedGraphs(
            self.x.take(atoms) if atoms is not None else None,
            self.edge_index[:, edges],
            self.edge_attr.take(edges) if atoms is not None else None,
            self.n_atoms[index], self.n_edges[index],
            {k: v[index] for k, v in self.graph_attrs.items()},
        )

    def slice(self, start: int, stop: int) -> PackedGraphs:
        """Graphs ``start:stop`` as a new set sharing this one's memory (views)."""
        stop = min(stop, len(self))
        a, e = self.offsets
        return PackedGraphs(
            self.x.slice(a[start], a[stop]) if self.x is not None else None,
            self.edge_index[:, e[start]:e[stop]],
            self.edge_attr.slice(e[start], e[stop]) if self.x is not None else None,
            self.n_atoms[start:stop], self.n_edges[start:stop],
            {k: v[start:stop] for k, v in self.graph_attrs.items()},
        )

    def unpack(self, start: int = 0, stop: int | None = None) -> list:
        """Graphs ``start:stop`` again, identical to the packed ones (:class:`MolGraph`, or
        :class:`FingerprintRecord` for fingerprint sets)."""
        stop = len(self) if stop is None else min(stop, len(self))
        if self.x is None:
            mol_x = self.graph_attrs.get("mol_x")
            return [FingerprintRecord(fp, None if mol_x is None else mol_x[start + i])
                    for i, fp in enumerate(self.graph_attrs["fp"][start:stop])]
        a, e = self.offsets
        x = self.x.rows(a[start], a[stop])
        attr = self.edge_attr.rows(e[start], e[stop])
        index = self.edge_index[:, e[start]:e[stop]].astype(np.int64)
        mol_x = self.graph_attrs.get("mol_x")
        return [
            MolGraph(x[a[i] - a[start]:a[i + 1] - a[start]], index[:, e[i] - e[start]:e[i + 1] - e[start]],
                     attr[e[i] - e[start]:e[i + 1] - e[start]], None if mol_x is None else mol_x[i])
            for i in range(start, stop)
        ]

    def to_data_list(self) -> list:
        """One PyG ``Data`` per graph, with its per-graph matrices as ``1 x d`` tensors."""
        import torch

        out = []
        if self.x is None and "fp" not in self.graph_attrs:  # composite records without a graph part
            from torch_geometric.data import Data

            return [Data(num_nodes=1, **{k: torch.from_numpy(v[i:i + 1]) for k, v in self.graph_attrs.items()})
                    for i in range(len(self))]
        for i, g in enumerate(self.unpack()):
            extra = {k: torch.from_numpy(v[i:i + 1]) for k, v in self.graph_attrs.items() if k != "fp"}
            out.append(g.to_pyg(**extra))
        return out

    def __len__(self) -> int:
        return len(self.n_atoms)


def _mol_x(records: list) -> dict:
    """``{"mol_x": n x d_mol}`` when the records carry molecule-level features, else ``{}``."""
    if not records or getattr(records[0], "mol_x", None) is None:
        return {}
    return {"mol_x": np.stack([r.mol_x for r in records]).astype(np.float32)}


def pack_records(records: list, featurizer) -> PackedGraphs:
    """Pack what ``featurizer`` made (:class:`MolGraph` or fingerprint records).

    Parameters
    ----------
    records : list of MolGraph or FingerprintRecord
    featurizer : MolGraphFeaturizer or a Morgan featurizer
        Gives the kind and the widths (needed when ``records`` is empty).
    """
    if getattr(featurizer, "parts", None) is not None:  # CompositeFeaturizer (model="auto")
        return PackedGraphs.pack_composite(records, featurizer)
    if getattr(featurizer, "d_bond", 0) == 0:  # Morgan featurizers have no bonds
        packed = PackedGraphs.pack_fingerprints(records, featurizer.d_atom)
        d_mol = getattr(featurizer, "d_mol", 0)
        if d_mol and "mol_x" not in packed.graph_attrs:  # no records: keep the width
            packed.graph_attrs["mol_x"] = np.zeros((0, d_mol), np.float32)
        return packed
    return PackedGraphs.pack(records, featurizer.d_atom, featurizer.d_bond, getattr(featurizer, "d_mol", 0))
