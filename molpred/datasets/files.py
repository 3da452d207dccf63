"""Checks and downloads of data-set files: sha256 (memoised), columns and row count, and an
atomic, verified download into the cache.
"""

from __future__ import annotations

import csv
import gzip
import http.client
import os
import shutil
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

from molpred.datasets.cards import DatasetCard, cache_dir
from molpred.exceptions import DataFileError

__all__ = ["verify", "schema_problem", "download", "DOWNLOAD_TIMEOUT"]

DOWNLOAD_TIMEOUT = 60.0  # seconds without data before a download is abandoned
_CHUNK = 1 << 20

# (resolved path, size, mtime_ns) -> sha256 hex digest, so repeated loads do not re-hash
_HASHES: dict[tuple[str, int, int], str] = {}


def _sha256(file: Path) -> str:
    """Streaming sha256 of ``file``, memoised on (path, size, mtime)."""
    st = file.stat()
    key = (str(file.resolve()), st.st_size, st.st_mtime_ns)
    if key not in _HASHES:
        from molpred.io import sha256_file

        _HASHES[key] = sha256_file(file)
    return _HASHES[key]


def _sidecar(file: Path) -> Path:
    return file.with_name(file.name + ".sha256")


def _accepted_hashes(c: DatasetCard, file: Path) -> set[str]:
    """Checksums ``file`` may have: the card's, plus (for a cached download verified by
    schema) the one recorded next to it when it was downloaded."""
    accepted = {c.sha256, *([c.url_sha256] if c.url_sha256 else [])}
    side = _sidecar(file)
    if file.resolve().parent.parent == cache_dir().resolve() and side.is_file():
        recorded = side.read_text(encoding="utf-8").split()
        accepted.update(recorded[:1])
    return accepted


def verify(c: DatasetCard, file: Path) -> None:
    """Raise :class:`DataFileError` unless ``file`` has one of the checksums accepted for ``c``."""
    digest = _sha256(file)
    if digest not in _accepted_hashes(c, file):
        raise DataFileError(
            f"checksum mismatch for data set {c.name!r}: {file} has sha256 {digest[:16]}..., "
            f"expected {c.sha256[:16]}... (the file is modified or corrupt; restore it, or "
            f"delete it and load with download=True)"
        )


def schema_problem(c: DatasetCard, file: Path) -> str | None:
    """Describe how ``file`` differs from the card's columns and row count (None if not)."""
    opener = gzip.open if file.name.endswith(".gz") else open
    try:
        with opener(file, "rt", newline="", encoding="utf-8") as fh:
            reader = csv.reader(fh, delimiter=c.sep)
            header = next(reader, [])
            n_rows = sum(1 for _ in reader)
    except (OSError, UnicodeDecodeError, csv.Error, EOFError) as exc:
        return f"unreadable as delimited text ({exc.__class__.__name__}: {exc})"
    if set(header) != set(c.columns):
        diff = sorted(set(header) ^ set(c.columns))[:5]
        return f"columns differ from the card (e.g. {diff})"
    if n_rows != c.n_rows:
        return f"{n_rows} data rows, the card says {c.n_rows}"
    return None


def download(c: DatasetCard) -> Path:
    """Fetch ``c.url`` into the cache: temp file, verify, then atomic rename."""
    assert c.url is not None
    dest = cache_dir() / c.subdir / c.file
    gunzip = c.url.endswith(".gz") and not c.file.endswith(".gz")
    tmp: Path | None = None
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{c.file}.", suffix=".part", dir=dest.parent)
        tmp = Path(tmp_name)
        request = urllib.request.Request(c.url, headers={"User-Agent": "molpred"})
        with os.fdopen(fd, "wb") as out, \
                urllib.request.urlopen(request, timeout=DOWNLOAD_TIMEOUT) as response:
            shutil.copyfileobj(gzip.GzipFile(fileobj=response) if gunzip else response,
                               out, _CHUNK)
        digest = _sha256(tmp)
        known = {c.sha256, *([c.url_sha256] if c.url_sha256 else [])}
        if digest not in known:
            if c.url_sha256:
                raise DataFileError(
                    f"checksum mismatch for data set {c.name!r} downloaded from {c.url}: sha256 "
                    f"{digest[:16]}..., expected {c.url_sha256[:16]}...")
            problem = schema_problem(c, tmp)
            if problem:
                raise DataFileError(f"data set {c.name!r} downloaded from {c.url} does not match "
                                    f"its card: {problem}")
            # trust on first use: record what was verified by schema, to catch later damage
            _sidecar(dest).write_text(f"{digest}  {dest.name}\n", encoding="utf-8")
        os.replace(tmp, dest)
        tmp = None
    except DataFileError:
        raise
    except (urllib.error.URLError, http.client.HTTPException, OSError, EOFError,
            ValueError) as exc:
        plain_url_error = isinstance(exc, urllib.error.URLError) and not isinstance(
            exc, urllib.error.HTTPError)  # an HTTPError's str() carries the status code
        reason = exc.reason if plain_url_error else exc
        raise DataFileError(f"could not download data set {c.name!r} from {c.url}: "
                            f"{exc.__class__.__name__}: {reason}") from None
    finally:
        if tmp is not None:
            tmp.unlink(missing_ok=True)
    return dest
