"""Stream a compound library in fixed-size chunks: SMILES, CSV/TSV, Parquet, SDF (gzip too).

Chunk ``i`` always holds rows ``i * chunk_size`` to ``(i + 1) * chunk_size - 1`` of the file,
whatever the format, so a chunk (and the shard written from it) is the same in every run:
that is what makes ``--resume`` exact. Only one chunk of text is in memory at a time.

What a row is, per format:

* ``.smi``: every line after an optional header line (first token ``smiles``/``smi``); the
  first whitespace-separated token is the SMILES, the rest of the line is the ``id``. Blank
  lines are rows too (status ``empty``), so ``row`` is the line number (minus the header).
* ``.csv``/``.tsv``: every record after the header, blank lines included; the SMILES column
  is found as in ``molpred predict`` (or ``smiles_col``); an ``id``/``name`` column is kept.
  Records with too many fields keep their first fields instead of breaking the read.
* ``.parquet``: every row (read with ``pyarrow`` ``iter_batches``).
* ``.sdf``: every record up to a ``$$$$`` line; the molblock is parsed in the workers, and its
  title line is the ``id``.
"""

from __future__ import annotations

import gzip
import io
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from molpred.data.tables import detect_format, resolve_column
from molpred.exceptions import DataFileError
from molpred.types import PathType

__all__ = ["LibraryChunk", "LibrarySource", "open_library"]

_ID_COLUMNS = ("id", "ID", "Id", "name", "Name", "NAME", "compound_id", "title", "zinc_id", "idnumber")


@dataclass(frozen=True)
class LibraryChunk:
    """A slice of consecutive library rows.

    Attributes
    ----------
    index : int
        Chunk number (shard ``part-<index>.parquet``).
    start : int
        Row index of the first record.
    records : list of str
        One text per row: a SMILES, or a molblock for SDF input (``kind``).
    ids : list of str or None
        Identifiers when the library has them.
    kind : {"smiles", "molblock"}
    """

    index: int
    start: int
    records: list
    ids: list | None
    kind: str = "smiles"

    def __len__(self) -> int:
        return len(self.records)


