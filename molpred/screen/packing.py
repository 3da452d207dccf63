"""Many molecular graphs in a few compact arrays, to cross process boundaries cheaply.

Graph features are mostly one-hot: 0/1 values stored as float32. :class:`CompactMatrix`
keeps every column whose values are all integers in 0..255 as uint8 and the others as
float32, so a chunk of drug-like molecules takes about a quarter of the memory (and of the
pickling time) and unpacks to exactly the same float32 arrays.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from molpred.featurize.graph import MolGraph

__all__ = ["CompactMatrix", "PackedGraphs"]


@dataclass
class CompactMatrix:
    """A float32 ``n x width`` matrix with its small-integer columns stored as uint8 (lossless).

    Attributes
    ----------
    u8 : numpy.ndarray
        ``n x len(u8_cols)`` uint8.
    f32 : numpy.ndarray
        ``n x len(f32_cols)`` float32.
    u8_cols, f32_cols : numpy.ndarray
        Column positions of each part.
    width : int
    """

    u8: np.ndarray
    f32: np.ndarray
    u8_cols: np.ndarray
    f32_cols: np.ndarray
    width: int

    @classmethod
    def from_array(cls, a: np.ndarray) -> CompactMatrix:
        a = np.asarray(a, dtype=np.float32)
        small = np.all((a >= 0) & (a <= 255) & (a == np.floor(a)) & ~np.signbit(a), axis=0)
        u8_cols, f32_cols = np.flatnonzero(small), np.flatnonzero(~small)
        return cls(a[:, u8_cols].astype(np.uint8), np.ascontiguousarray(a[:, f32_cols]), u8_cols, f32_cols,
                   a.shape[1])

    @classmethod
    def concat(cls, parts: list[CompactMatrix]) -> CompactMatrix:
        """Rows of several matrices in one (a column stays uint8 if it is in every part)."""
        if len(parts) == 1:
            return parts[0]
        width = parts[0].width
        small = np.ones(width, dtype=bool)
        for p in parts:
            small[p.f32_cols] = False
        u8_cols, f32_cols = np.flatnonzero(small), np.flatnonzero(~small)
        u8, f32 = [], []
        for p in parts:  # one part at a time in float32: memory stays at one part's size
            full = p.rows(0, len(p))
            u8.append(full[:, u8_cols].astype(np.uint8))
            f32.append(full[:, f32_cols])
        return cls(np.concatenate(u8), np.concatenate(f32), u8_cols, f32_cols, width)

    def rows(self, lo: int, hi: int) -> np.ndarray:
        """Rows ``lo:hi`` as the original float32 array."""
        out = np.empty((hi - lo, self.width), dtype=np.float32)
        out[:, self.u8_cols] = self.u8[lo:hi]
        out[:, self.f32_cols] = self.f32[lo:hi]
        return out

    def __len__(self) -> int:
        return self.u8.shape[0]


@dataclass
class PackedGraphs:
    """Many :class:`MolGraph` in concatenated compact arrays.

    Attributes
    ----------
    x : CompactMatrix
        ``sum(n_atoms) x d_atom``.
    edge_index : numpy.ndarray
        ``2 x sum(n_edges)`` int32, indices local to each graph.
    edge_attr : CompactMatrix
        ``sum(n_edges) x d_bond``.
    n_atoms, n_edges : numpy.ndarray
        ``n_graphs`` int64 sizes.
    mol_x : numpy.ndarray, optional
        ``n_graphs x d_mol`` float32 molecule-level features (NaN = missing), when the
        graphs carry them (:mod:`molpred.featurize.molecule_features`).
    """

    x: CompactMatrix
    edge_index: np.ndarray
    edge_attr: CompactMatrix
    n_atoms: np.ndarray
    n_edges: np.ndarray
    mol_x: np.ndarray | None = None

    @classmethod
    def pack(cls, graphs: list[MolGraph], d_atom: int, d_bond: int, d_mol: int = 0) -> PackedGraphs:
        """Pack ``graphs``; ``d_mol > 0`` keeps their ``mol_x`` (``n_graphs x d_mol``)."""
        if not graphs:
            return cls(CompactMatrix.from_array(np.zeros((0, d_atom), np.float32)), np.zeros((2, 0), np.int32),
                       CompactMatrix.from_array(np.zeros((0, d_bond), np.float32)),
                       np.zeros(0, np.int64), np.zeros(0, np.int64),
                       np.zeros((0, d_mol), np.float32) if d_mol else None)
        return cls(
            CompactMatrix.from_array(np.concatenate([g.x for g in graphs])),
            np.concatenate([g.edge_index for g in graphs], axis=1).astype(np.int32),
            CompactMatrix.from_array(np.concatenate([g.edge_attr for g in graphs])),
            np.array([g.n_atoms for g in graphs], dtype=np.int64),
            np.array([g.n_edges for g in graphs], dtype=np.int64),
            np.stack([g.mol_x for g in graphs]).astype(np.float32) if d_mol else None,
        )

    @classmethod
    def concat(cls, parts: list[PackedGraphs]) -> PackedGraphs:
        if len(parts) == 1:
            return parts[0]
        return cls(
            CompactMatrix.concat([p.x for p in parts]),
            np.concatenate([p.edge_index for p in parts], axis=1),
            CompactMatrix.concat([p.edge_attr for p in parts]),
            np.concatenate([p.n_atoms for p in parts]),
            np.concatenate([p.n_edges for p in parts]),
            None if parts[0].mol_x is None else np.concatenate([p.mol_x for p in parts]),
        )

    def unpack(self, start: int = 0, stop: int | None = None) -> list[MolGraph]:
        """Graphs ``start:stop`` again, identical to the packed ones."""
        stop = len(self) if stop is None else min(stop, len(self))
        a, e = self._offsets
        x = self.x.rows(a[start], a[stop])
        attr = self.edge_attr.rows(e[start], e[stop])
        index = self.edge_index[:, e[start]:e[stop]].astype(np.int64)
        return [
            MolGraph(x[a[i] - a[start]:a[i + 1] - a[start]], index[:, e[i] - e[start]:e[i + 1] - e[start]],
                     attr[e[i] - e[start]:e[i + 1] - e[start]], None if self.mol_x is None else self.mol_x[i])
            for i in range(start, stop)
        ]

    @cached_property
    def _offsets(self) -> tuple[np.ndarray, np.ndarray]:
        """``n_graphs + 1`` start positions of each graph's atoms and edges (computed once)."""
        return np.concatenate([[0], np.cumsum(self.n_atoms)]), np.concatenate([[0], np.cumsum(self.n_edges)])

    def batch(self, start: int, stop: int, bucket: int = 0):
        """Graphs ``start:stop`` as one PyG ``Batch``, equal to ``Batch.from_data_list`` of the
        unpacked graphs' ``to_pyg()`` but built from the packed arrays in a few numpy calls.

        Parameters
        ----------
        start, stop : int
        bucket : int
            If > 0, pad the atom and edge rows up to multiples of ``bucket`` with one extra,
            disconnected graph (zero features, self-loop edges on its first atom) and set
            ``batch.n_real`` to the number of real graphs. Matrix products then see a few
            distinct shapes instead of new ones in every batch: oneDNN builds a kernel per
            shape (its bfloat16 path on the CPU ran 3x slower when every batch had new
            shapes). The filler graph's output row is dropped by ``predict_network``; it
            cannot change the real graphs' outputs, as it shares no edge with them.
        """
        import torch
        from torch_geometric.data import Batch

        stop = min(stop, len(self))
        a, e = self._offsets
        n_atoms, n_edges = self.n_atoms[start:stop], self.n_edges[start:stop]
        shift = np.repeat(a[start:stop] - a[start], n_edges)  # local -> batch atom indices
        index = self.edge_index[:, e[start]:e[stop]].astype(np.int64) + shift
        x, attr = self.x.rows(a[start], a[stop]), self.edge_attr.rows(e[start], e[stop])
        batch, ptr = np.repeat(np.arange(stop - start), n_atoms), a[start:stop + 1] - a[start]
        extra = {}
        mol_x = None if self.mol_x is None else self.mol_x[start:stop]
        if bucket > 0:
            n, m, g = len(x), index.shape[1], stop - start
            pad_n, pad_m = -(-(n + 1) // bucket) * bucket - n, -(-m // bucket) * bucket - m  # >= 1 atom
            x = np.concatenate([x, np.zeros((pad_n, x.shape[1]), np.float32)])
            attr = np.concatenate([attr, np.zeros((pad_m, attr.shape[1]), np.float32)])
            index = np.concatenate([index, np.full((2, pad_m), n, np.int64)], axis=1)
            batch = np.concatenate([batch, np.full(pad_n, g)])
            ptr = np.append(ptr, n + pad_n)
            extra["n_real"] = g
            if mol_x is not None:  # the filler graph's features: zeros (its output is dropped)
                mol_x = np.concatenate([mol_x, np.zeros((1, mol_x.shape[1]), np.float32)])
        if mol_x is not None:
            extra["mol_x"] = torch.from_numpy(np.ascontiguousarray(mol_x))
        return Batch(
            x=torch.from_numpy(x),
            edge_index=torch.from_numpy(index),
            edge_attr=torch.from_numpy(attr),
            batch=torch.from_numpy(batch),
            ptr=torch.from_numpy(ptr),
            **extra,
        )

    def __len__(self) -> int:
        return len(self.n_atoms)
