"""Persistent state of a screening campaign: one SQLite file, safe against a kill at any time.

A :class:`CampaignStore` holds the candidate library, every round of proposals, every
measured result (and every rejected result row, with its reason) and the campaign settings.
Each logical operation (create, add compounds, record a round, add a results file) is ONE
SQLite transaction, and the database runs in WAL mode, so a process killed at any moment
(SIGKILL, power cut with ``synchronous=FULL``) leaves either the whole operation or nothing.

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
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd

from molpred.exceptions import DataFileError
from molpred.types import PathType

__all__ = [
    "APPLICATION_ID",
    "SCHEMA_VERSION",
    "CampaignStore",
    "CampaignStoreError",
    "ResultsSummary",
]

SCHEMA_VERSION = 1
APPLICATION_ID = 0x6D6F6C63  # "molc": marks the SQLite file as a molpred campaign store

_SCHEMA = """
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

_DIRECTIONS = ("max", "min")


class CampaignStoreError(DataFileError):
    """The file is not a campaign store, is from an unknown schema, or an operation is invalid."""


@dataclass(frozen=True, eq=False)
class ResultsSummary:
    """What :meth:`CampaignStore.add_results` did with a results table.

    Attributes
    ----------
    source : str
        Label of the table (usually its file name).
    n_rows : int
        Rows read.
    n_accepted : int
        Rows stored as measurements.
    n_rejected : int
        Rows stored in ``rejected_results``; ``n_accepted + n_rejected == n_rows``.
    n_repeated : int
        Accepted rows for a compound that already had a measurement (both are kept; the
        mean is what :meth:`CampaignStore.measured` reports).
    rounds_completed : list of int
        Rounds whose state went from ``proposed`` to ``completed``.
    rejected : pandas.DataFrame
        One row per rejected row: ``row`` (0-based position in the input), ``smiles``,
        ``compound_id``, ``value`` (raw text) and ``reason``.
    warnings : list of str
        Things worth telling the user (e.g. this source was already added before).
    """

    source: str
    n_rows: int
    n_accepted: int
    n_rejected: int
    n_repeated: int
    rounds_completed: list[int] = field(default_factory=list)
    rejected: pd.DataFrame = field(default_factory=pd.DataFrame)
    warnings: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        lines = [
            f"{self.source}: {self.n_rows} rows, {self.n_accepted} accepted, "
            f"{self.n_rejected} rejected, {self.n_repeated} repeated measurements"
        ]
        for _, r in self.rejected.head(10).iterrows():
            lines.append(f"  row {r['row']}: {r['reason']}")
        if self.n_rejected > 10:
            lines.append(f"  ... and {self.n_rejected - 10} more rejected rows")
        lines.extend(f"  warning: {w}" for w in self.warnings)
        return "\n".join(lines)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _jsonable(value: object) -> object:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _dumps(value: object) -> str:
    return json.dumps(value, default=_jsonable, sort_keys=True)


def _opt_float(x: object) -> float | None:
    """A finite float or ``None`` (stored as SQL NULL)."""
    if x is None:
        return None
    try:
        f = float(x)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def _raw_text(x: object) -> str | None:
    if x is None or (isinstance(x, float) and math.isnan(x)) or x is pd.NA:
        return None
    return str(x)


def _as_int(text: str) -> int | None:
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


def _connect(path: Path) -> sqlite3.Connection:
    # isolation_level=None: no implicit transactions; every write goes through _transaction.
    conn = sqlite3.connect(str(path), isolation_level=None, timeout=30.0)
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


