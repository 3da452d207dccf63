"""PyG batches cut from packed graphs: the tensors are made once, batches are slices of them.

A :class:`GraphBatcher` turns a :class:`~molpred.data.packed.PackedGraphs` into torch tensors
once; a batch of any graphs (in any order) is then a few index operations on those tensors,
never a collation of per-molecule ``Data`` objects. The result is a PyG ``Batch`` equal to
``Batch.from_data_list`` of the same graphs (tested), so PyG layers do the message passing.
"""

from __future__ import annotations

import numpy as np

from molpred.data.packed import PackedGraphs, _ranges

__all__ = ["GraphBatcher"]


class GraphBatcher:
    """Batches of a packed set.

    Parameters
    ----------
    graphs : PackedGraphs
    pin_memory : bool
        Put each batch in page-locked memory (for non-blocking copies to a CUDA device).

    Examples
    --------
    >>> from molpred.data.featurized import featurize_smiles
    >>> from molpred.featurize import MolGraphFeaturizer
    >>> fs = featurize_smiles(["CCO", "c1ccccc1", "CN"], MolGraphFeaturizer())
    >>> [b.num_graphs for b in GraphBatcher(fs.graphs).batches(2)]
    [2, 1]
    """

    def __init__(self, graphs: PackedGraphs, pin_memory: bool = False):
        import torch

        self.graphs = graphs
        self.pin_memory = pin_memory
        self._atom_ptr, self._edge_ptr = graphs.offsets
        if graphs.x is not None:
            self.x = torch.from_numpy(graphs.x.rows(0, len(graphs.x)))
            self.edge_attr = torch.from_numpy(graphs.edge_attr.rows(0, len(graphs.edge_attr)))
        else:
            self.x = self.edge_attr = None
        self.edge_index = torch.from_numpy(graphs.edge_index.astype(np.int64))
        self.graph_attrs = {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in graphs.graph_attrs.items()}

    def __len__(self) -> int:
        return len(self.graphs)

    def batch(self, index, bucket: int = 0):
        """Graphs ``index`` (positions, in that order) as one PyG ``Batch``.

        Parameters
        ----------
        index : array-like of int
        bucket : int
            If > 0, pad the atom and edge rows up to multiples of ``bucket`` with one extra,
            disconnected graph (zero features, self-loop edges on its first atom) and set
            ``batch.n_real`` to the number of real graphs. Matrix products then see a few
            distinct shapes instead of new ones in every batch: oneDNN builds a kernel per
            shape (its bfloat16 path on the CPU ran 3x slower when every batch had new
            shapes). The filler graph's output row is dropped by
            :func:`molpred.inference.predict_network`; it cannot change the real graphs'
            outputs, as it shares no edge with them; its per-graph matrices (``mol_x``) are zero
            rows. Ignored for fingerprint records.

        Returns
        -------
        torch_geometric.data.Batch
            ``x`` (``n_atoms x d_atom``), ``edge_index`` (``2 x n_edges``, batch atom numbers),
            ``edge_attr``, ``batch`` (``n_atoms``), ``ptr`` (``n_graphs + 1``) and each per-graph
            matrix (``n_graphs x d``); fingerprint sets give ``fp``, ``batch`` and ``ptr``.
        """
        import torch
        from torch_geometric.data import Batch

        index = np.asarray(index, dtype=np.int64).reshape(-1)
        g = len(index)
        n_atoms = self.graphs.n_atoms[index]
        ptr = np.concatenate([[0], np.cumsum(n_atoms)])
        fields = {k: v[torch.from_numpy(index)] for k, v in self.graph_attrs.items()}
        if self.x is None:
            out = Batch(batch=torch.arange(g), ptr=torch.from_numpy(ptr), **fields)
            return out.pin_memory() if self.pin_memory else out
        n_edges = self.graphs.n_edges[index]
        if g and index[-1] - index[0] == g - 1 and np.all(np.diff(index) == 1):  # a run: views, no copy
            a0, a1 = self._atom_ptr[index[0]], self._atom_ptr[index[-1] + 1]
            e0, e1 = self._edge_ptr[index[0]], self._edge_ptr[index[-1] + 1]
            x, attr, local = self.x[a0:a1], self.edge_attr[e0:e1], self.edge_index[:, e0:e1]
        else:
            atoms = torch.from_numpy(_ranges(self._atom_ptr[index], n_atoms))
            edges = torch.from_numpy(_ranges(self._edge_ptr[index], n_edges))
            x, attr, local = self.x[atoms], self.edge_attr[edges], self.edge_index[:, edges]
        shift = torch.from_numpy(np.repeat(ptr[:-1], n_edges))  # local -> batch atom numbers
        edge_index = local + shift
        batch = torch.from_numpy(np.repeat(np.arange(g), n_atoms))
        ptr_t = torch.from_numpy(ptr)
        if bucket > 0:
            n, m = x.shape[0], edge_index.shape[1]
            pad_n, pad_m = -(-(n + 1) // bucket) * bucket - n, -(-m // bucket) * bucket - m  # >= 1 atom
            x = torch.cat([x, x.new_zeros((pad_n, x.shape[1]))])
            attr = torch.cat([attr, attr.new_zeros((pad_m, attr.shape[1]))])
            edge_index = torch.cat([edge_index, edge_index.new_full((2, pad_m), n)], dim=1)
            batch = torch.cat([batch, batch.new_full((pad_n,), g)])
            ptr_t = torch.cat([ptr_t, ptr_t.new_full((1,), n + pad_n)])
            # the filler graph gets a zero row of every per-graph matrix (mol_x is read per graph)
            fields = {k: torch.cat([v, v.new_zeros((1, *v.shape[1:]))]) for k, v in fields.items()}
            fields["n_real"] = g
        out = Batch(x=x, edge_index=edge_index, edge_attr=attr, batch=batch, ptr=ptr_t, **fields)
        return out.pin_memory() if self.pin_memory else out

    def batches(self, batch_size: int, order=None, bucket: int = 0) -> list:
        """Consecutive batches of ``batch_size`` graphs, in ``order`` (default: stored order).

        Parameters
        ----------
        batch_size : int
        order : array-like of int, optional
            A permutation (or any selection) of graph positions; training passes a seeded
            shuffle here.
        bucket : int
            See :meth:`batch`.

        Returns
        -------
        list of torch_geometric.data.Batch
        """
        order = np.arange(len(self)) if order is None else np.asarray(order, dtype=np.int64)
        return [self.batch(order[i:i + batch_size], bucket) for i in range(0, len(order), batch_size)]
