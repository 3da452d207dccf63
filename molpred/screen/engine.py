"""Execution engines: chunks in, shard tables out, bounded memory.

* ``local``: a pool of worker processes. When every model runs on the CPU, each worker does
  the whole chunk (standardise, filter, featurise, fingerprint, network, applicability domain,
  intervals, score) and the main process only writes shards and ranks, so the screen grows
  with the cores. When a model runs on a GPU, the workers standardise, filter and featurise,
  and the main process, which owns the GPU, predicts their packed batches. At most
  ``workers + 2`` chunks are in flight, so memory does not grow with the library.
  ``workers=0`` runs everything in-process.
* ``ray``: the same two stages (:func:`~molpred.screen.worker.process_chunk` then
  :class:`ShardBuilder`) run together in Ray Data actors, one CPU each, on a local Ray
  instance or an existing cluster (``ray_address``). The driver streams the library in
  windows of chunks through ``ray.data.from_items(...).map(actor)`` and writes the shards,
  so the results directory must be on the driver's file system.

Both yield ``(chunk_index, shard_table)``; the caller writes the shards.
"""

from __future__ import annotations

import json
import os
import sys
import types
from collections import deque
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass

import pandas as pd

from molpred.exceptions import MolpredError
from molpred.screen.models import ModelSet, chunk_frame
from molpred.screen.worker import ChunkPlan, init_worker, process_chunk, run_in_worker

__all__ = ["ShardBuilder", "run_local", "run_ray", "ENGINES"]

ENGINES = ("local", "ray")


@dataclass
class ShardBuilder:
    """Prediction stage: a worker's :class:`ChunkResult` -> the chunk's shard table."""

    models: ModelSet
    properties: tuple
    has_ids: bool
    score: object
    hits_in_domain: bool = False

    @property
    def runs_in_workers(self) -> bool:
        """True when every model runs on the CPU: worker processes then predict too."""
        return self.models.on_cpu

    def __call__(self, result) -> pd.DataFrame:
        cols = self.models.predict(result)
        return chunk_frame(result, cols, self.models.columns, self.properties, self.has_ids, self.score,
                           self.hits_in_domain)


def run_local(chunks: Iterable, plan: ChunkPlan, build: ShardBuilder, workers: int) -> Iterator[tuple[int, pd.DataFrame]]:
    """Run the pipeline with ``workers`` processes (0: in this process).

    With models on the CPU the workers return finished shard tables (each worker holds a copy
    of the models, one torch thread each); with a model on a GPU they return packed features
    and this process predicts them.
    """
    if workers <= 0:
        for chunk in chunks:
            yield chunk.index, build(process_chunk(plan, chunk))
        return
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    import torch

    in_workers = build.runs_in_workers
    threads = torch.get_num_threads()
    if not in_workers:
        # The workers keep the cores busy; a multi-threaded forward pass would compete with them
        # (OpenMP threads spin-waiting on an oversubscribed machine run many times slower).
        torch.set_num_threads(main_threads())
    # spawn: the main process holds torch's thread pools, which do not survive fork
    pool = ProcessPoolExecutor(workers, mp_context=mp.get_context("spawn"), initializer=init_worker,
                               initargs=(plan, os.getpid(), build if in_workers else None))
    with _main_module_hidden():  # start every worker now, without re-running the user's script
        for _ in range(workers):
            pool.submit(os.getpid)
    pending: deque = deque()

    def finished():
        index, payload = pending.popleft().result()  # a shard table, or features to predict here
        return index, payload if in_workers else build(payload)

    try:
        for chunk in chunks:
            pending.append(pool.submit(run_in_worker, chunk))
            while len(pending) >= workers + 2:
                yield finished()
        while pending:
            yield finished()
    except BrokenProcessPool as exc:
        raise MolpredError(
            f"a screening worker process died ({exc}); finished chunks are saved, rerun with --resume"
        ) from exc
    finally:
        for fut in pending:
            fut.cancel()
        pool.shutdown(wait=True, cancel_futures=True)
        torch.set_num_threads(threads)


@contextmanager
def _main_module_hidden():
    """Hide ``__main__`` while spawned workers start.

    A spawned process normally re-imports the parent's main script, so a script that calls
    ``screen()`` without an ``if __name__ == "__main__":`` guard would run again in every
    worker (and fail). The workers need nothing from ``__main__``: everything they run lives
    in molpred.
    """
    main = sys.modules.get("__main__")
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        sys.modules["__main__"] = main


def main_threads() -> int:
    """Torch threads of the process that runs the networks while workers featurise."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        cpus = os.cpu_count() or 1
    return max(1, cpus // 8)


class _RayScreener:
    """Ray Data actor: both pipeline stages for one chunk, returning the shard as Parquet bytes."""

    def __init__(self, plan: ChunkPlan, build: ShardBuilder):
        import ray
        import torch

        init_worker(plan)
        torch.set_num_threads(1)
        self.plan = plan
        self.build = ray.get(build) if isinstance(build, ray.ObjectRef) else build

    def __call__(self, item: dict) -> dict:
        from molpred.screen.reader import LibraryChunk
        from molpred.screen.shards import arrow_schema, frame_to_parquet_bytes

        chunk = LibraryChunk(**json.loads(item["chunk"]))  # plain data: nothing to execute
        frame = self.build(process_chunk(self.plan, chunk))
        return {"index": chunk.index, "shard": frame_to_parquet_bytes(frame, arrow_schema(frame))}


def run_ray(
    chunks: Iterable, plan: ChunkPlan, build: ShardBuilder, workers: int, address: str | None = None,
    window: int | None = None,
) -> Iterator[tuple[int, pd.DataFrame]]:
    """Run the pipeline on Ray Data actors (``workers`` of them).

    Parameters
    ----------
    address : str, optional
        Address of an existing cluster (``"auto"``, ``"ray://host:10001"``...); a local Ray
        instance with ``workers`` CPUs is started (and stopped) when omitted.
    window : int, optional
        Chunks per Ray Data dataset (default ``max(64, 8 * workers)``): the driver holds at
        most this many chunks of text.
    """
    try:
        import ray
        import ray.data
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise MolpredError("--engine ray needs Ray Data: pip install 'molpred[distributed]'") from exc
    from molpred.screen.shards import parquet_bytes_to_frame

    workers = max(1, int(workers))
    window = window or max(64, 8 * workers)
    started = False
    if not ray.is_initialized():
        kwargs = {"address": address} if address else {"num_cpus": workers}
        ray.init(include_dashboard=False, log_to_driver=False, logging_level="ERROR", **kwargs)
        started = True
    ctx = ray.data.DataContext.get_current()
    ctx.enable_progress_bars = False
    build_ref = ray.put(build)
    try:
        batch: list = []

        def flush(batch):
            items = [{"chunk": json.dumps(asdict(c))} for c in batch]
            ds = ray.data.from_items(items, override_num_blocks=len(items))
            ds = ds.map(_RayScreener, fn_constructor_kwargs={"plan": plan, "build": build_ref},
                        concurrency=min(workers, len(items)), num_cpus=1)
            for row in ds.iter_rows():
                yield int(row["index"]), parquet_bytes_to_frame(row["shard"])

        for chunk in chunks:
            batch.append(chunk)
            if len(batch) >= window:
                yield from flush(batch)
                batch = []
        if batch:
            yield from flush(batch)
    finally:
        if started:
            ray.shutdown()
