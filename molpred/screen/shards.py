"""Screen output on disk: one Parquet shard per chunk, written atomically, and the manifest.

Layout of a results directory::

    manifest.json              # library identity, settings, models' sha256: what --resume checks
    shards/part-000000.parquet # rows 0 .. chunk_size-1, one row per library row
    shards/part-000001.parquet
    ...
    summary.json  top_hits.csv  top_hits.png   # written when the screen finishes
    top_hits_out_of_domain.csv/.png            # rank="domain": best molecules outside the domain

A shard is written to a temporary file, flushed to disk and renamed over its final name
(``os.replace`` is atomic), so a shard that exists is complete even if the process was killed
(SIGKILL included) while writing the next one; resuming re-reads the library, skips chunks
whose shard exists with the right number of rows, and computes the others. Chunks are
deterministic, so the result is the same as an uninterrupted run.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
from pathlib import Path

import pandas as pd

from molpred import __version__
from molpred.exceptions import MolpredError

__all__ = ["ResultsDir", "ScreenResumeError", "load_results"]

FORMAT = "molpred-screen"
FORMAT_VERSION = 1


class ScreenResumeError(MolpredError):
    """The results directory belongs to a different screen (or would be overwritten)."""


def _atomic_write_bytes(path: Path, payload: bytes) -> None:
    tmp = path.with_name(f"{path.name}.tmp-{os.getpid()}")
    with open(tmp, "wb") as fh:
        fh.write(payload)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def frame_to_parquet_bytes(frame: pd.DataFrame, schema=None) -> bytes:
    """Serialise a shard table (with an optional fixed Arrow schema)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(frame, schema=schema, preserve_index=False)
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression="zstd")
    return sink.getvalue().to_pybytes()


def parquet_bytes_to_frame(payload: bytes) -> pd.DataFrame:
    import pyarrow as pa
    import pyarrow.parquet as pq

    return pq.read_table(pa.BufferReader(payload)).to_pandas()


def arrow_schema(frame: pd.DataFrame):
    """The Arrow schema every shard of a screen uses (fixed, so shards concatenate cleanly)."""
    import pyarrow as pa

    fields = []
    for name, dtype in frame.dtypes.items():
        if name == "row":
            t = pa.int64()
        elif name == "in_domain" or name.endswith(".in_domain"):
            t = pa.bool_()
        elif pd.api.types.is_float_dtype(dtype) or pd.api.types.is_integer_dtype(dtype):
            t = pa.float64()
        elif pd.api.types.is_bool_dtype(dtype):
            t = pa.bool_()
        else:
            t = pa.string()
        fields.append(pa.field(name, t))
    return pa.schema(fields)


