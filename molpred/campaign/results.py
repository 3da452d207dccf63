"""Measured results in, every row stored or rejected with its reason.

:func:`add_results` is what :meth:`CampaignStore.add_results` does: match each row to the
candidate library (by ``compound_id`` or canonical SMILES), store the accepted values and
the raw text of the rejected rows in one transaction, and complete the rounds that proposed
the measured compounds.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pandas as pd

from molpred.campaign.schema import CampaignStoreError, as_int, now, opt_float, raw_text

if TYPE_CHECKING:
    from molpred.campaign.store import CampaignStore

__all__ = ["ResultsSummary", "add_results"]


@dataclass(frozen=True, eq=False)
class ResultsSummary:
    """What :func:`add_results` did with a results table.

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


def add_results(
    store: CampaignStore,
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
    measurement; :meth:`CampaignStore.measured` reports their mean. Each result is
    attributed to the latest round that proposed the compound, and that round becomes
    ``completed``. One transaction.

    Parameters
    ----------
    store : CampaignStore
        The open store to add to.
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
    from molpred.chem import StandardizeConfig

    meta = store.meta
    if value_column is None:
        value_column = "value" if "value" in frame.columns else meta.get("objective")
    if value_column not in frame.columns:
        raise CampaignStoreError(
            f"results need a value column ('value' or {meta.get('objective')!r}); got {list(frame.columns)}"
        )
    has_id, has_smiles = "compound_id" in frame.columns, "smiles" in frame.columns
    if not (has_id or has_smiles):
        raise CampaignStoreError("results need a 'smiles' or a 'compound_id' column")
    config = StandardizeConfig.from_dict(meta.get("standardize") or {})
    conn = store.conn
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
        raw = (i, raw_text(smi), raw_text(cid), raw_text(v))
        value = opt_float(v)
        if value is None:
            rejected.append((*raw, f"value {raw[3]!r} is missing or not a finite number"))
            continue
        match, reason = _match(conn, cid, smi, config, allow_unknown)
        if reason:
            rejected.append((*raw, reason))
        else:
            accepted.append((match[0], match[1], value))

    added_at = now()
    with store.transaction() as conn:
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
                (cid, smi, value, source, rnd, added_at),
            )
        conn.executemany(
            "INSERT INTO rejected_results(row, smiles, compound_id, value, source, reason, added_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(*r[:4], source, r[4], added_at) for r in rejected],
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

def _match(conn: sqlite3.Connection, cid, smi, config, allow_unknown: bool):
    """``((compound_id or None, canonical smiles), "")`` or ``(None, reason)``."""
    from molpred.chem import to_mol_record

    cid_text = raw_text(cid)
    if cid_text is not None and cid_text.strip():
        compound_id = as_int(cid_text)
        if compound_id is None:
            return None, f"compound_id {cid_text!r} is not an integer"
        if not -(2**63) <= compound_id < 2**63:  # beyond SQLite INTEGER: cannot exist
            return None, f"unknown compound_id {compound_id} (not in the candidate library)"
        row = conn.execute("SELECT canonical_smiles FROM compounds WHERE id = ?", (compound_id,)).fetchone()
        if row is None:
            return None, f"unknown compound_id {compound_id} (not in the candidate library)"
        if raw_text(smi) is not None and str(smi).strip():
            record = to_mol_record(smi, config)
            if record.ok and row[0] is not None and record.smiles != row[0]:
                return None, (f"compound_id {compound_id} is {row[0]} but the row's smiles is {record.smiles}")
        return (compound_id, row[0] or ""), ""
    if raw_text(smi) is None or not str(smi).strip():
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
