"""Training batches of a pretraining run: descriptor shard -> packed graphs -> batches.

Each shard visited is featurised once into a :class:`~molpred.data.packed.PackedGraphs` set
carrying the standardised descriptors (``y``) and their mask as per-graph matrices, and its
batches are cut from that set by :class:`~molpred.data.batching.GraphBatcher` (no per-batch
featurisation, no PyG collation of single graphs). With ``n_jobs > 1`` the next shard of the
training order is featurised in a worker process while the current one trains, so the two
overlap on two or more cores.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from molpred.data.packed import PackedGraphs, pack_records

__all__ = ["ShardGraphs", "featurize_shard", "load_shard_graphs", "Visit", "visits", "ShardStream"]


@dataclass
class ShardGraphs:
    """One shard's training graphs.

    Attributes
    ----------
    graphs : PackedGraphs
        The rows that standardise and featurise, in row order, with ``graph_attrs`` ``y``
        (``n_graphs x n_descriptors`` float32, 0 where missing) and ``mask`` (same shape, bool).
    position : numpy.ndarray
        ``n_rows`` int64: each shard row's position in ``graphs``, or -1 for a row left out.
    """

    graphs: PackedGraphs
    position: np.ndarray

    def positions(self, rows: np.ndarray) -> np.ndarray:
        """Graph positions of shard ``rows`` (in that order), rows left out dropped."""
        pos = self.position[np.asarray(rows, dtype=np.int64)]
        return pos[pos >= 0]


def featurize_shard(smiles: list, targets: np.ndarray, featurizer, std_config) -> ShardGraphs:
    """Standardise and featurise a shard's molecules (a molecule that fails is left out).

    Parameters
    ----------
    smiles : list of str
        ``n_rows`` SMILES.
    targets : numpy.ndarray
        ``n_rows x n_descriptors`` standardised descriptors (NaN: missing).
    featurizer : MolGraphFeaturizer
    std_config : StandardizeConfig

    Returns
    -------
    ShardGraphs
    """
    from molpred.chem.standardize import to_mol_record

    records, kept = [], []
    for i, s in enumerate(smiles):
        rec = to_mol_record(s, std_config)
        if not rec.ok:
            continue
        try:
            records.append(featurizer(rec.mol))
        except Exception:  # noqa: BLE001 - a molecule the featurizer rejects is skipped, not fatal
            continue
        kept.append(i)
    rows = np.asarray(kept, dtype=np.int64)
    block = np.asarray(targets, dtype=np.float32)[rows].reshape(len(rows), -1)
    mask = ~np.isnan(block)
    graphs = pack_records(records, featurizer).with_attrs(y=np.where(mask, block, np.float32(0.0)), mask=mask)
    position = np.full(len(smiles), -1, dtype=np.int64)
    position[rows] = np.arange(len(rows))
    return ShardGraphs(graphs, position)


def load_shard_graphs(path: Path, names: list, scaler, featurizer, std_config) -> ShardGraphs:
    """Read a descriptor shard and featurise it (:func:`featurize_shard`); runs in workers too."""
    from molpred.pretrain.cache import read_shard

    frame = read_shard(path)
    targets = scaler.transform(frame[names].to_numpy(np.float32))
    return featurize_shard(frame["smiles"].tolist(), targets, featurizer, std_config)


@dataclass(frozen=True)
class Visit:
    """One pass over a shard: ``epoch``, ``pos`` (place in the epoch's order), ``shard`` (index)."""

    epoch: int
    pos: int
    shard: int


def visits(n_shards: int, seed: int, epoch: int, pos: int, epochs: int) -> Iterator[Visit]:
    """The shard visits from ``(epoch, pos)`` to the end of ``epochs``: each epoch's shards in
    a permutation seeded by ``(seed, epoch)``, so a resumed run continues the same order."""
    for e in range(epoch, epochs):
        order = np.random.default_rng([seed, e]).permutation(n_shards)
        for p in range(pos if e == epoch else 0, n_shards):
            yield Visit(e, p, int(order[p]))


class ShardStream:
    """Featurised shards in training order, the next one prepared while the current trains.

    Parameters
    ----------
    shards : list of Path
    names : list of str
        Descriptor columns.
    scaler : DescriptorScaler
    featurizer, std_config
        As for :func:`featurize_shard`.
    n_jobs : int
        ``> 1``: featurise the next shard in a worker process (spawned) while this process
        trains on the current one; ``1``: featurise each shard here when it is reached.
    """

    def __init__(self, shards: list, names: list, scaler, featurizer, std_config, n_jobs: int = 1):
        self.shards, self.args = shards, (names, scaler, featurizer, std_config)
        self.pool = None
        if n_jobs > 1:
            import multiprocessing as mp
            from concurrent.futures import ProcessPoolExecutor

            self.pool = ProcessPoolExecutor(1, mp_context=mp.get_context("spawn"))

    def iterate(self, plan: Iterator[Visit]) -> Iterator[tuple[Visit, ShardGraphs]]:
        """``(visit, shard graphs)`` for each visit of ``plan`` (:func:`visits`)."""
        plan = iter(plan)
        visit = next(plan, None)
        pending = self._submit(visit)
        while visit is not None:
            upcoming = next(plan, None)
            graphs = pending.result() if pending is not None else load_shard_graphs(self.shards[visit.shard], *self.args)
            pending = self._submit(upcoming)  # featurised in the worker while this shard trains
            yield visit, graphs
            visit = upcoming

    def _submit(self, visit: Visit | None):
        if self.pool is None or visit is None:
            return None
        return self.pool.submit(load_shard_graphs, self.shards[visit.shard], *self.args)

    def close(self) -> None:
        """Stop the worker process (a prefetched shard not used is dropped)."""
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None
