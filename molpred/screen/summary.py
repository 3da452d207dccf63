"""What a screen did: :class:`ScreenSummary`, returned by :func:`molpred.screen.screen` and
written to ``<out>/summary.json``."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import pandas as pd

__all__ = ["ScreenSummary"]


@dataclass
class ScreenSummary:
    """What a screen did (also written to ``<out>/summary.json``).

    Attributes
    ----------
    out : str
        Results directory.
    n_rows : int
        Library rows; every one has a row in the shards.
    counts : dict
        Rows per status (:data:`molpred.screen.STATUSES`); ``ok`` rows were predicted and scored.
    n_ranked : int
        Rows with a finite score.
    n_hits : int
        Rows in ``top_hits.csv``.
    rank : {"domain", "raw"}
        Ranking used: ``domain`` when in-domain molecules were ranked first (out-of-domain
        ones in ``top_hits_out_of_domain.csv``), ``raw`` when every molecule competed on score.
    n_hits_out_of_domain : int
        Rows in ``top_hits_out_of_domain.csv`` (0 with ``rank="raw"``).
    n_chunks, n_chunks_resumed : int
        Shards in all, and shards found complete from an earlier run.
    seconds : float
        Wall time of this call.
    rows_per_second : float
        Rows processed by this call per second (resumed shards excluded).
    score : str
        Canonical score expression.
    columns : list of str
        Shard columns.
    top_hits : pandas.DataFrame
        The ranked hits (same as ``top_hits.csv``); not in ``summary.json``.
    out_of_domain_hits : pandas.DataFrame
        The best-scored molecules outside the domain (``top_hits_out_of_domain.csv``);
        not in ``summary.json``.
    """

    out: str
    n_rows: int
    counts: dict
    n_ranked: int
    n_hits: int
    n_chunks: int
    n_chunks_resumed: int
    seconds: float
    rows_per_second: float
    score: str
    columns: list
    settings: dict = field(default_factory=dict)
    rank: str = "raw"
    n_hits_out_of_domain: int = 0
    top_hits: pd.DataFrame | None = field(default=None, repr=False)
    out_of_domain_hits: pd.DataFrame | None = field(default=None, repr=False)

    def to_dict(self) -> dict:
        d = asdict(self)
        d.pop("top_hits")
        d.pop("out_of_domain_hits")
        return d