class LibrarySource:
    """An opened library file: format, columns and identity, ready to stream chunks.

    Parameters
    ----------
    path : str or Path
    smiles_col, id_col : str, optional
        Columns of CSV/TSV/Parquet input; guessed when omitted (``id_col=""`` disables ids).

    Raises
    ------
    DataFileError
        Missing, empty or unknown-format file, or a missing column.
    """

    def __init__(self, path: PathType, smiles_col: str | None = None, id_col: str | None = None):
        self.path = Path(path)
        self.fmt, self.gzipped = detect_format(self.path)
        if not self.path.exists():
            raise DataFileError(f"{self.path}: no such file")
        if self.path.is_dir():
            raise DataFileError(f"{self.path}: is a directory, expected a library file")
        stat = self.path.stat()
        if stat.st_size == 0:
            raise DataFileError(f"{self.path}: file is empty")
        self.size = stat.st_size
        self.mtime_ns = stat.st_mtime_ns
        self.kind = "molblock" if self.fmt == "sdf" else "smiles"
        self.smiles_col, self.id_col = None, None
        self.n_rows: int | None = None  # known up front for Parquet only
        self._raw = None
        if self.fmt in ("csv", "tsv", "parquet"):
            self._resolve_columns(smiles_col, id_col)
        self.has_ids = self.fmt in ("smi", "sdf") or self.id_col is not None

    def identity(self) -> dict:
        """What identifies the file in a resume manifest (path, size, modification time)."""
        return {"path": str(self.path.resolve()), "format": self.fmt, "gzip": self.gzipped,
                "size": self.size, "mtime_ns": self.mtime_ns, "smiles_col": self.smiles_col,
                "id_col": self.id_col}

    def fraction_read(self) -> float | None:
        """Share of the file consumed so far (compressed bytes for gzip), for progress/ETA."""
        if self._raw is None or self._raw.closed:
            return None
        try:
            return min(1.0, self._raw.tell() / self.size)
        except (OSError, ValueError):
            return None

    # ------------------------------------------------------------------ columns
    def _resolve_columns(self, smiles_col: str | None, id_col: str | None) -> None:
        import pandas as pd

        try:
            if self.fmt == "parquet":
                import pyarrow.parquet as pq

                pf = pq.ParquetFile(self.path)
                header = pd.DataFrame(columns=pf.schema_arrow.names)
                self.n_rows = pf.metadata.num_rows
            else:
                header = pd.read_csv(self.path, sep="\t" if self.fmt == "tsv" else ",", nrows=0,
                                     compression="gzip" if self.gzipped else None)
        except Exception as exc:  # noqa: BLE001 - any reader failure is a file problem
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise DataFileError(f"{self.path}: cannot read as {self.fmt}: {first}") from exc
        self.smiles_col = resolve_column(header, smiles_col, self.path)
        if id_col == "":
            self.id_col = None
        elif id_col is not None:
            self.id_col = resolve_column(header, id_col, self.path, role="id column")
        else:
            self.id_col = next((c for c in _ID_COLUMNS if c in header.columns and c != self.smiles_col), None)

    # ------------------------------------------------------------------ streaming
    def chunks(self, chunk_size: int, first_chunk: int | None = None) -> Iterator[LibraryChunk]:
        """Yield consecutive :class:`LibraryChunk` of ``chunk_size`` rows (the last may be shorter).

        ``first_chunk`` rows go into the first chunk instead (a small first chunk is saved
        within seconds, so an early interrupt loses little); the others keep ``chunk_size``.
        """
        if chunk_size < 1:
            raise ValueError(f"chunk_size must be >= 1, got {chunk_size}")
        first_chunk = chunk_size if first_chunk is None else max(1, min(int(first_chunk), chunk_size))
        rows = {"smi": self._smi_rows, "csv": self._csv_rows, "tsv": self._csv_rows,
                "parquet": self._parquet_rows, "sdf": self._sdf_rows}[self.fmt]
        index, start = 0, 0
        records: list = []
        ids: list = []
        try:
            for batch_records, batch_ids in rows(chunk_size):
                records.extend(batch_records)
                if batch_ids is not None:
                    ids.extend(batch_ids)
                size = first_chunk if index == 0 else chunk_size
                while len(records) >= size:
                    yield self._chunk(index, start, records[:size], ids[:size])
                    records, ids = records[size:], ids[size:]
                    index, start = index + 1, start + size
                    size = chunk_size
            if records:
                yield self._chunk(index, start, records, ids)
        finally:
            if self._raw is not None:
                self._raw.close()

    def _chunk(self, index: int, start: int, records: list, ids: list) -> LibraryChunk:
        return LibraryChunk(index, start, records, ids if self.has_ids else None, self.kind)

    def _text(self):
        """Text stream over the (possibly gzipped) file; keeps the raw handle for progress."""
        self._raw = open(self.path, "rb")  # noqa: SIM115 - closed in chunks()
        stream = gzip.GzipFile(fileobj=self._raw, mode="rb") if self.gzipped else self._raw
        return io.TextIOWrapper(stream, encoding="utf-8-sig", errors="replace", newline=None)

    def _smi_rows(self, batch: int):
        text = self._text()
        records, ids = [], []
        first = True
        try:
            for line in text:
                line = line.rstrip("\n")
                parts = line.split(None, 1)
                if first:
                    first = False
                    if parts and parts[0].lower() in ("smiles", "smi"):
                        continue
                records.append(parts[0] if parts else "")
                ids.append(parts[1].strip() if len(parts) > 1 else "")
                if len(records) >= batch:
                    yield records, ids
                    records, ids = [], []
        except (OSError, EOFError) as exc:  # truncated gzip and the like
            raise DataFileError(f"{self.path}: read failed after {len(records)} rows of a chunk: {exc}") from exc
        if records:
            yield records, ids

    def _csv_rows(self, batch: int):
        import pandas as pd

        sep = "\t" if self.fmt == "tsv" else ","
        usecols = [self.smiles_col] + ([self.id_col] if self.id_col else [])
        n_fields = None

        def keep_first_fields(fields: list) -> list:
            return fields[:n_fields]

        text = self._text()
        header = pd.read_csv(io.StringIO(text.readline()), sep=sep, nrows=0)
        n_fields = len(header.columns)
        reader = pd.read_csv(
            text, sep=sep, header=None, names=list(header.columns), usecols=usecols, dtype=str,
            keep_default_na=False, na_filter=False, skip_blank_lines=False, chunksize=batch,
            engine="python", on_bad_lines=keep_first_fields,
        )
        try:
            for frame in reader:
                records = [v if isinstance(v, str) else "" for v in frame[self.smiles_col].tolist()]
                ids = [v if isinstance(v, str) else "" for v in frame[self.id_col].tolist()] if self.id_col else None
                yield records, ids
        except (pd.errors.ParserError, OSError, EOFError) as exc:
            raise DataFileError(f"{self.path}: cannot read as {self.fmt}: {exc}".splitlines()[0]) from exc

    def _parquet_rows(self, batch: int):
        import pyarrow as pa
        import pyarrow.parquet as pq

        if self.gzipped:
            raise DataFileError(f"{self.path}: gzipped Parquet cannot be streamed; Parquet is compressed already")
        columns = [self.smiles_col] + ([self.id_col] if self.id_col else [])
        pf = pq.ParquetFile(self.path)
        for rb in pf.iter_batches(batch_size=batch, columns=columns):
            cols = []
            for name in columns:
                arr = rb.column(rb.schema.get_field_index(name))
                if not pa.types.is_string(arr.type) and not pa.types.is_large_string(arr.type):
                    arr = arr.cast(pa.string())
                cols.append(["" if v is None else v for v in arr.to_pylist()])
            yield cols[0], (cols[1] if self.id_col else None)

    def _sdf_rows(self, batch: int):
        text = self._text()
        records, ids, block = [], [], []
        for line in text:
            if line.rstrip() == "$$$$":
                records.append("".join(block))
                ids.append(block[0].strip() if block else "")
                block = []
                if len(records) >= batch:
                    yield records, ids
                    records, ids = [], []
            else:
                block.append(line)
        if any(line.strip() for line in block):  # last record without its $$$$ line
            records.append("".join(block))
            ids.append(block[0].strip())
        if records:
            yield records, ids


def open_library(path: PathType, smiles_col: str | None = None, id_col: str | None = None) -> LibrarySource:
    """Open a library for streaming (see :class:`LibrarySource`)."""
    return LibrarySource(os.fspath(path), smiles_col, id_col)
