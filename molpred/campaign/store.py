"""Persistent state of a screening campaign: one SQLite file, safe against a kill at any time.

A :class:`CampaignStore` holds the candidate library, every round of proposals, every
measured result (and every rejected result row, with its reason) and the campaign settings.
Each logical operation (create, add compounds, record a round, add a results file) is ONE
SQLite transaction, and the database runs in WAL mode, so a process killed at any moment
(SIGKILL, power cut with ``synchronous=FULL``) leaves either the whole operation or nothing.
The tables are described in :mod:`molpred.campaign.schema`; results files are matched and
stored by :mod:`molpred.campaign.results`; reads are in :mod:`molpred.campaign.queries`.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from pathlib import Path

import numpy as np
import pandas as pd

from molpred.campaign import queries
from molpred.campaign.results import ResultsSummary, add_results
from molpred.campaign.schema import (
    APPLICATION_ID,
    SCHEMA_VERSION,
    CampaignStoreError,
    compound_rows,
    create_database,
    dumps,
    now,
    open_database,
    opt_float,
    transaction,
)
from molpred.types import PathType

__all__ = [
    "APPLICATION_ID",
    "SCHEMA_VERSION",
    "CampaignStore",
    "CampaignStoreError",
    "ResultsSummary",
]

_DIRECTIONS = ("max", "min")


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

        The file appears at ``path`` only when complete (see
        :func:`molpred.campaign.schema.create_database`), so an interrupted ``create``
        never leaves a half-built store.

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
        meta.setdefault("created_at", now())
        meta["schema_version"] = SCHEMA_VERSION
        rows = compound_rows(compounds, start_id=0, meta=meta, progress=progress)
        create_database(path, meta, rows)
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
        return cls(open_database(path), path)

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
        return transaction(self.conn)

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
                [(k, dumps(v)) for k, v in values.items()],
            )

    # ------------------------------------------------------------------ compounds
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
        rows = compound_rows(compounds, start, self.meta, progress)
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
        return queries.compounds(self.conn)

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
        info = dumps(model_info or {})
        try:
            with self.transaction() as conn:
                if round is None:
                    round = conn.execute("SELECT COALESCE(MAX(round), 0) + 1 FROM rounds").fetchone()[0]
                conn.execute(
                    "INSERT INTO rounds(round, created_at, state, model_info, n_train, n_proposed) "
                    "VALUES (?, ?, 'proposed', ?, ?, ?)",
                    (int(round), now(), info, n_train, len(ids)),
                )
                conn.executemany(
                    "INSERT INTO proposals(round, compound_id, rank, acquisition, mean, std) VALUES (?, ?, ?, ?, ?, ?)",
                    (
                        (round, cid, rk, opt_float(a), opt_float(m), opt_float(s))
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
        """Proposed compounds with their measured values so far, one round or all
        (:func:`molpred.campaign.queries.proposals` gives the columns)."""
        return queries.proposals(self.conn, round)

    # ------------------------------------------------------------------ results
    def add_results(
        self,
        frame: pd.DataFrame,
        source: str,
        value_column: str | None = None,
        allow_unknown: bool = False,
    ) -> ResultsSummary:
        """Add measured values; every row is either stored or rejected with a reason.

        See :func:`molpred.campaign.results.add_results` for the matching rules, the
        parameters and the errors.

        Returns
        -------
        ResultsSummary
        """
        return add_results(self, frame, source, value_column=value_column, allow_unknown=allow_unknown)

    def measured(self) -> pd.DataFrame:
        """One row per measured molecule, repeated measurements averaged
        (:func:`molpred.campaign.queries.measured`)."""
        return queries.measured(self.conn)

    def results(self, rejected: bool = False) -> pd.DataFrame:
        """Every stored measurement row (or every rejected row with its reason)."""
        return queries.results(self.conn, rejected)

    def history(self) -> pd.DataFrame:
        """Progress per round, best values following ``meta["direction"]``
        (:func:`molpred.campaign.queries.history` gives the columns)."""
        return queries.history(self.conn, self.meta.get("direction", "max"))