class ResultsDir:
    """The results directory of a screen.

    Parameters
    ----------
    path : str or Path
    """

    def __init__(self, path):
        self.path = Path(path)
        self.shards = self.path / "shards"
        self.manifest_path = self.path / "manifest.json"
        self.summary_path = self.path / "summary.json"
        self.top_csv = self.path / "top_hits.csv"
        self.top_png = self.path / "top_hits.png"
        self.top_ood_csv = self.path / "top_hits_out_of_domain.csv"
        self.top_ood_png = self.path / "top_hits_out_of_domain.png"

    def shard_path(self, index: int) -> Path:
        return self.shards / f"part-{index:06d}.parquet"

    # ------------------------------------------------------------------ manifest
    def prepare(self, manifest: dict, resume: bool, overwrite: bool) -> bool:
        """Create the directory or check it for resuming; returns True when resuming.

        Raises
        ------
        ScreenResumeError
            Existing results without ``resume``/``overwrite``, or a manifest whose library,
            settings or models differ from this screen's (the message lists what differs).
        """
        if self.path.exists() and not self.path.is_dir():
            raise ScreenResumeError(f"{self.path}: exists and is not a directory")
        existing = self.read_manifest()
        if existing is not None and overwrite:
            self.clear()
            existing = None
        elif existing is not None and not resume:
            raise ScreenResumeError(
                f"{self.path} already holds screen results; pass --resume to continue them "
                "or --overwrite to start again"
            )
        elif existing is None and self.shards.exists() and any(self.shards.glob("part-*.parquet")):
            if not overwrite:
                raise ScreenResumeError(f"{self.path}: shards without a manifest; pass --overwrite to start again")
            self.clear()
        if existing is not None:
            diffs = [k for k in ("library", "settings", "models") if existing.get(k) != manifest.get(k)]
            if diffs:
                detail = "; ".join(_describe_diff(k, existing.get(k), manifest.get(k)) for k in diffs)
                raise ScreenResumeError(
                    f"cannot resume {self.path}: this screen differs from the one started there ({detail}); "
                    "use the same settings or --overwrite"
                )
        self.shards.mkdir(parents=True, exist_ok=True)
        for tmp in self.shards.glob("*.tmp-*"):  # left by a killed run
            tmp.unlink(missing_ok=True)
        if existing is None:
            manifest = dict(manifest, format=FORMAT, format_version=FORMAT_VERSION, molpred_version=__version__,
                            created=_dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"))
            _atomic_write_bytes(self.manifest_path, json.dumps(manifest, indent=2).encode())
        return existing is not None

    def read_manifest(self) -> dict | None:
        if not self.manifest_path.exists():
            return None
        try:
            data = json.loads(self.manifest_path.read_text())
        except (OSError, json.JSONDecodeError) as exc:
            raise ScreenResumeError(f"{self.manifest_path}: unreadable manifest ({exc}); use --overwrite") from exc
        if data.get("format") != FORMAT:
            raise ScreenResumeError(f"{self.manifest_path}: not a molpred screen manifest")
        return data

    def clear(self) -> None:
        """Remove this screen's files (only the ones a screen writes)."""
        if self.shards.exists():
            for p in self.shards.iterdir():
                if p.name.startswith("part-"):
                    p.unlink()
        for p in (self.manifest_path, self.summary_path, self.top_csv, self.top_png):
            p.unlink(missing_ok=True)

    # ------------------------------------------------------------------ shards
    def shard_rows(self, index: int) -> int | None:
        """Rows in an existing, readable shard; None when missing or unreadable."""
        import pyarrow.parquet as pq

        p = self.shard_path(index)
        if not p.exists():
            return None
        try:
            return pq.ParquetFile(p).metadata.num_rows
        except Exception:  # noqa: BLE001 - a damaged shard is simply recomputed
            return None

    def write_shard(self, index: int, payload: bytes) -> None:
        _atomic_write_bytes(self.shard_path(index), payload)

    def read_shard(self, index: int, columns: list[str] | None = None) -> pd.DataFrame:
        return pd.read_parquet(self.shard_path(index), columns=columns)

    def shard_indices(self) -> list[int]:
        return sorted(int(p.stem.split("-")[1]) for p in self.shards.glob("part-*.parquet"))


def _describe_diff(key: str, old, new) -> str:
    if isinstance(old, dict) and isinstance(new, dict):
        keys = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
        parts = [f"{k}: {old.get(k)!r} -> {new.get(k)!r}" for k in keys[:4]]
        return f"{key} ({', '.join(parts)})"
    return f"{key} changed"


def load_results(out, columns: list[str] | None = None) -> pd.DataFrame:
    """All rows of a finished (or partial) screen, in library order.

    Parameters
    ----------
    out : str or Path
        The results directory.
    columns : list of str, optional
        Subset of columns to read.
    """
    rd = ResultsDir(out)
    idx = rd.shard_indices()
    if not idx:
        raise MolpredError(f"{out}: no screen shards found")
    frames = [rd.read_shard(i, columns) for i in idx]
    return pd.concat(frames, ignore_index=True)
