"""Read-side queries of a campaign database, as tables (:class:`CampaignStore` calls these).

Each function takes an open connection to a database described by :mod:`molpred.campaign.schema`
and only reads.
"""

from __future__ import annotations

import sqlite3

import numpy as np
import pandas as pd

__all__ = ["compounds", "proposals", "measured", "results", "history"]


def compounds(conn: sqlite3.Connection) -> pd.DataFrame:
    """The library: columns ``id, smiles, canonical_smiles, status, error``, by id."""
    frame = pd.read_sql_query("SELECT id, smiles, canonical_smiles, status, error FROM compounds ORDER BY id", conn)
    frame["id"] = frame["id"].astype("int64")
    return frame


def proposals(conn: sqlite3.Connection, round: int | None = None) -> pd.DataFrame:
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
    frame = pd.read_sql_query(query.format(where=where), conn, params=params)
    for col in ("acquisition", "mean", "std", "value"):
        frame[col] = frame[col].astype("float64")
    for col in ("round", "rank", "compound_id", "n_measurements"):
        frame[col] = frame[col].astype("int64")
    return frame


def measured(conn: sqlite3.Connection) -> pd.DataFrame:
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
        conn,
    )
    frame["value_std"] = np.sqrt(np.clip(frame.pop("var").astype("float64"), 0, None))
    frame = frame.drop(columns="first")
    frame["compound_id"] = frame["compound_id"].astype("Int64")
    frame["value"] = frame["value"].astype("float64")
    frame["n_measurements"] = frame["n_measurements"].astype("int64")
    return frame


def results(conn: sqlite3.Connection, rejected: bool = False) -> pd.DataFrame:
    """Every stored measurement row (or every rejected row with its reason)."""
    table = "rejected_results" if rejected else "results"
    return pd.read_sql_query(f"SELECT * FROM {table} ORDER BY id", conn)


def history(conn: sqlite3.Connection, direction: str = "max") -> pd.DataFrame:
    """Progress per round.

    Returns
    -------
    pandas.DataFrame
        One row per round: ``round, created_at, state, n_train, n_proposed,
        n_measured`` (proposals of that round with at least one result),
        ``best_in_round`` (best measured value among them) and ``best_so_far`` (best
        over all results attributed to rounds up to this one, plus results not tied to
        any proposal, such as starting data). "Best" follows ``direction`` ("max" or "min").
    """
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
        conn,
    )
    frame["n_train"] = frame["n_train"].astype("Int64")
    for col in ("best_in_round", "best_so_far"):
        frame[col] = frame[col].astype("float64")
    return frame
