"""Seeded generator of large, unique, drug-like screening libraries, with no download.

Real molecules (MoleculeACE, ESOL, Lipophilicity, the MolPAL Enamine sets) are cut at their
BRICS bonds (Degen et al., ChemMedChem 2008) into fragments whose open valences carry
BRICS link labels. New molecules are trees of 2 or more fragments joined only through
label pairs that BRICS allows (``rdkit.Chem.BRICS.reactionDefs``): a random root fragment,
then, for each open attachment point, a random compatible fragment, until the tree reaches
a size drawn from the fragment-count distribution of the source molecules.

Assembly works on SMILES text, not on RDKit molecules: every fragment is compiled once
into a template of literals, ring-closure slots (renumbered per use so rings never clash)
and attachment slots. Molecular weight and heavy-atom count are sums over fragments
(dummy atoms weigh 0), so most out-of-window products are rejected before RDKit sees
them; survivors are parsed (sanitised), canonicalised and de-duplicated with a table of
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
import bisect
import contextlib
import gzip
import hashlib
import itertools
import os
import random
import re
import sys
import time
from collections import Counter, deque
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from itertools import accumulate
from pathlib import Path

import numpy as np
import pandas as pd
from rdkit import Chem, rdBase
from rdkit.Chem import BRICS, Descriptors

from molpred.exceptions import DataFileError, MolpredError

__all__ = [
    "FragmentLibrary",
    "LibraryConfig",
    "LibraryExhaustedError",
    "default_sources",
    "generate_library",
    "write_library",
]

_REPO = Path(__file__).resolve().parents[1]
# real data beside the checkout (../shared/data), or wherever MOLPRED_DATA_DIR points
_SHARED = Path(os.environ.get("MOLPRED_DATA_DIR", Path(__file__).resolve().parents[2] / "shared" / "data"))
_CACHE_VERSION = 1
_BATCH = 1024
_BARREN_BATCHES = 20
_RING = [str(i) for i in range(1, 10)] + [f"%{i}" for i in range(10, 100)]
_TOKEN = re.compile(r"\[[^\]]+\]|%\d\d|\d|.")
_DUMMY = re.compile(r"\[(\d+)\*\]")
_BONDS = "-=#:/\\"


class LibraryExhaustedError(MolpredError, RuntimeError):
    """The fragment set cannot produce the requested number of unique molecules."""


@dataclass(frozen=True)
class LibraryConfig:
    """What the generator keeps and how it samples.

    Parameters
    ----------
    mw_min, mw_max : float
        Inclusive molecular-weight window (``Descriptors.MolWt``), Da.
    max_heavy_atoms : int
        Largest heavy-atom count kept.
    max_fragments : int
        Cap on fragments per molecule (the count is drawn from the sources' distribution).
    max_attachments : int
        Fragments with more attachment points than this are not used.
    max_fragment_heavy_atoms : int
        Larger fragments are not used.
    frequency_power : float
        Fragments are drawn with weight ``count ** frequency_power``: 1 follows the
        sources (common amides, phenyls), 0 is uniform over distinct fragments (exotic).
    """

    mw_min: float = 150.0
    mw_max: float = 600.0
    max_heavy_atoms: int = 50
    max_fragments: int = 8
    max_attachments: int = 4
    max_fragment_heavy_atoms: int = 25
    frequency_power: float = 0.5


def default_sources() -> list[Path]:
    """The bundled and shared data files used when ``sources`` is None (those that exist)."""
    paths = sorted((_REPO / "datasets" / "moleculeace").glob("*.csv"))
    paths += [
        _SHARED / "moleculenet" / "delaney-processed.csv",
        _SHARED / "moleculenet" / "Lipophilicity.csv",
        _SHARED / "molpal" / "Enamine50k.csv.gz",
        _SHARED / "molpal" / "Enamine10k.csv.gz",
    ]
    return [p for p in paths if p.exists()]


def _read_smiles(path: Path) -> list[str]:
    name = path.name.lower()
    if name.endswith((".smi", ".smi.gz", ".txt", ".txt.gz")):
        opener = gzip.open if name.endswith(".gz") else open
        with opener(path, "rt") as fh:
            return [line.split()[0] for line in fh if line.strip()]
    try:
        frame = pd.read_csv(path, usecols=lambda c: str(c).lower() == "smiles")
    except (OSError, ValueError) as exc:
        raise DataFileError(f"cannot read SMILES from {path}: {exc}") from exc
    if frame.shape[1] != 1:
        raise DataFileError(f"{path} has no 'smiles' column")
    return frame.iloc[:, 0].dropna().astype(str).tolist()


def _brics_pieces(smiles: str) -> list[str] | None:
    """Fragment SMILES (with ``[L*]`` dummies) of the largest component, or None."""
    mol = Chem.MolFromSmiles(smiles)
    if mol is None or mol.GetNumAtoms() == 0:
        return None
    frags = Chem.GetMolFrags(mol, asMols=True)
    mol = max(frags, key=lambda m: m.GetNumHeavyAtoms()) if len(frags) > 1 else mol
    for bond in mol.GetBonds():  # double-bond stereo would leave / and \ next to dummies
        bond.SetStereo(Chem.BondStereo.STEREONONE)
        bond.SetBondDir(Chem.BondDir.NONE)
    return Chem.MolToSmiles(BRICS.BreakBRICSBonds(mol)).split(".")


def _fragment_chunk(smiles: list[str]) -> tuple[Counter[str], Counter[int]]:
    counts: Counter[str] = Counter()
    sizes: Counter[int] = Counter()
    with rdBase.BlockLogs():
        for smi in smiles:
            pieces = _brics_pieces(smi)
            if pieces is not None and len(pieces) >= 2:
                counts.update(pieces)
                sizes[len(pieces)] += 1
    return counts, sizes


@dataclass(frozen=True)
class FragmentLibrary:
    """BRICS fragments with their counts, and how many fragments source molecules have.

    Attributes
    ----------
    fragments : tuple of (str, int)
        Canonical fragment SMILES with ``[L*]`` attachment dummies, and occurrence count,
        sorted by SMILES.
    sizes : tuple of (int, int)
        ``(fragments per molecule, number of source molecules)``, for molecules with >= 2.
    """

    fragments: tuple[tuple[str, int], ...]
    sizes: tuple[tuple[int, int], ...]

    @classmethod
    def from_smiles(cls, smiles: Iterable[str], workers: int = 1) -> FragmentLibrary:
        """Fragment molecules; unparsable SMILES are skipped (about 1 ms per molecule)."""
        unique = sorted(set(smiles))
        chunks = [unique[i : i + 2000] for i in range(0, len(unique), 2000)]
        if workers > 1 and len(chunks) > 1:
            with ProcessPoolExecutor(workers) as ex:
                parts = list(ex.map(_fragment_chunk, chunks))
        else:
            parts = [_fragment_chunk(c) for c in chunks]
        counts: Counter[str] = Counter()
        sizes: Counter[int] = Counter()
        for c, z in parts:
            counts.update(c)
            sizes.update(z)
        canon: Counter[str] = Counter()
        with rdBase.BlockLogs():
            for frag, c in counts.items():  # canonical per fragment, not per molecule
                mol = Chem.MolFromSmiles(frag)
                if mol is not None:
                    canon[Chem.MolToSmiles(mol)] += c
        return cls(tuple(sorted(canon.items())), tuple(sorted(sizes.items())))

    @classmethod
    def from_files(
        cls,
        paths: Sequence[str | os.PathLike],
        cache_dir: str | os.PathLike | None = "auto",
        workers: int = 1,
    ) -> FragmentLibrary:
        """Fragment the ``smiles`` column of CSV / ``.smi`` files, with an on-disk cache.

        ``cache_dir="auto"`` uses ``$MOLPRED_CACHE_DIR`` or ``~/.cache/molpred``; None
        disables caching. The cache key covers the files' paths, sizes and mtimes and
        the RDKit version.
        """
        paths = [Path(p) for p in paths]
        missing = [str(p) for p in paths if not p.exists()]
        if missing:
            raise DataFileError(f"source files not found: {', '.join(missing)}")
        cache = None
        if cache_dir is not None:
            root = Path(
                os.environ.get("MOLPRED_CACHE_DIR", Path.home() / ".cache" / "molpred")
                if cache_dir == "auto"
                else cache_dir
            )
            key = repr(
                [_CACHE_VERSION, rdBase.rdkitVersion]
                + [(str(p.resolve()), p.stat().st_size, p.stat().st_mtime_ns) for p in paths]
            )
            cache = root / f"brics-fragments-{hashlib.sha256(key.encode()).hexdigest()[:16]}.tsv.gz"
            if cache.exists():
                return cls.load(cache)
        smiles = [s for p in paths for s in _read_smiles(p)]
        print(f"library_gen: fragmenting {len(smiles)} source molecules", file=sys.stderr)
        lib = cls.from_smiles(smiles, workers=workers)
        if cache is not None:
            try:
                cache.parent.mkdir(parents=True, exist_ok=True)
                lib.save(cache)
            except OSError:
                pass  # a read-only home only costs the next run the fragmentation time
        return lib

    def save(self, path: str | os.PathLike) -> None:
        """Write as gzipped TSV: a ``#sizes`` line, then ``smiles<TAB>count`` lines."""
        tmp = Path(f"{path}.tmp{os.getpid()}")
        with gzip.open(tmp, "wt") as fh:
            fh.write("#sizes\t" + ",".join(f"{k}:{v}" for k, v in self.sizes) + "\n")
            fh.writelines(f"{s}\t{c}\n" for s, c in self.fragments)
        tmp.replace(path)

    @classmethod
    def load(cls, path: str | os.PathLike) -> FragmentLibrary:
        with gzip.open(path, "rt") as fh:
            head = fh.readline().rstrip("\n").split("\t")[1]
            sizes = tuple(tuple(int(x) for x in kv.split(":")) for kv in head.split(",") if kv)
            frags = []
            for line in fh:
                s, c = line.rstrip("\n").split("\t")
                frags.append((s, int(c)))
        return cls(tuple(frags), sizes)


def _compile(smiles: str) -> tuple[list, int]:
    """Template items (str literal, int ring slot, (label, bond) attachment) and ring count."""
    items: list = []
    rings: dict[str, int] = {}
    for tok in _TOKEN.findall(smiles):
        dummy = _DUMMY.fullmatch(tok)
        if dummy:
            bond = ""
            if items and isinstance(items[-1], str) and items[-1][-1] in _BONDS:
                bond, items[-1] = items[-1][-1], items[-1][:-1]
                if not items[-1]:
                    items.pop()
            items.append((int(dummy[1]), bond))
        elif tok[0] == "%" or tok.isdigit():
            items.append(rings.setdefault(tok, len(rings)))
        elif items and isinstance(items[-1], str):
            items[-1] += tok
        else:
            items.append(tok)
    return items, len(rings)


def _compatible() -> dict[int, set[int]]:
    pairs: dict[int, set[int]] = {}
    for group in BRICS.reactionDefs:
        for a, b, _ in group:
            a, b = int(a.rstrip("ab")), int(b.rstrip("ab"))
            pairs.setdefault(a, set()).add(b)
            pairs.setdefault(b, set()).add(a)
    return pairs


class _Abort(Exception):
    pass


class _Assembler:
    """Compiled fragment templates and the weighted pools to draw them from."""

    def __init__(self, library: FragmentLibrary, config: LibraryConfig):
        self.config = config
        self.cores, self.subs, self.attach, self.mw, self.heavy = [], [], [], [], []
        weights = []
        with rdBase.BlockLogs():
            for smi, count in library.fragments:
                mol = Chem.MolFromSmiles(smi)
                if mol is None:
                    continue
                dummies = [a.GetIdx() for a in mol.GetAtoms() if a.GetAtomicNum() == 0]
                heavy = mol.GetNumHeavyAtoms()
                if not 1 <= len(dummies) <= config.max_attachments:
                    continue
                if not 0 < heavy <= config.max_fragment_heavy_atoms:
                    continue
                root = next(a.GetIdx() for a in mol.GetAtoms() if a.GetAtomicNum() != 0)
                self.cores.append(_compile(Chem.MolToSmiles(mol, rootedAtAtom=root)))
                subs = []
                for d in dummies:  # rooted at the dummy: drop it and the bond after it
                    items, n_rings = _compile(Chem.MolToSmiles(mol, rootedAtAtom=d))
                    label = items[0][0]
                    rest = items[1:]
                    if rest and isinstance(rest[0], str):
                        rest[0] = rest[0].lstrip(_BONDS)
                    subs.append((label, rest, n_rings))
                self.subs.append(subs)
                self.attach.append(len(dummies))
                self.mw.append(Descriptors.MolWt(mol))
                self.heavy.append(heavy)
                weights.append(float(count) ** config.frequency_power)
        if not self.cores:
            raise DataFileError("no usable BRICS fragments in the sources")
        max_a = config.max_attachments
        self.roots = {
            a: self._pool([(i, -1) for i in range(len(self.cores)) if self.attach[i] <= a], weights)
            for a in range(1, max_a + 1)
        }
        compat = _compatible()
        self.pools: dict[tuple[int, int], tuple[list, list] | None] = {}
        for label in compat:
            for extra in range(max_a):
                forms = [
                    (i, j)
                    for i, subs in enumerate(self.subs)
                    if self.attach[i] - 1 <= extra
                    for j, (lab, _, _) in enumerate(subs)
                    if lab in compat[label]
                ]
                self.pools[label, extra] = self._pool(forms, weights)
        sizes = [(min(k, config.max_fragments), v) for k, v in library.sizes] or [(3, 1)]
        self.size_values = [max(k, 2) for k, _ in sizes]
        self.size_cum = list(accumulate(v for _, v in sizes))

    @staticmethod
    def _pool(forms: list, weights: list) -> tuple[list, list] | None:
        if not forms:
            return None
        return forms, list(accumulate(weights[i] for i, _ in forms))

    @staticmethod
    def _draw(rng: random.Random, pool: tuple[list, list]):
        forms, cum = pool
        return forms[bisect.bisect_right(cum, rng.random() * cum[-1], 0, len(cum) - 1)]

    def sample(self, rng: random.Random) -> str | None:
        """One canonical SMILES, or None when the draw is rejected."""
        cfg = self.config
        cum = self.size_cum
        target = self.size_values[bisect.bisect_right(cum, rng.random() * cum[-1], 0, len(cum) - 1)]
        pool = self.roots[min(target - 1, cfg.max_attachments)]
        if pool is None:
            return None
        root, _ = self._draw(rng, pool)
        # state: [fragments used, open attachment points, next ring number, mw, heavy atoms]
        state = [1, self.attach[root], 0, self.mw[root], self.heavy[root]]
        out: list[str] = []
        try:
            self._render(*self.cores[root], out, state, target, rng)
        except _Abort:
            return None
        if not cfg.mw_min <= state[3] <= cfg.mw_max:
            return None
        mol = Chem.MolFromSmiles("".join(out))
        if mol is None or mol.GetNumHeavyAtoms() > cfg.max_heavy_atoms:
            return None
        if not cfg.mw_min <= Descriptors.MolWt(mol) <= cfg.mw_max:
            return None
        return Chem.MolToSmiles(mol)

    def _render(self, items, n_rings, out, state, target, rng) -> None:
        base = state[2]
        state[2] += n_rings
        if state[2] > len(_RING):
            raise _Abort
        for item in items:
            kind = type(item)
            if kind is str:
                out.append(item)
            elif kind is int:
                out.append(_RING[base + item])
            else:
                label, bond = item
                extra = min(target - state[0] - state[1], self.config.max_attachments - 1)
                pool = self.pools.get((label, max(extra, 0)))
                if pool is None:
                    raise _Abort
                frag, j = self._draw(rng, pool)
                state[0] += 1
                state[1] += self.attach[frag] - 2
                state[3] += self.mw[frag]
                state[4] += self.heavy[frag]
                if state[4] > self.config.max_heavy_atoms or state[3] > self.config.mw_max:
                    raise _Abort
                out.append(bond or ("=" if label == 7 else "-"))
                _, sub_items, sub_rings = self.subs[frag][j]
                self._render(sub_items, sub_rings, out, state, target, rng)


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


_WORKER: _Assembler | None = None


def _init_worker(library: FragmentLibrary, config: LibraryConfig) -> None:
    global _WORKER
    _WORKER = _Assembler(library, config)


def _batch(assembler: _Assembler, seed: int, index: int) -> list[str]:
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
        assembler = _Assembler(library, config)
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
