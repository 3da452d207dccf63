"""Seeded generator of large, unique, drug-like screening libraries, with no download.

Real molecules (MoleculeACE, ESOL, Lipophilicity, the MolPAL Enamine sets) are cut at their
BRICS bonds (Degen et al., ChemMedChem 2008) into fragments whose open valences carry
BRICS link labels. New molecules are trees of 2 or more fragments joined only through
label pairs that BRICS allows (``rdkit.Chem.BRICS.reactionDefs``): a random root fragment,
then, for each open attachment point, a random compatible fragment, until the tree reaches
a size drawn from the fragment-count distribution of the source molecules.

Fragmentation lives in :mod:`benchmarks.library_fragments`, assembly in
:mod:`benchmarks.library_assembly`; this module draws, de-duplicates and writes. Assembly
works on SMILES text, not on RDKit molecules: every fragment is compiled once into a
template of literals, ring-closure slots (renumbered per use so rings never clash) and
attachment slots. Molecular weight and heavy-atom count are sums over fragments (dummy
atoms weigh 0), so most out-of-window products are rejected before RDKit sees them;
survivors are parsed (sanitised), canonicalised and de-duplicated with a table of
8-byte hashes (134 MB for 10^7 molecules; a false "duplicate" has probability ~1e-6 at
that size and only drops one molecule). Molecules carry no double-bond stereo; atom
chirality of the source fragments is kept.

Output is deterministic for a given seed, fragment set, Python and RDKit version.

CLI::

    python -m benchmarks.library_gen --n 100000 --seed 0 --out /tmp/lib.smi.gz

Output formats by suffix: ``.smi[.gz]`` (one SMILES per line, no header; the line number
is the id), ``.csv[.gz]`` (columns ``id,smiles``), ``.parquet`` (same columns).
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import hashlib
import itertools
import os
import random
import sys
import time
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
from rdkit import rdBase

from benchmarks.library_assembly import Assembler, LibraryConfig
from benchmarks.library_fragments import FragmentLibrary, default_sources
from molpred.exceptions import MolpredError

__all__ = [
    "FragmentLibrary",
    "LibraryConfig",
    "LibraryExhaustedError",
    "default_sources",
    "generate_library",
    "write_library",
]

_BATCH = 1024
_BARREN_BATCHES = 20


class LibraryExhaustedError(MolpredError, RuntimeError):
    """The fragment set cannot produce the requested number of unique molecules."""


class _HashSet64:
    """Open-addressing set of non-zero uint64 hashes, filled a batch at a time."""

    def __init__(self, capacity: int):
        size = 1 << max(10, int(np.ceil(np.log2(max(capacity, 1) / 0.6))))
        self.table = np.zeros(size, dtype=np.uint64)
        self.mask = np.uint64(size - 1)
        self.count = 0

    def add(self, hashes: np.ndarray) -> np.ndarray:
        """Insert; return a mask of entries that were new (first occurrence in the batch)."""
        new = np.zeros(len(hashes), dtype=bool)
        keys, first = np.unique(np.maximum(hashes, 1), return_index=True)  # 0 marks empty
        if self.count + len(keys) > 0.8 * len(self.table):
            self._grow()
        slots = keys & self.mask
        while keys.size:
            cur = self.table[slots]
            empty = cur == 0
            # several keys may want the same empty slot: the first of each wins
            _, win = np.unique(slots[empty], return_index=True)
            winners = np.flatnonzero(empty)[win]
            self.table[slots[winners]] = keys[winners]
            new[first[winners]] = True
            self.count += len(winners)
            retry = ~(cur == keys)
            retry[winners] = False
            keys, first = keys[retry], first[retry]
            slots = (slots[retry] + np.uint64(1)) & self.mask  # linear probing
        return new

    def _grow(self) -> None:
        old = self.table[self.table != 0]
        self.__init__(2 * len(self.table))
        self.add(old)


def _hash(smiles: str) -> int:
    return int.from_bytes(hashlib.blake2b(smiles.encode(), digest_size=8).digest(), "little")


def generate_library(
    n: int,
    seed: int = 0,
    sources: FragmentLibrary | Sequence[str | os.PathLike] | None = None,
    config: LibraryConfig | None = None,
    workers: int = 1,
) -> Iterator[str]:
    """Yield ``n`` unique canonical SMILES of new drug-like molecules.

    Parameters
    ----------
    n : int
        Number of molecules.
    seed : int
        Same seed (and fragments, Python, RDKit) -> same sequence.
    sources : FragmentLibrary or sequence of paths, optional
        Fragments, or files with a ``smiles`` column to fragment; default
        :func:`default_sources` (cached after the first run).
    config : LibraryConfig, optional
    workers : int
        Processes that assemble and canonicalise (RDKit parsing is ~95% of the time);
        the output does not depend on it.

    Yields
    ------
    str
        Canonical SMILES; none repeats.

    Raises
    ------
    LibraryExhaustedError
        When 20 consecutive batches of 1024 draws give no new molecule.
    """
    config = config or LibraryConfig()
    if not isinstance(sources, FragmentLibrary):
        sources = FragmentLibrary.from_files(
            default_sources() if sources is None else sources, workers=workers
        )
    seen = _HashSet64(n + _BATCH)
    done, barren = 0, 0
    with contextlib.closing(_batches(sources, config, seed, workers)) as batches:
        for batch in batches:
            fresh = seen.add(np.fromiter(map(_hash, batch), dtype=np.uint64, count=len(batch)))
            barren = 0 if fresh.any() else barren + 1
            if barren >= _BARREN_BATCHES:
                raise LibraryExhaustedError(
                    f"only {done} unique molecules after {_BARREN_BATCHES} fruitless batches"
                )
            for smi in (s for s, ok in zip(batch, fresh) if ok):
                yield smi
                done += 1
                if done == n:
                    return


_WORKER: Assembler | None = None


def _init_worker(library: FragmentLibrary, config: LibraryConfig) -> None:
    global _WORKER
    _WORKER = Assembler(library, config)


def _batch(assembler: Assembler, seed: int, index: int) -> list[str]:
    # One RNG per batch index: the output does not depend on how batches are spread
    # over worker processes.
    rng = random.Random(f"{seed}/{index}")
    with rdBase.BlockLogs():
        return [s for s in (assembler.sample(rng) for _ in range(_BATCH)) if s is not None]


def _worker_batch(seed: int, index: int) -> list[str]:
    return _batch(_WORKER, seed, index)


def _batches(
    library: FragmentLibrary, config: LibraryConfig, seed: int, workers: int
) -> Iterator[list[str]]:
    """Candidate batches 0, 1, 2, ... in order, computed here or in ``workers`` processes."""
    if workers <= 1:
        assembler = Assembler(library, config)
        for index in itertools.count():
            yield _batch(assembler, seed, index)
        return
    ex = ProcessPoolExecutor(workers, initializer=_init_worker, initargs=(library, config))
    try:
        ahead = 2 * workers  # bounded read-ahead: never queue the infinite stream
        pending = deque(ex.submit(_worker_batch, seed, i) for i in range(ahead))
        for index in itertools.count(ahead):
            batch = pending.popleft().result()
            pending.append(ex.submit(_worker_batch, seed, index))
            yield batch
    finally:
        ex.shutdown(wait=True, cancel_futures=True)


def write_library(
    path: str | os.PathLike,
    n: int,
    seed: int = 0,
    sources: FragmentLibrary | Sequence[str | os.PathLike] | None = None,
    config: LibraryConfig | None = None,
    chunk_size: int = 50_000,
    workers: int = 1,
) -> int:
    """Stream :func:`generate_library` to ``.smi[.gz]``, ``.csv[.gz]`` or ``.parquet``.

    Returns the number of molecules written.
    """
    path = Path(path)
    name = path.name.lower()
    if not name.endswith((".smi", ".smi.gz", ".csv", ".csv.gz", ".parquet")):
        raise ValueError(f"unsupported output {path.name!r}; use .smi[.gz], .csv[.gz] or .parquet")
    path.parent.mkdir(parents=True, exist_ok=True)
    stream = generate_library(n, seed=seed, sources=sources, config=config, workers=workers)
    written = 0
    if name.endswith(".parquet"):
        import pyarrow as pa
        import pyarrow.parquet as pq

        schema = pa.schema([("id", pa.int64()), ("smiles", pa.string())])
        with pq.ParquetWriter(path, schema) as writer:
            for chunk in _chunks(stream, chunk_size):
                ids = pa.array(range(written, written + len(chunk)), pa.int64())
                writer.write_table(pa.table([ids, pa.array(chunk, pa.string())], schema=schema))
                written += len(chunk)
        return written
    opener = gzip.open if name.endswith(".gz") else open
    kwargs = {"compresslevel": 6} if name.endswith(".gz") else {}
    csv = ".csv" in name
    with opener(path, "wt", **kwargs) as fh:
        if csv:
            fh.write("id,smiles\n")
        for chunk in _chunks(stream, chunk_size):
            if csv:
                fh.write("".join(f"{written + i},{s}\n" for i, s in enumerate(chunk)))
            else:
                fh.write("\n".join(chunk) + "\n")
            written += len(chunk)
    return written


def _chunks(stream: Iterator[str], size: int) -> Iterator[list[str]]:
    chunk: list[str] = []
    for item in stream:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.library_gen", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--n", type=int, required=True, help="number of molecules")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", required=True, help="output .smi[.gz], .csv[.gz] or .parquet")
    parser.add_argument("--sources", nargs="+", help="CSV/.smi files (default: bundled data)")
    parser.add_argument("--no-cache", action="store_true", help="do not cache the fragments")
    parser.add_argument("--workers", type=int, default=1, help="processes (output unchanged)")
    defaults = LibraryConfig()
    parser.add_argument("--mw-min", type=float, default=defaults.mw_min)
    parser.add_argument("--mw-max", type=float, default=defaults.mw_max)
    parser.add_argument("--max-heavy-atoms", type=int, default=defaults.max_heavy_atoms)
    parser.add_argument("--frequency-power", type=float, default=defaults.frequency_power)
    args = parser.parse_args(argv)
    config = LibraryConfig(
        mw_min=args.mw_min,
        mw_max=args.mw_max,
        max_heavy_atoms=args.max_heavy_atoms,
        frequency_power=args.frequency_power,
    )
    t0 = time.perf_counter()
    frags = FragmentLibrary.from_files(
        args.sources or default_sources(),
        cache_dir=None if args.no_cache else "auto",
        workers=args.workers,
    )
    t1 = time.perf_counter()
    written = write_library(
        args.out, args.n, seed=args.seed, sources=frags, config=config, workers=args.workers
    )
    t2 = time.perf_counter()
    print(
        f"library_gen: {len(frags.fragments)} fragments ({t1 - t0:.1f} s); wrote {written} "
        f"molecules to {args.out} in {t2 - t1:.1f} s ({written / max(t2 - t1, 1e-9):,.0f} mol/s)",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