class CampaignStore:
    """An open campaign database. Create with :meth:`create`, reopen with :meth:`open`.

    Use as a context manager (``with CampaignStore.open(p) as store: ...``) or call
    :meth:`close`. Every public method that writes is a single transaction.

    Examples
    --------
    >>> lib = pd.DataFrame({"smiles": ["CCO", "c1ccccc1O"]})
    >>> store = CampaignStore.create("campaign.sqlite", {"objective": "pIC50"}, lib)
    >>> store.record_proposal(None, pd.DataFrame({"compound_id": [1]}))
    1
    >>> print(store.add_results(pd.DataFrame({"smiles": ["Oc1ccccc1"], "value": [6.2]}), "r1.csv"))
    r1.csv: 1 rows, 1 accepted, 0 rejected, 0 repeated measurements
    >>> store.open_round() is None
    True
    """

    def __init__(self, conn: sqlite3.Connection, path: Path):
        # Private: use create() or open(), which validate the file.
        self._conn: sqlite3.Connection | None = conn
        self.path = path

    # ------------------------------------------------------------------ lifecycle
    @classmethod
    def create(
        cls,
        path: PathType,
        meta: dict,
        compounds: pd.DataFrame,
        progress: bool = False,
    ) -> CampaignStore:
        """Create a new store holding the settings and the candidate library.

        The database is built under a temporary name and moved into place only when
        complete, so an interrupted ``create`` never leaves a half-built store at ``path``.

        Parameters
        ----------
        path : str or os.PathLike
            File to create (e.g. ``campaign/state.sqlite``); its folder must exist.
        meta : dict
            JSON-serialisable settings (dataclasses are converted). Must contain
            ``"objective"`` (str); ``"direction"`` is ``"max"`` (default) or ``"min"``.
            ``"standardize"`` (a :class:`molpred.chem.StandardizeConfig` dict) sets how
            SMILES are canonicalised for matching results. ``molpred_version``,
            ``created_at`` and ``schema_version`` are added.
        compounds : pandas.DataFrame
            The library: a ``smiles`` column, optionally ``id`` (default: row position
            0..n-1) and precomputed ``canonical_smiles``/``status``/``error`` (otherwise
            every SMILES is standardised here; invalid ones are kept with their status).
        progress : bool
            Show a progress bar while standardising.

        Returns
        -------
        CampaignStore

        Raises
        ------
        FileExistsError
            ``path`` already exists (a store is never overwritten).
        CampaignStoreError
            Bad ``meta`` or ``compounds``.
        """
        import molpred

        path = Path(path)
        if path.exists():
            raise FileExistsError(f"{path} already exists; refusing to overwrite a campaign store")
        meta = dict(meta)
        if not isinstance(meta.get("objective"), str) or not meta["objective"]:
            raise CampaignStoreError("meta must contain the objective column name: {'objective': ...}")
        meta.setdefault("direction", "max")
        if meta["direction"] not in _DIRECTIONS:
            raise CampaignStoreError(f"meta['direction'] must be 'max' or 'min', got {meta['direction']!r}")
        meta.setdefault("molpred_version", molpred.__version__)
        meta.setdefault("created_at", _now())
        meta["schema_version"] = SCHEMA_VERSION
        rows = cls._compound_rows(compounds, start_id=0, meta=meta, progress=progress)

        tmp = path.with_name(f".{path.name}.creating-{os.getpid()}")
        for leftover in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm"), Path(f"{tmp}-journal")):
            leftover.unlink(missing_ok=True)
        conn = _connect(tmp)
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            with _transaction(conn):
                # Not executescript(): it would COMMIT the open transaction first.
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        conn.execute(statement)
                conn.executemany(
                    "INSERT INTO meta(key, value) VALUES (?, ?)",
                    [(k, _dumps(v)) for k, v in meta.items()],
                )
                conn.executemany(
                    "INSERT INTO compounds(id, smiles, canonical_smiles, status, error) VALUES (?, ?, ?, ?, ?)",
                    rows,
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
        return cls.open(path)

    @classmethod
    def open(cls, path: PathType) -> CampaignStore:
        """Open an existing store after checking that it is one this version can read.

        Parameters
        ----------
        path : str or os.PathLike

        Returns
        -------
        CampaignStore

        Raises
        ------
        FileNotFoundError
            No such file.
        CampaignStoreError
            Not an SQLite file, not a molpred campaign store, or written by a newer molpred
            (schema version above :data:`SCHEMA_VERSION`).
        """
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"no campaign store at {path}")
        conn = _connect(path)
        try:
            app_id = conn.execute("PRAGMA application_id").fetchone()[0]
            version = conn.execute("PRAGMA user_version").fetchone()[0]
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise CampaignStoreError(f"{path} is not a campaign store (not an SQLite database: {exc})") from None
        if app_id != APPLICATION_ID:
            conn.close()
            raise CampaignStoreError(f"{path} is an SQLite database but not a molpred campaign store")
        if version > SCHEMA_VERSION:
            conn.close()
            raise CampaignStoreError(
                f"{path} uses campaign schema version {version}, newer than this molpred "
                f"understands ({SCHEMA_VERSION}); upgrade molpred to open it"
            )
        if version != SCHEMA_VERSION:
            conn.close()
            raise CampaignStoreError(f"{path} has unknown campaign schema version {version}")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = FULL")
        return cls(conn, path)

    def close(self) -> None:
        """Close the connection (idempotent)."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def __enter__(self) -> CampaignStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self._conn is None else "open"
        return f"CampaignStore({str(self.path)!r}, {state})"

    @property
    def conn(self) -> sqlite3.Connection:
        if self._conn is None:
            raise CampaignStoreError(f"campaign store {self.path} is closed")
        return self._conn

    def transaction(self) -> contextlib.AbstractContextManager[sqlite3.Connection]:
        """``BEGIN IMMEDIATE`` ... ``COMMIT`` (``ROLLBACK`` on any exception)."""
        return _transaction(self.conn)

    def check(self) -> list[str]:
        """Consistency problems (empty list when the store is sound).

        Runs ``PRAGMA integrity_check`` and ``foreign_key_check``, and checks that every
        round has exactly its ``n_proposed`` proposals.
        """
        problems = []
        integrity = [r[0] for r in self.conn.execute("PRAGMA integrity_check")]
        if integrity != ["ok"]:
            problems.extend(f"integrity: {m}" for m in integrity)
        for row in self.conn.execute("PRAGMA foreign_key_check"):
            problems.append(f"foreign key: {row}")
        for rnd, expected, found in self.conn.execute(
            "SELECT r.round, r.n_proposed, COUNT(p.compound_id) FROM rounds r "
            "LEFT JOIN proposals p ON p.round = r.round GROUP BY r.round"
        ):
            if expected != found:
                problems.append(f"round {rnd}: {found} proposals stored, {expected} recorded")
        return problems

    # ------------------------------------------------------------------ meta
    @property
    def meta(self) -> dict:
        """All settings, JSON-decoded (a copy: use :meth:`update_meta` to change them)."""
        return {k: json.loads(v) for k, v in self.conn.execute("SELECT key, value FROM meta")}

    def update_meta(self, values: dict) -> None:
        """Insert or replace settings (one transaction)."""
        with self.transaction() as conn:
            conn.executemany(
                "INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                [(k, _dumps(v)) for k, v in values.items()],
            )

    def _standardize_config(self, meta: dict | None = None):
        from molpred.chem import StandardizeConfig

        meta = self.meta if meta is None else meta
        return StandardizeConfig.from_dict(meta.get("standardize") or {})

    # ------------------------------------------------------------------ compounds
    @staticmethod
    def _compound_rows(frame: pd.DataFrame, start_id: int, meta: dict, progress: bool) -> list[tuple]:
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
        smiles = ["" if _raw_text(s) is None else str(s) for s in frame["smiles"]]
        if "canonical_smiles" in frame.columns and "status" in frame.columns:
            canon = [_raw_text(c) for c in frame["canonical_smiles"]]
            status = [str(s) for s in frame["status"]]
            errors = (
                ["" if _raw_text(e) is None else str(e) for e in frame["error"]]
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

    def add_compounds(self, compounds: pd.DataFrame, progress: bool = False) -> np.ndarray:
        """Append candidates to the library (one transaction).

        Parameters
        ----------
        compounds : pandas.DataFrame
            As for :meth:`create`; without an ``id`` column ids continue after the largest.
        progress : bool

        Returns
        -------
        numpy.ndarray
            ``n_new`` int64 ids of the added compounds.

        Raises
        ------
        CampaignStoreError
            An id already exists.
        """
        start = self.conn.execute("SELECT COALESCE(MAX(id) + 1, 0) FROM compounds").fetchone()[0]
        rows = self._compound_rows(compounds, start, self.meta, progress)
        try:
            with self.transaction() as conn:
                conn.executemany(
                    "INSERT INTO compounds(id, smiles, canonical_smiles, status, error) VALUES (?, ?, ?, ?, ?)",
                    rows,
                )
        except sqlite3.IntegrityError as exc:
            raise CampaignStoreError(f"could not add compounds: {exc} (duplicate id?)") from None
        return np.array([r[0] for r in rows], dtype=np.int64)

    def compounds_frame(self) -> pd.DataFrame:
        """The library: columns ``id, smiles, canonical_smiles, status, error``, by id."""
        frame = pd.read_sql_query(
            "SELECT id, smiles, canonical_smiles, status, error FROM compounds ORDER BY id",
            self.conn,
        )
        frame["id"] = frame["id"].astype("int64")
        return frame

    # ------------------------------------------------------------------ rounds and proposals
    def open_round(self) -> int | None:
        """The latest round that is proposed and still waits for its results, or ``None``.

        A campaign's ``next`` step returns this round's proposals again instead of
        proposing a new batch, which makes it idempotent.
        """
        row = self.conn.execute("SELECT MAX(round) FROM rounds WHERE state = 'proposed'").fetchone()
        return None if row[0] is None else int(row[0])

    def last_round(self) -> int | None:
        """The highest round number, or ``None`` before the first proposal."""
        row = self.conn.execute("SELECT MAX(round) FROM rounds").fetchone()
        return None if row[0] is None else int(row[0])

    def record_proposal(
        self,
        round: int | None,
        frame: pd.DataFrame,
        model_info: dict | None = None,
        n_train: int | None = None,
    ) -> int:
        """Store a round and all its proposals atomically.

        Parameters
        ----------
        round : int or None
            Round number; ``None`` takes ``last_round() + 1`` (1 for the first round).
        frame : pandas.DataFrame
            One row per proposed compound: ``compound_id`` (required), optional ``rank``
            (default: row order, 0 = first to measure), ``acquisition``, ``mean``, ``std``
            (NaN is stored as NULL).
        model_info : dict, optional
            JSON description of the surrogate used (type, metrics, training size...).
        n_train : int, optional
            Number of measurements the surrogate was trained on.

        Returns
        -------
        int
            The round number.

        Raises
        ------
        CampaignStoreError
            The round exists, a compound id is unknown, or the frame is malformed.
            Nothing is written in that case.
        """
        if "compound_id" not in frame.columns:
            raise CampaignStoreError(f"proposals need a 'compound_id' column; got {list(frame.columns)}")
        ids = pd.to_numeric(frame["compound_id"], errors="coerce")
        if ids.isna().any():
            raise CampaignStoreError("proposal compound_id values must be integers")
        ids = ids.astype("int64").tolist()
        ranks = (
            pd.to_numeric(frame["rank"]).astype("int64").tolist()
            if "rank" in frame.columns
            else list(range(len(frame)))
        )
        cols = [
            frame[c].tolist() if c in frame.columns else [None] * len(frame) for c in ("acquisition", "mean", "std")
        ]
        info = _dumps(model_info or {})
        try:
            with self.transaction() as conn:
                if round is None:
                    round = conn.execute("SELECT COALESCE(MAX(round), 0) + 1 FROM rounds").fetchone()[0]
                conn.execute(
                    "INSERT INTO rounds(round, created_at, state, model_info, n_train, n_proposed) "
                    "VALUES (?, ?, 'proposed', ?, ?, ?)",
                    (int(round), _now(), info, n_train, len(ids)),
                )
                conn.executemany(
                    "INSERT INTO proposals(round, compound_id, rank, acquisition, mean, std) VALUES (?, ?, ?, ?, ?, ?)",
                    (
                        (round, cid, rk, _opt_float(a), _opt_float(m), _opt_float(s))
                        for cid, rk, a, m, s in zip(ids, ranks, *cols)
                    ),
                )
        except sqlite3.IntegrityError as exc:
            raise CampaignStoreError(
                f"could not record round {round}: {exc} "
                "(round already exists, unknown compound id, or a compound/rank twice)"
            ) from None
        return int(round)

    def complete_round(self, round: int) -> None:
        """Mark a round completed without results (e.g. the batch was abandoned)."""
        with self.transaction() as conn:
            if conn.execute("UPDATE rounds SET state = 'completed' WHERE round = ?", (round,)).rowcount == 0:
                raise CampaignStoreError(f"no round {round}")

    def proposals(self, round: int | None = None) -> pd.DataFrame:
        """Proposed compounds with their measured values so far.

        Parameters
        ----------
        round : int, optional
            One round; ``None`` gives every round.

        Returns
        -------
        pandas.DataFrame
            Columns ``round, rank, compound_id, smiles, canonical_smiles, acquisition,
            mean, std, n_measurements, value`` (``value`` is the mean measurement, NaN while
            pending), sorted by round then rank.
        """
        query = (
            "SELECT p.round, p.rank, p.compound_id, c.smiles, c.canonical_smiles, "
            "p.acquisition, p.mean, p.std, COUNT(r.id) AS n_measurements, AVG(r.value) AS value "
            "FROM proposals p JOIN compounds c ON c.id = p.compound_id "
            "LEFT JOIN results r ON r.compound_id = p.compound_id "
            "{where} GROUP BY p.round, p.compound_id ORDER BY p.round, p.rank"
        )
        params: tuple = ()
        where = ""
        if round is not None:
            where, params = "WHERE p.round = ?", (int(round),)
        frame = pd.read_sql_query(query.format(where=where), self.conn, params=params)
        for col in ("acquisition", "mean", "std", "value"):
            frame[col] = frame[col].astype("float64")
        for col in ("round", "rank", "compound_id", "n_measurements"):
            frame[col] = frame[col].astype("int64")
        return frame

    # ------------------------------------------------------------------ results
    def add_results(
        self,
        frame: pd.DataFrame,
        source: str,
        value_column: str | None = None,
        allow_unknown: bool = False,
    ) -> ResultsSummary:
        """Add measured values; every row is either stored or rejected with a reason.

        Rows are matched to the library by ``compound_id`` when given (a ``smiles`` given
        with it must be the same molecule), otherwise by canonical SMILES (standardised
        with the store's ``standardize`` settings, so salts and alternative spellings
        match). A library holding the same molecule twice resolves to the copy proposed
        most recently, else the lowest id. A compound measured again keeps every
        measurement; :meth:`measured` reports their mean. Each result is attributed to the
        latest round that proposed the compound, and that round becomes ``completed``.

        Parameters
        ----------
        frame : pandas.DataFrame
            Columns ``smiles`` and/or ``compound_id``, plus the value column.
        source : str
            Where the rows come from (e.g. the file name), stored with each row.
        value_column : str, optional
            Default: ``"value"`` if present, else the campaign objective column.
        allow_unknown : bool
            Accept valid molecules that are not in the library (stored with a NULL
            ``compound_id``: extra training data) instead of rejecting them.

        Returns
        -------
        ResultsSummary

        Raises
        ------
        CampaignStoreError
            The frame has no value column, or neither ``smiles`` nor ``compound_id``.
            (Bad rows never raise: they are rejected.)
        """
        from molpred.chem import to_mol_record

        meta = self.meta
        if value_column is None:
            value_column = "value" if "value" in frame.columns else meta.get("objective")
        if value_column not in frame.columns:
            raise CampaignStoreError(
                f"results need a value column ('value' or {meta.get('objective')!r}); got {list(frame.columns)}"
            )
        has_id, has_smiles = "compound_id" in frame.columns, "smiles" in frame.columns
        if not (has_id or has_smiles):
            raise CampaignStoreError("results need a 'smiles' or a 'compound_id' column")
        config = self._standardize_config(meta)
        conn = self.conn
        n = len(frame)
        raw_values = frame[value_column].tolist()
        raw_ids = frame["compound_id"].tolist() if has_id else [None] * n
        raw_smiles = frame["smiles"].tolist() if has_smiles else [None] * n
        warnings = []
        if conn.execute(
            "SELECT 1 FROM results WHERE source = ? UNION SELECT 1 FROM rejected_results WHERE source = ? LIMIT 1",
            (source, source),
        ).fetchone():
            warnings.append(f"rows from source {source!r} were already added before")

        accepted: list[tuple[int | None, str, float]] = []
        rejected: list[tuple[int, str | None, str | None, str | None, str]] = []
        for i, (v, cid, smi) in enumerate(zip(raw_values, raw_ids, raw_smiles)):
            raw = (i, _raw_text(smi), _raw_text(cid), _raw_text(v))
            value = _opt_float(v)
            if value is None:
                rejected.append((*raw, f"value {raw[3]!r} is missing or not a finite number"))
                continue
            match, reason = self._match(cid, smi, config, to_mol_record, allow_unknown)
            if reason:
                rejected.append((*raw, reason))
            else:
                accepted.append((match[0], match[1], value))

        now = _now()
        with self.transaction() as conn:
            before = {
                r[0] for r in conn.execute("SELECT DISTINCT compound_id FROM results WHERE compound_id IS NOT NULL")
            }
            seen: set = set()
            n_repeated = 0
            rounds_hit: set[int] = set()
            for cid, smi, value in accepted:
                key = cid if cid is not None else ("smiles", smi)
                if key in seen or (cid is not None and cid in before):
                    n_repeated += 1
                seen.add(key)
                rnd = None
                if cid is not None:
                    rnd = conn.execute("SELECT MAX(round) FROM proposals WHERE compound_id = ?", (cid,)).fetchone()[0]
                if rnd is not None:
                    rounds_hit.add(int(rnd))
                conn.execute(
                    "INSERT INTO results(compound_id, smiles, value, source, round, added_at) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    (cid, smi, value, source, rnd, now),
                )
            conn.executemany(
                "INSERT INTO rejected_results(row, smiles, compound_id, value, source, reason, added_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(*r[:4], source, r[4], now) for r in rejected],
            )
            completed = []
            for rnd in sorted(rounds_hit):
                if conn.execute(
                    "UPDATE rounds SET state = 'completed' WHERE round = ? AND state = 'proposed'", (rnd,)
                ).rowcount:
                    completed.append(rnd)
        rejected_frame = pd.DataFrame(rejected, columns=["row", "smiles", "compound_id", "value", "reason"])
        return ResultsSummary(
            source=source,
            n_rows=n,
            n_accepted=len(accepted),
            n_rejected=len(rejected),
            n_repeated=n_repeated,
            rounds_completed=completed,
            rejected=rejected_frame,
            warnings=warnings,
        )

    def _match(self, cid, smi, config, to_mol_record, allow_unknown):
        """``((compound_id or None, canonical smiles), "")`` or ``(None, reason)``."""
        conn = self.conn
        cid_text = _raw_text(cid)
        if cid_text is not None and cid_text.strip():
            compound_id = _as_int(cid_text)
            if compound_id is None:
                return None, f"compound_id {cid_text!r} is not an integer"
            if not -(2**63) <= compound_id < 2**63:  # beyond SQLite INTEGER: cannot exist
                return None, f"unknown compound_id {compound_id} (not in the candidate library)"
            row = conn.execute("SELECT canonical_smiles FROM compounds WHERE id = ?", (compound_id,)).fetchone()
            if row is None:
                return None, f"unknown compound_id {compound_id} (not in the candidate library)"
            if _raw_text(smi) is not None and str(smi).strip():
                record = to_mol_record(smi, config)
                if record.ok and row[0] is not None and record.smiles != row[0]:
                    return None, (f"compound_id {compound_id} is {row[0]} but the row's smiles is {record.smiles}")
            return (compound_id, row[0] or ""), ""
        if _raw_text(smi) is None or not str(smi).strip():
            return None, "row has neither a compound_id nor a smiles"
        record = to_mol_record(smi, config)
        if not record.ok:
            return None, f"{record.status}: {record.error}"
        found = conn.execute(
            "SELECT c.id FROM compounds c LEFT JOIN proposals p ON p.compound_id = c.id "
            "WHERE c.canonical_smiles = ? GROUP BY c.id "
            "ORDER BY MAX(p.round) IS NULL, MAX(p.round) DESC, c.id LIMIT 1",
            (record.smiles,),
        ).fetchone()
        if found is not None:
            return (int(found[0]), record.smiles), ""
        if allow_unknown:
            return (None, record.smiles), ""
        return None, f"{record.smiles} is not in the candidate library"

    def measured(self) -> pd.DataFrame:
        """One row per measured molecule, repeated measurements averaged.

        Returns
        -------
        pandas.DataFrame
            Columns ``compound_id`` (nullable ``Int64``: ``<NA>`` for molecules outside the
            library), ``smiles`` (canonical), ``value`` (mean), ``n_measurements``,
            ``value_std`` (0 for a single measurement), sorted by first measurement.
        """
        frame = pd.read_sql_query(
            "SELECT compound_id, smiles, AVG(value) AS value, COUNT(*) AS n_measurements, "
            "AVG(value * value) - AVG(value) * AVG(value) AS var, MIN(id) AS first "
            "FROM results GROUP BY compound_id, CASE WHEN compound_id IS NULL THEN smiles END "
            "ORDER BY first",
            self.conn,
        )
        frame["value_std"] = np.sqrt(np.clip(frame.pop("var").astype("float64"), 0, None))
        frame = frame.drop(columns="first")
        frame["compound_id"] = frame["compound_id"].astype("Int64")
        frame["value"] = frame["value"].astype("float64")
        frame["n_measurements"] = frame["n_measurements"].astype("int64")
        return frame

    def results(self, rejected: bool = False) -> pd.DataFrame:
        """Every stored measurement row (or every rejected row with its reason)."""
        table = "rejected_results" if rejected else "results"
        return pd.read_sql_query(f"SELECT * FROM {table} ORDER BY id", self.conn)

    def history(self) -> pd.DataFrame:
        """Progress per round.

        Returns
        -------
        pandas.DataFrame
            One row per round: ``round, created_at, state, n_train, n_proposed,
            n_measured`` (proposals of that round with at least one result),
            ``best_in_round`` (best measured value among them) and ``best_so_far`` (best
            over all results attributed to rounds up to this one, plus results not tied to
            any proposal, such as starting data). "Best" follows ``meta["direction"]``.
        """
        direction = self.meta.get("direction", "max")
        agg = "MAX" if direction == "max" else "MIN"
        frame = pd.read_sql_query(
            f"""
            SELECT r.round, r.created_at, r.state, r.n_train, r.n_proposed,
                   (SELECT COUNT(DISTINCT p.compound_id) FROM proposals p
                      JOIN results x ON x.compound_id = p.compound_id
                     WHERE p.round = r.round) AS n_measured,
                   (SELECT {agg}(x.value) FROM results x WHERE x.round = r.round) AS best_in_round,
                   (SELECT {agg}(x.value) FROM results x
                     WHERE x.round IS NULL OR x.round <= r.round) AS best_so_far
            FROM rounds r ORDER BY r.round
            """,
            self.conn,
        )
        frame["n_train"] = frame["n_train"].astype("Int64")
        for col in ("best_in_round", "best_so_far"):
            frame[col] = frame[col].astype("float64")
        return frame


@contextlib.contextmanager
def _transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One atomic write: ``BEGIN IMMEDIATE`` takes the write lock up front, so two
    processes cannot interleave half-operations; any exception rolls everything back."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
