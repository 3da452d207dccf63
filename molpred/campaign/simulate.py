"""Retrospective campaigns: run the loop against known values and count the top-k found.

The oracle gives the value of every library member that has one; members without a value
are *failed evaluations* (they use budget and teach nothing), as in the MolPAL protocol
(Graff et al., Chem. Sci. 2021): an initial random batch, then rounds of acquisition with a
surrogate retrained from scratch, scored by MolPAL's three top-k metrics after every round
(:mod:`molpred.campaign.metrics`: fraction of the top-k *scores* found with MolPAL's tie rule,
fraction of the top-k molecules found, average top-k value found).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from molpred.campaign.acquisition import AcquisitionConfig
from molpred.campaign.metrics import top_k_metrics, top_k_order
from molpred.campaign.pool import CandidatePool
from molpred.campaign.proposal import BatchConfig, propose_batch
from molpred.campaign.surrogate import SurrogateConfig

__all__ = ["simulate", "true_top_k", "oracle_values"]


def oracle_values(pool: CandidatePool, oracle: pd.DataFrame, value_col: str = "value",
                  smiles_col: str = "smiles", raw_smiles: Sequence[str] | None = None) -> np.ndarray:
    """Known value of each pool member (matched by canonical SMILES), NaN when unknown.

    Parameters
    ----------
    pool : CandidatePool
    oracle : pandas.DataFrame
        Table with a SMILES and a value column. Duplicate molecules: the first value wins.
    value_col, smiles_col : str
    raw_smiles : sequence of str, optional
        The library's SMILES as written (``n_pool``); oracle rows spelled exactly the same
        are matched without standardising them again (much faster for big libraries).

    Returns
    -------
    numpy.ndarray
        ``n_pool`` float64.
    """
    from molpred.chem import standardize_many

    raw = oracle[smiles_col].tolist()
    values = pd.to_numeric(oracle[value_col], errors="coerce").to_numpy(dtype=np.float64)
    known = {} if raw_smiles is None else {r: c for r, c in zip(raw_smiles, pool.smiles) if c}
    todo = [i for i, s in enumerate(raw) if s not in known]
    canon: list[str | None] = [known.get(s) for s in raw]
    for i, rec in zip(todo, standardize_many([raw[i] for i in todo])):
        canon[i] = rec.smiles if rec.ok else None
    lookup: dict[str, float] = {}
    for c, v in zip(canon, values):
        if c and np.isfinite(v) and c not in lookup:
            lookup[c] = float(v)
    return np.array([lookup.get(s, np.nan) if s else np.nan for s in pool.smiles])


def true_top_k(values: np.ndarray, k: int, direction: str = "max") -> np.ndarray:
    """Pool positions of the ``k`` best known values (ties broken by position).

    Returns
    -------
    numpy.ndarray
        ``min(k, n_known)`` int64 positions.
    """
    return top_k_order(values, np.arange(len(values)), k, direction)


def simulate(
    pool: CandidatePool,
    values: np.ndarray,
    *,
    direction: str,
    surrogate: SurrogateConfig,
    acquisition: AcquisitionConfig,
    batch: BatchConfig,
    init_size: int,
    rounds: int,
    top_k: int | Sequence[int] = 100,
    seed: int = 0,
    on_round: Callable[[dict], None] | None = None,
) -> pd.DataFrame:
    """Run one retrospective campaign.

    Parameters
    ----------
    pool : CandidatePool
        The library (features are cached on it, so reuse one pool across runs).
    values : numpy.ndarray
        ``n_pool`` oracle values, NaN = failed evaluation.
    direction : {"max", "min"}
    surrogate, acquisition, batch : configs
        ``batch.size`` compounds per acquisition round.
    init_size : int
        Size of the initial seeded random batch (round 0).
    rounds : int
        Acquisition rounds after the initial batch.
    top_k : int or sequence of int
        Size(s) of the true top set to look for.
    seed : int
        Campaign seed; round ``r`` uses ``seed * 1000 + r``.
    on_round : callable, optional
        Called with each round's record (e.g. to write results incrementally).

    Returns
    -------
    pandas.DataFrame
        One row per round (0 = initial batch): ``round, n_evaluated, n_failed, best``;
        per k, MolPAL's metrics (:func:`molpred.campaign.metrics.top_k_metrics`):
        ``top<k>_scores`` (fraction of the true top-k scores found, ties counted as MolPAL
        does: the headline metric), ``top<k>_smiles`` (fraction of the true top-k molecules
        found), ``top<k>_avg_score`` and ``top<k>_avg_fraction`` (mean value of the best k
        found, and its ratio to the true top-k mean), plus ``found_top<k>`` (the same number
        as ``top<k>_smiles``, under its earlier name); ``fit_seconds, round_seconds`` (wall
        time of the round's training and of the whole round), ``round_cpu_seconds`` (CPU time
        of this process in the round: on a shared machine, the cost without the waiting) and
        ``val_spearman``.
    """
    values = np.asarray(values, dtype=np.float64)
    ks = [top_k] if isinstance(top_k, int | np.integer) else list(top_k)
    tops = {k: true_top_k(values, k, direction) for k in ks}
    acquired = np.zeros(len(pool), dtype=bool)
    records = []
    for rnd in range(rounds + 1):
        t0, cpu0 = time.perf_counter(), time.process_time()
        measured = np.flatnonzero(acquired & np.isfinite(values))
        candidates = np.flatnonzero(~acquired & pool.ok)
        cfg = batch if rnd else BatchConfig(init_size, None)
        acq = AcquisitionConfig("random") if rnd == 0 else acquisition
        prop = propose_batch(
            pool, candidates, measured, values[measured], surrogate=surrogate, acquisition=acq,
            batch=cfg, direction=direction, seed=seed * 1000 + rnd,
        )
        acquired[prop.frame["pool_index"].to_numpy()] = True
        got = np.flatnonzero(acquired)
        finite = values[got][np.isfinite(values[got])]
        rec = {
            "round": rnd,
            "n_evaluated": int(len(got)),
            "n_failed": int(len(got) - len(finite)),
            "best": float((finite.max() if direction == "max" else finite.min()) if len(finite) else np.nan),
        }
        for k in ks:
            m = top_k_metrics(values, got, k, direction, true_top=tops[k])
            rec.update(m.to_dict(prefix=f"top{k}_"))
            rec[f"found_top{k}"] = m.smiles  # earlier name of top<k>_smiles (identical definition)
        rec.update({
            "fit_seconds": prop.model_info.get("timing", {}).get("fit_seconds", 0.0),
            "round_seconds": round(time.perf_counter() - t0, 3),
            "round_cpu_seconds": round(time.process_time() - cpu0, 3),  # this process's CPU: load-independent
        })
        val = prop.model_info.get("model", {}).get("validation", {})
        rec["val_spearman"] = val.get("spearman")
        records.append(rec)
        if on_round is not None:
            on_round(rec)
    return pd.DataFrame(records)
