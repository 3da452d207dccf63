"""The campaign store's SQLite schema, file checks, transaction helper and the rows it stores.

Schema (version :data:`SCHEMA_VERSION`, stored in ``PRAGMA user_version``; the file is
tagged with ``PRAGMA application_id`` = :data:`APPLICATION_ID`):

- ``meta(key, value)``: JSON values (objective, direction, surrogate, acquisition,
  batch size, seed, standardize, molpred_version, created_at...).
- ``compounds(id, smiles, canonical_smiles, status, error)``: ``id`` is the row index in
  the candidate library.
- ``rounds(round, created_at, state, model_info, n_train, n_proposed)``: ``state`` is
  ``'proposed'`` until results for the round arrive, then ``'completed'``.
- ``proposals(round, compound_id, rank, acquisition, mean, std)``.
- ``results(id, compound_id, smiles, value, source, round, added_at)``: accepted
  measurements; ``compound_id`` is NULL only for compounds outside the library added with
  ``allow_unknown=True`` (e.g. historical training data).
- ``rejected_results(id, row, smiles, compound_id, value, source, reason, added_at)``: the
  raw text of every row that could not be used, and why.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import math
import os
import sqlite3
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd

from molpred.exceptions import DataFileError

__all__ = [
    "APPLICATION_ID",
    "SCHEMA_VERSION",
    "CampaignStoreError",
    "compound_rows",
    "create_database",
    "open_database",
    "transaction",
]

SCHEMA_VERSION = 1
APPLICATION_ID = 0x6D6F6C63  # "molc": marks the SQLite file as a molpred campaign store

SCHEMA_SQL = """
CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE compounds (
    id INTEGER PRIMARY KEY,
    smiles TEXT NOT NULL,
    canonical_smiles TEXT,
    status TEXT NOT NULL,
    error TEXT NOT NULL DEFAULT ''
);
CREATE INDEX compounds_canonical ON compounds(canonical_smiles);
CREATE TABLE rounds (
    round INTEGER PRIMARY KEY,
    created_at TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('proposed', 'completed')),
    model_info TEXT NOT NULL DEFAULT '{}',
    n_train INTEGER,
    n_proposed INTEGER NOT NULL
);
CREATE TABLE proposals (
    round INTEGER NOT NULL REFERENCES rounds(round),
    compound_id INTEGER NOT NULL REFERENCES compounds(id),
    rank INTEGER NOT NULL,
    acquisition REAL,
    mean REAL,
    std REAL,
    UNIQUE (round, compound_id),
    UNIQUE (round, rank)
);
CREATE INDEX proposals_compound ON proposals(compound_id);
CREATE TABLE results (
    id INTEGER PRIMARY KEY,
    compound_id INTEGER REFERENCES compounds(id),
    smiles TEXT NOT NULL,
    value REAL NOT NULL,
    source TEXT NOT NULL,
    round INTEGER REFERENCES rounds(round),
    added_at TEXT NOT NULL
);
CREATE INDEX results_compound ON results(compound_id);
CREATE TABLE rejected_results (
    id INTEGER PRIMARY KEY,
    row INTEGER,
    smiles TEXT,
    compound_id TEXT,
    value TEXT,
    source TEXT NOT NULL,
    reason TEXT NOT NULL,
    added_at TEXT NOT NULL
);
"""

class CampaignStoreError(DataFileError):
    """The file is not a campaign store, is from an unknown schema, or an operation is invalid."""


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def jsonable(value: object) -> object:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def dumps(value: object) -> str:
    return json.dumps(value, default=jsonable, sort_keys=True)


def opt_float(x: object) -> float | None:
    """A finite float or ``None`` (stored as SQL NULL)."""
    if x is None:
        return None
    try:
        f = float(x)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def raw_text(x: object) -> str | None:
    if x is None or (isinstance(x, float) and math.isnan(x)) or x is pd.NA:
        return None
    return str(x)


def as_int(text: str) -> int | None:
    """``"12"``, ``"12.0"`` and ``12.0`` -> 12; anything else (``"1.5"``, ``"abc"``, inf) -> None."""
    try:
        return int(text)
    except ValueError:
        pass
    try:
        as_float = float(text)
    except ValueError:
        return None
    return int(as_float) if as_float.is_integer() else None


def connect(path: Path) -> sqlite3.Connection:
    # isolation_level=None: no implicit transactions; every write goes through _transaction.
    conn = sqlite3.connect(str(path), isolation_level=None, timeout=30.0)
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


def create_database(path: Path, meta: dict, compounds: list[tuple]) -> None:
    """Write a new store file: schema, ``meta`` and ``compounds`` rows, all or nothing.

    The database is built under a temporary name and moved into place only when complete,
    so an interrupted call never leaves a half-built store at ``path``.

    Parameters
    ----------
    path : pathlib.Path
        The store to create; must not exist.
    meta : dict
        JSON-serialisable settings, one ``meta`` row per key.
    compounds : list of tuple
        ``(id, smiles, canonical_smiles, status, error)`` rows.

    Raises
    ------
    FileExistsError
        ``path`` exists (a store is never overwritten).
    """
    tmp = path.with_name(f".{path.name}.creating-{os.getpid()}")
    for leftover in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm"), Path(f"{tmp}-journal")):
        leftover.unlink(missing_ok=True)
    conn = connect(tmp)
    try:
        conn.execute("PRAGMA journal_mode = WAL")
        with transaction(conn):
            # Not executescript(): it would COMMIT the open transaction first.
            for statement in SCHEMA_SQL.split(";"):
                if statement.strip():
                    conn.execute(statement)
            conn.executemany(
                "INSERT INTO meta(key, value) VALUES (?, ?)",
                [(k, dumps(v)) for k, v in meta.items()],
            )
            conn.executemany(
                "INSERT INTO compounds(id, smiles, canonical_smiles, status, error) VALUES (?, ?, ?, ?, ?)",
                compounds,
            )
            conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    except BaseException:
        conn.close()
        tmp.unlink(missing_ok=True)
        raise
    conn.close()  # checkpoints and removes the -wal file: tmp is now self-contained
    try:
        os.link(tmp, path)  # atomic, and fails if someone created path meanwhile
    except FileExistsError:
        tmp.unlink(missing_ok=True)
        raise FileExistsError(f"{path} already exists; refusing to overwrite a campaign store") from None
    except OSError:  # file systems without hard links
        os.replace(tmp, path)
    tmp.unlink(missing_ok=True)


def open_database(path: Path) -> sqlite3.Connection:
    """Connect to an existing store after checking that this version can read it.

    Raises ``FileNotFoundError`` or :class:`CampaignStoreError` (the cases are listed in
    :meth:`molpred.campaign.store.CampaignStore.open`).
    """
    if not path.is_file():
        raise FileNotFoundError(f"no campaign store at {path}")
    conn = connect(path)
    try:
        app_id = conn.execute("PRAGMA application_id").fetchone()[0]
        version = conn.execute("PRAGMA user_version").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise CampaignStoreError(f"{path} is not a campaign store (not an SQLite database: {exc})") from None
    problem = None
    if app_id != APPLICATION_ID:
        problem = f"{path} is an SQLite database but not a molpred campaign store"
    elif version > SCHEMA_VERSION:
        problem = (
            f"{path} uses campaign schema version {version}, newer than this molpred "
            f"understands ({SCHEMA_VERSION}); upgrade molpred to open it"
        )
    elif version != SCHEMA_VERSION:
        problem = f"{path} has unknown campaign schema version {version}"
    if problem:
        conn.close()
        raise CampaignStoreError(problem)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    return conn


@contextlib.contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One atomic write: ``BEGIN IMMEDIATE`` takes the write lock up front, so two
    processes cannot interleave half-operations; any exception rolls everything back."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def compound_rows(frame: pd.DataFrame, start_id: int, meta: dict, progress: bool) -> list[tuple]:
    """Rows ``(id, smiles, canonical_smiles, status, error)`` for the ``compounds`` table.

    ``frame`` needs ``smiles``; ``id`` (unique integers) is optional, else ids count from
    ``start_id``. Without ``canonical_smiles`` and ``status`` columns the SMILES are
    standardised with ``meta["standardize"]``.
    """
    from molpred.chem import StandardizeConfig, standardize_many

    if "smiles" not in frame.columns:
        raise CampaignStoreError(f"compounds need a 'smiles' column; got {list(frame.columns)}")
    n = len(frame)
    if "id" in frame.columns:
        ids = pd.to_numeric(frame["id"], errors="coerce")
        if ids.isna().any() or (ids != ids.round()).any():
            raise CampaignStoreError("compound ids must be integers")
        ids = ids.astype("int64").to_numpy()
        if len(np.unique(ids)) != n:
            raise CampaignStoreError("compound ids must be unique")
    else:
        ids = np.arange(start_id, start_id + n, dtype=np.int64)
    smiles = ["" if raw_text(s) is None else str(s) for s in frame["smiles"]]
    if "canonical_smiles" in frame.columns and "status" in frame.columns:
        canon = [raw_text(c) for c in frame["canonical_smiles"]]
        status = [str(s) for s in frame["status"]]
        errors = (
            ["" if raw_text(e) is None else str(e) for e in frame["error"]]
            if "error" in frame.columns
            else [""] * n
        )
    else:
        config = StandardizeConfig.from_dict(meta.get("standardize") or {})
        records = standardize_many(smiles, config, progress=progress)
        canon = [r.smiles for r in records]
        status = [r.status for r in records]
        errors = [r.error for r in records]
    return list(zip(ids.tolist(), smiles, canon, status, errors))
