"""The screening campaign: choose what to test next, round after round, with persistent state.

>>> campaign = Campaign.create("camp.sqlite", "library.csv", objective="pIC50",
...                            direction="max")                        # doctest: +SKIP
>>> batch = campaign.next()         # round 1: seeded random batch      # doctest: +SKIP
>>> campaign.add_results("lab_results_round1.csv")                      # doctest: +SKIP
>>> batch = campaign.next()         # round 2: surrogate + acquisition  # doctest: +SKIP

Everything lives in one :class:`~molpred.campaign.store.CampaignStore` (SQLite): each
proposal (round, ranks, predicted mean/std, acquisition values, surrogate metadata) and each
results file is written in a single transaction after all computation is done, so a crash or
kill at any point leaves the previous state intact, and ``next`` can simply be run again.
``next`` is idempotent: while a round waits for its results it returns the same batch
without retraining.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from molpred.campaign.acquisition import AcquisitionConfig
from molpred.campaign.pool import CandidatePool
from molpred.campaign.proposal import BatchConfig, propose_batch
from molpred.campaign.store import CampaignStore, CampaignStoreError, ResultsSummary
from molpred.campaign.surrogate import SurrogateConfig
from molpred.types import PathType

__all__ = ["Campaign", "CampaignSettings", "write_batch"]

logger = logging.getLogger(__name__)

BATCH_COLUMNS = ["round", "rank", "compound_id", "smiles", "canonical_smiles", "predicted_mean",
                 "predicted_std", "acquisition"]


@dataclass(frozen=True)
class CampaignSettings:
    """Everything that defines how a campaign proposes batches (stored in the store's meta).

    Parameters
    ----------
    objective : str
        Name of the measured property (the results column by default).
    direction : {"max", "min"}
    surrogate : SurrogateConfig
    acquisition : AcquisitionConfig
    batch : BatchConfig
    seed : int
        Round ``r`` uses seed ``seed * 1000 + r``.
    """

    objective: str
    direction: str = "max"
    surrogate: SurrogateConfig = SurrogateConfig()
    acquisition: AcquisitionConfig = AcquisitionConfig()
    batch: BatchConfig = BatchConfig()
    seed: int = 0

    def __post_init__(self) -> None:
        if self.direction not in ("max", "min"):
            raise ValueError(f"direction must be 'max' or 'min', got {self.direction!r}")

    def to_meta(self) -> dict:
        return {
            "objective": self.objective, "direction": self.direction, "seed": int(self.seed),
            "surrogate": self.surrogate.to_dict(), "acquisition": self.acquisition.to_dict(),
            "batch": self.batch.to_dict(),
        }

    @classmethod
    def from_meta(cls, meta: dict) -> CampaignSettings:
        return cls(
            objective=meta["objective"], direction=meta.get("direction", "max"), seed=int(meta.get("seed", 0)),
            surrogate=SurrogateConfig.from_dict(meta.get("surrogate", {})),
            acquisition=AcquisitionConfig.from_dict(meta.get("acquisition", {})),
            batch=BatchConfig.from_dict(meta.get("batch", {})),
        )


class Campaign:
    """An active-learning campaign on a candidate library, backed by a campaign store.

    Create with :meth:`create`, reopen with :meth:`open`; use as a context manager or call
    :meth:`close`.
    """

    def __init__(self, store: CampaignStore):
        self.store = store
        self.settings = CampaignSettings.from_meta(store.meta)
        self._pool: CandidatePool | None = None

    # ------------------------------------------------------------------ lifecycle
    @classmethod
    def create(
        cls,
        path: PathType,
        library: pd.DataFrame | PathType,
        settings: CampaignSettings | None = None,
        *,
        smiles_col: str | None = None,
        progress: bool = False,
        **kwargs,
    ) -> Campaign:
        """Create a store holding the library (every row, invalid SMILES kept with a status).

        Parameters
        ----------
        path : str or os.PathLike
            Store file to create (never overwritten).
        library : pandas.DataFrame or path
            Candidates: a SMILES column (``smiles_col`` or guessed); other columns are ignored.
        settings : CampaignSettings, optional
            Or give its fields as keyword arguments (``objective=...``, ``direction=...``).
        smiles_col : str, optional
        progress : bool

        Returns
        -------
        Campaign

        Raises
        ------
        FileExistsError, molpred.exceptions.DataFileError, ValueError
        """
        from molpred.data.tables import read_table, resolve_column

        if settings is None:
            settings = CampaignSettings(**kwargs)
        elif kwargs:
            raise TypeError("give either settings or keyword settings, not both")
        frame = read_table(library) if not isinstance(library, pd.DataFrame) else library
        col = resolve_column(frame, smiles_col, "" if isinstance(library, pd.DataFrame) else library, "SMILES column")
        compounds = pd.DataFrame({"smiles": frame[col].tolist()})
        store = CampaignStore.create(path, settings.to_meta(), compounds, progress=progress)
        return cls(store)

    @classmethod
    def open(cls, path: PathType) -> Campaign:
        """Reopen an existing campaign store."""
        return cls(CampaignStore.open(path))

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Campaign:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ pool
    def _pool_and_frame(self) -> tuple[CandidatePool, pd.DataFrame]:
        frame = self.store.compounds_frame()
        if self._pool is None:
            smiles = [c if s == "ok" else None for c, s in zip(frame["canonical_smiles"], frame["status"])]
            cache = Path(self.store.path).with_name(Path(self.store.path).name + ".fp.npz")
            self._pool = CandidatePool(smiles, ids=frame["id"].to_numpy(), cache_path=cache)
        return self._pool, frame

    # ------------------------------------------------------------------ the loop
    def next(self) -> pd.DataFrame:
        """The batch to measure next.

        If a round is waiting for results, its batch is returned unchanged (no training).
        Otherwise a surrogate is trained from scratch on every measurement so far, the
        remaining pool (valid, not measured, not proposed earlier and still pending) is
        scored, and the new batch is stored in one transaction. With fewer than 5
        measurements (the first round) the batch is a seeded random sample.

        Returns
        -------
        pandas.DataFrame
            One row per compound, best first: ``round, rank, compound_id, smiles`` (as in
            the library), ``canonical_smiles, predicted_mean, predicted_std, acquisition``
            (NaN mean/std for a random batch). Empty when the pool is exhausted.
        """
        open_round = self.store.open_round()
        if open_round is not None:
            return self.batch(open_round)
        s = self.settings
        pool, frame = self._pool_and_frame()
        measured = self.store.measured()
        proposed = self.store.proposals()
        in_lib = measured["compound_id"].notna()
        pos_of = pd.Series(np.arange(len(frame)), index=frame["id"].to_numpy())
        train_pos = pos_of.loc[measured.loc[in_lib, "compound_id"].astype("int64")].to_numpy()
        train_y = measured.loc[in_lib, "value"].to_numpy(dtype=np.float64)
        extra = measured.loc[~in_lib]
        train_pool = pool
        if len(extra):  # measurements of molecules outside the library: training data only
            train_pool = pool.with_extra(extra["smiles"].tolist())
            train_pos = np.concatenate([train_pos, len(pool) + np.arange(len(extra))])
            train_y = np.concatenate([train_y, extra["value"].to_numpy(dtype=np.float64)])
        taken = np.zeros(len(frame), dtype=bool)
        taken[train_pos[train_pos < len(pool)]] = True
        taken[pos_of.loc[proposed["compound_id"]].to_numpy()] = True  # measured or still pending
        candidates = np.flatnonzero(~taken & pool.ok)
        rnd = (self.store.last_round() or 0) + 1
        if len(candidates) == 0:
            logger.warning("no candidates left: every valid compound was measured or proposed")
            return pd.DataFrame(columns=BATCH_COLUMNS)
        prop = propose_batch(
            train_pool, candidates, train_pos, train_y, surrogate=s.surrogate, acquisition=s.acquisition,
            batch=s.batch, direction=s.direction, seed=s.seed * 1000 + rnd,
        )
        if len(prop.frame) < s.batch.size:
            logger.warning("only %d candidates could be proposed (batch size %d)", len(prop.frame), s.batch.size)
        rows = prop.frame.assign(compound_id=frame["id"].to_numpy()[prop.frame["pool_index"].to_numpy()])
        self.store.record_proposal(rnd, rows, model_info=prop.model_info, n_train=int(len(train_y)))
        return self.batch(rnd)

    def batch(self, round: int) -> pd.DataFrame:
        """The proposals of ``round`` in the lab-sheet layout of :meth:`next`."""
        p = self.store.proposals(round)
        return p.rename(columns={"mean": "predicted_mean", "std": "predicted_std"})[BATCH_COLUMNS]

    def add_results(
        self,
        results: pd.DataFrame | PathType,
        *,
        value_col: str | None = None,
        smiles_col: str | None = None,
        source: str | None = None,
        allow_unknown: bool = False,
    ) -> ResultsSummary:
        """Record measured values; bad rows are stored as rejected with a reason.

        Parameters
        ----------
        results : pandas.DataFrame or path
            A table with ``smiles`` (or ``smiles_col``) and/or ``compound_id`` plus the value
            column (``value_col``, else ``value``, else the objective name).
        value_col, smiles_col : str, optional
        source : str, optional
            Label stored with each row (default: the file name).
        allow_unknown : bool
            Keep valid molecules outside the library as extra training data.

        Returns
        -------
        ResultsSummary

        Raises
        ------
        molpred.exceptions.DataFileError
            Unreadable or empty file, or a missing column (nothing is written).
        """
        from molpred.data.tables import read_table

        if isinstance(results, pd.DataFrame):
            frame, label = results, source or "dataframe"
        else:
            frame, label = read_table(results), source or Path(results).name
        if smiles_col is not None:
            if smiles_col not in frame.columns:
                from molpred.data.tables import resolve_column

                resolve_column(frame, smiles_col, label, "SMILES column")  # raises with a hint
            frame = frame.rename(columns={smiles_col: "smiles"})
        elif "smiles" not in frame.columns and "compound_id" not in frame.columns:
            from molpred.data.tables import resolve_column

            frame = frame.rename(columns={resolve_column(frame, None, label): "smiles"})
        if value_col is not None and value_col not in frame.columns:
            from molpred.data.tables import resolve_column

            resolve_column(frame, value_col, label, "value column")
        return self.store.add_results(frame, label, value_column=value_col, allow_unknown=allow_unknown)

    # ------------------------------------------------------------------ reporting
    def history(self) -> pd.DataFrame:
        """Per round: state, n_train, n_proposed, n_measured, best_in_round, best_so_far."""
        return self.store.history()

    def proposals(self, round: int | None = None) -> pd.DataFrame:
        """Every proposal with its acquisition value, prediction and measured value."""
        return self.store.proposals(round)

    def model_info(self, round: int) -> dict:
        """The surrogate metadata stored with ``round`` (settings, n_train, validation metrics)."""
        import json

        row = self.store.conn.execute("SELECT model_info FROM rounds WHERE round = ?", (int(round),)).fetchone()
        if row is None:
            raise CampaignStoreError(f"no round {round}")
        return json.loads(row[0])

    def best(self, n: int = 10) -> pd.DataFrame:
        """The ``n`` best measured compounds (by the campaign's direction)."""
        m = self.store.measured()
        return m.sort_values("value", ascending=self.settings.direction == "min", kind="stable").head(n)

    def top_k_progress(self, known: pd.DataFrame, k: int, value_col: str = "value",
                       smiles_col: str = "smiles") -> pd.DataFrame:
        """MolPAL's top-k metrics after each round, against known values of the library.

        For a campaign whose library has known values (a retrospective run through a real
        store, or a reference set): after each round, how much of the true top-k the measured
        compounds cover (:func:`molpred.campaign.metrics.top_k_metrics`).

        Parameters
        ----------
        known : pandas.DataFrame
            SMILES and value columns; library members absent from it have no value.
        k : int
            Size of the true top set.
        value_col, smiles_col : str

        Returns
        -------
        pandas.DataFrame
            One row per round with a measured proposal: ``round, n_measured,
            top<k>_scores`` (MolPAL's headline: top-k scores found, ties counted),
            ``top<k>_smiles, top<k>_avg_score, top<k>_avg_fraction``.
        """
        from molpred.campaign.metrics import metric_columns, top_k_metrics, top_k_order
        from molpred.campaign.simulate import oracle_values

        pool, frame = self._pool_and_frame()
        values = oracle_values(pool, known, value_col, smiles_col, raw_smiles=frame["smiles"].tolist())
        direction = self.settings.direction
        true_top = top_k_order(values, np.arange(len(values)), k, direction)
        props = self.store.proposals()
        props = props[props["n_measurements"] > 0]
        pos_of = pd.Series(np.arange(len(frame)), index=frame["id"].to_numpy())
        rows = []
        for rnd in sorted(props["round"].unique()):
            got = pos_of.loc[props.loc[props["round"] <= rnd, "compound_id"]].to_numpy()
            m = top_k_metrics(values, got, k, direction, true_top=true_top)
            rows.append({"round": int(rnd), "n_measured": int(len(np.unique(got))), **m.to_dict(f"top{k}_")})
        return pd.DataFrame(rows, columns=["round", "n_measured", *metric_columns(k)])

    def summary(self) -> dict:
        """Counts for a status table: library size, invalid, measured, pending (proposed in an open
        round, no result yet), not measured (proposed in a completed round, no result), rejected
        result rows, rounds, the open round."""
        frame = self.store.compounds_frame()
        measured = self.store.measured()
        proposed = self.store.proposals()
        hist = self.store.history()
        open_rounds = set(hist.loc[hist["state"] == "proposed", "round"].tolist()) if len(hist) else set()
        unmeasured = proposed["n_measurements"].to_numpy() == 0
        in_open = proposed["round"].isin(open_rounds).to_numpy()
        # pending: proposed in a round still waiting for results; a completed round's
        # unmeasured proposals will not be measured (the lab skipped them)
        pending = int((unmeasured & in_open).sum())
        n_rejected = self.store.conn.execute("SELECT COUNT(*) FROM rejected_results").fetchone()[0]
        return {
            "n_compounds": int(len(frame)), "n_invalid": int((frame["status"] != "ok").sum()),
            "n_measured": int(len(measured)), "n_pending": pending,
            "n_not_measured": int((unmeasured & ~in_open).sum()), "n_rejected_rows": int(n_rejected),
            "n_rounds": int(self.store.last_round() or 0), "open_round": self.store.open_round(),
        }


def write_batch(batch: pd.DataFrame, path: PathType) -> Path:
    """Write a batch for the lab atomically (a kill leaves the old file or the new one).

    Parameters
    ----------
    batch : pandas.DataFrame
        From :meth:`Campaign.next`.
    path : path
        ``.csv`` (or ``.parquet``).

    Returns
    -------
    pathlib.Path
    """
    import os

    from molpred.data.tables import write_table

    path = Path(path)
    tmp = path.with_name(f".{path.stem}.{os.getpid()}.tmp{''.join(path.suffixes)}")
    write_table(batch, tmp)
    os.replace(tmp, path)
    return path
