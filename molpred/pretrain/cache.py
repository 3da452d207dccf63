"""One streaming pass over a SMILES file: standardise, exclude, compute descriptors, write shards.

Layout of a cache directory::

    manifest.json        # source file identity, descriptor names, chunk size, exclusion hash,
                         # and one entry per finished shard
    part-00000.parquet   # rows [0, chunk_size) of the file: row, input, smiles, status, error,
    part-00001.parquet   # then one float32 column per descriptor (NaN where it failed)

Shard ``i`` always holds the same rows of the file (:mod:`molpred.screen.reader`), and a shard
is listed in the manifest only after it is written completely, so an interrupted pass resumes
with the first missing shard and a finished cache is reused as it is. The row limit
(``max_molecules``) is not part of a cache's identity: a cache made for the first 30,000 rows
is extended, not rebuilt, when a later run asks for 60,000 (with a ``chunk_size`` multiple,
every earlier shard is reused). Rows are never dropped:
every input row has a ``status`` (``ok``, a standardisation failure, or ``excluded`` with the
benchmark sources in ``error``).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from molpred.pretrain.descriptors import compute_descriptors, descriptor_names
from molpred.pretrain.exclusion import ExclusionSet, molecule_key
from molpred.types import PathType

__all__ = ["build_descriptor_cache", "describe_smiles", "shard_paths", "read_shard", "cache_summary",
           "MANIFEST", "EXCLUDED"]

MANIFEST = "manifest.json"
EXCLUDED = "excluded"
_META = ["row", "input", "smiles", "status", "error"]

_EXCLUSION: ExclusionSet | None = None  # set once per worker process (pool initializer)


def _init_worker(exclusion: ExclusionSet | None) -> None:
    global _EXCLUSION
    _EXCLUSION = exclusion


def describe_smiles(records: list, start: int, exclusion: ExclusionSet | None = None) -> pd.DataFrame:
    """Standardise, exclude and describe a chunk of SMILES; one output row per input row.

    Parameters
    ----------
    records : list of str
        SMILES (anything else becomes a failed row).
    start : int
        File row number of ``records[0]``.
    exclusion : ExclusionSet, optional
        Molecules to exclude (``status="excluded"``, ``error`` lists the sources).

    Returns
    -------
    pandas.DataFrame
        ``len(records)`` rows: ``row, input, smiles, status, error`` and one float32 column per
        descriptor (NaN unless ``status == "ok"``).
    """
    from molpred.chem.standardize import to_mol_record

    exclusion = exclusion if exclusion is not None else _EXCLUSION
    names = descriptor_names()
    values = np.full((len(records), len(names)), np.nan, dtype=np.float32)
    smiles, status, error = [], [], []
    for i, text in enumerate(records):
        rec = to_mol_record(text)
        smiles.append(rec.smiles or "")
        if not rec.ok:
            status.append(rec.status)
            error.append(rec.error)
            continue
        sources = exclusion.sources_of(molecule_key(rec.mol)) if exclusion is not None else []
        if sources:
            status.append(EXCLUDED)
            error.append("in " + ", ".join(sources))
            continue
        values[i] = compute_descriptors(rec.mol, names)
        status.append("ok")
        error.append("")
    frame = pd.DataFrame({"row": np.arange(start, start + len(records), dtype=np.int64),
                          "input": [str(r) if r is not None else "" for r in records],
                          "smiles": smiles, "status": status, "error": error})
    return pd.concat([frame, pd.DataFrame(values, columns=names)], axis=1)


def _describe_task(args) -> tuple[int, pd.DataFrame]:
    index, start, records = args
    return index, describe_smiles(records, start)


@dataclass(frozen=True)
class _Identity:
    source: dict
    descriptors: list
    chunk_size: int
    exclusion: str | None

    def to_dict(self) -> dict:
        return {"source": self.source, "descriptors": self.descriptors, "chunk_size": self.chunk_size,
                "exclusion": self.exclusion}


def _used(manifest: dict, max_molecules: int | None) -> list[dict]:
    """Manifest entries of the shards covering the first ``max_molecules`` rows, in file order."""
    shards = sorted(manifest["shards"], key=lambda s: s["index"])
    if max_molecules is None:
        return shards
    return [s for s in shards if s["index"] * manifest["chunk_size"] < max_molecules]


def shard_paths(cache_dir: PathType, max_molecules: int | None = None) -> list[Path]:
    """The finished shards of a cache (those covering the first ``max_molecules`` rows), in file order."""
    d = Path(cache_dir)
    manifest = json.loads((d / MANIFEST).read_text())
    return [d / s["file"] for s in _used(manifest, max_molecules)]


def read_shard(path: PathType, ok_only: bool = True) -> pd.DataFrame:
    """A shard as a DataFrame (only the ``ok`` rows by default)."""
    frame = pd.read_parquet(path)
    return frame[frame["status"] == "ok"].reset_index(drop=True) if ok_only else frame


def cache_summary(cache_dir: PathType, max_molecules: int | None = None) -> dict:
    """Counts over the shards in use: rows, statuses, exclusions per benchmark source."""
    statuses: dict[str, int] = {}
    excluded: dict[str, int] = {}
    rows = 0
    for path in shard_paths(cache_dir, max_molecules):
        frame = pd.read_parquet(path, columns=["status", "error"])
        rows += len(frame)
        for k, v in frame["status"].value_counts().items():
            statuses[str(k)] = statuses.get(str(k), 0) + int(v)
        for err in frame.loc[frame["status"] == EXCLUDED, "error"]:
            for src in err[len("in "):].split(", "):
                excluded[src] = excluded.get(src, 0) + 1
    return {"rows": rows, "statuses": statuses, "excluded_per_source": excluded,
            "excluded": statuses.get(EXCLUDED, 0), "usable": statuses.get("ok", 0)}


def _write_manifest(d: Path, manifest: dict) -> None:
    tmp = d / (MANIFEST + ".tmp")
    tmp.write_text(json.dumps(manifest, indent=1))
    os.replace(tmp, d / MANIFEST)


def build_descriptor_cache(
    data: PathType,
    cache_dir: PathType,
    exclusion: ExclusionSet | None = None,
    max_molecules: int | None = None,
    chunk_size: int = 10_000,
    n_jobs: int = 1,
    smiles_col: str | None = None,
    progress: bool = False,
) -> dict:
    """Compute (or reuse) the descriptor shards of ``data``.

    Parameters
    ----------
    data : path
        SMILES file (``.smi``, ``.csv``, ``.tsv``, ``.parquet``, ``.sdf``; gzip allowed).
    cache_dir : path
        Directory for the shards and ``manifest.json``.
    exclusion : ExclusionSet, optional
    max_molecules : int, optional
        Use only the first ``max_molecules`` rows of the file.
    chunk_size : int
        Rows per shard.
    n_jobs : int
        Worker processes (1: in this process).
    smiles_col : str, optional
        SMILES column of a table (guessed by default).
    progress : bool

    Returns
    -------
    dict
        The manifest, with ``shards`` restricted to the shards covering the requested rows
        (each with its ``rows`` and ``ok`` counts), and ``computed_rows``: how many rows this
        call described (0 when the cache was reused as it was).

    Raises
    ------
    ValueError
        ``cache_dir`` holds a cache of another file, descriptor set, chunk size or exclusion
        list.
    """
    from molpred.screen.reader import open_library

    d = Path(cache_dir)
    d.mkdir(parents=True, exist_ok=True)
    source = open_library(data, smiles_col, id_col="")
    ident = _Identity(source.identity(), descriptor_names(), int(chunk_size),
                      exclusion.fingerprint() if exclusion is not None else None)
    manifest = {**ident.to_dict(), "shards": []}
    if (d / MANIFEST).exists():
        old = json.loads((d / MANIFEST).read_text())
        if {k: old.get(k) for k in ident.to_dict()} != ident.to_dict():
            changed = [k for k, v in ident.to_dict().items() if old.get(k) != v]
            raise ValueError(f"{d} holds a descriptor cache made with other settings ({', '.join(changed)}); "
                             "use another directory or delete it")
        manifest = {**old, "shards": old["shards"]}
    done = {s["index"]: s["rows"] for s in manifest["shards"]}

    def tasks():
        for chunk in source.chunks(chunk_size):
            if max_molecules is not None and chunk.start >= max_molecules:
                break
            records = chunk.records
            if max_molecules is not None:
                records = records[: max_molecules - chunk.start]
            if done.get(chunk.index) != len(records):  # missing, or cut shorter by an earlier limit
                yield chunk.index, chunk.start, records

    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(desc="descriptors", unit="mol", total=max_molecules)
    if n_jobs > 1:
        import multiprocessing as mp

        pool = mp.get_context("spawn").Pool(n_jobs, initializer=_init_worker, initargs=(exclusion,))
        results = pool.imap(_describe_task, tasks())
    else:
        pool = None
        _init_worker(exclusion)
        results = map(_describe_task, tasks())
    computed = 0
    try:
        for index, frame in results:
            computed += len(frame)
            name = f"part-{index:05d}.parquet"
            tmp = d / (name + ".tmp")
            frame.to_parquet(tmp, index=False)
            os.replace(tmp, d / name)
            manifest["shards"] = [s for s in manifest["shards"] if s["index"] != index]
            manifest["shards"].append({"index": index, "file": name, "rows": len(frame),
                                       "ok": int((frame["status"] == "ok").sum())})
            _write_manifest(d, manifest)
            if bar is not None:
                bar.update(len(frame))
    finally:
        if pool is not None:
            pool.terminate()
        if bar is not None:
            bar.close()
    return {**manifest, "shards": _used(manifest, max_molecules), "computed_rows": computed}
