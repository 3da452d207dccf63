"""One round of a campaign: train a surrogate, score the remaining pool, choose a batch.

:func:`propose_batch` is the single step shared by :class:`molpred.campaign.Campaign`
(persistent, one round per ``next``) and :func:`molpred.campaign.simulate` (retrospective,
in memory), so a simulation measures exactly what a real campaign would do.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from molpred.campaign.acquisition import AcquisitionConfig, score
from molpred.campaign.batch import DIVERSITY_MODES, select_batch
from molpred.campaign.pool import CandidatePool
from molpred.campaign.surrogate import SurrogateConfig, make_surrogate

__all__ = ["BatchConfig", "Proposal", "propose_batch", "score_pool", "MIN_TRAIN"]

MIN_TRAIN = 5
"""Below this many measurements a surrogate is not trained: the batch is seeded random."""

_SCORE_CHUNK = 65536


@dataclass(frozen=True)
class BatchConfig:
    """How many compounds a round proposes and how they are spread.

    Parameters
    ----------
    size : int
        Batch size (>= 1).
    diversity : {None, "tanimoto", "cluster"}
        See :func:`molpred.campaign.batch.select_batch`.
    threshold : float
        Tanimoto exclusion threshold for ``"tanimoto"``.
    n_clusters : int, optional
        Clusters for ``"cluster"`` (default: the batch size).
    """

    size: int = 100
    diversity: str | None = None
    threshold: float = 0.7
    n_clusters: int | None = None

    def __post_init__(self) -> None:
        if int(self.size) != self.size or self.size < 1:
            raise ValueError(f"batch size must be an integer >= 1, got {self.size!r}")
        div = None if self.diversity in (None, "", "none") else str(self.diversity).lower()
        if div not in DIVERSITY_MODES:
            raise ValueError(f"unknown diversity {self.diversity!r}; choose none, tanimoto or cluster")
        object.__setattr__(self, "diversity", div)
        if not 0 < self.threshold <= 1:
            raise ValueError(f"threshold must be in (0, 1], got {self.threshold}")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> BatchConfig:
        return cls(**{k: d[k] for k in cls.__dataclass_fields__ if k in d})


@dataclass(frozen=True, eq=False)
class Proposal:
    """A proposed batch.

    Attributes
    ----------
    frame : pandas.DataFrame
        One row per proposed compound, best first: ``pool_index`` (position in the pool),
        ``rank`` (0 = measure first), ``mean``, ``std`` (NaN for a random batch) and
        ``acquisition`` (the score that chose it).
    model_info : dict
        Strategy, surrogate settings and validation metrics, timings.
    """

    frame: pd.DataFrame
    model_info: dict = field(default_factory=dict)


def score_pool(surrogate, pool: CandidatePool, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Predicted mean and std of pool rows ``idx``, in chunks (bounded memory).

    This is the one place a campaign scores its pool; a streaming screening engine can
    replace it without touching the loop.

    Returns
    -------
    mean, std : numpy.ndarray
        ``len(idx)`` each; NaN for molecules the surrogate cannot score.
    """
    idx = np.asarray(idx, dtype=np.int64)
    mean = np.full(len(idx), np.nan)
    std = np.full(len(idx), np.nan)
    for start in range(0, len(idx), _SCORE_CHUNK):
        m, s = surrogate.predict(pool, idx[start : start + _SCORE_CHUNK])
        mean[start : start + len(m)], std[start : start + len(s)] = m, s
    return mean, std


def propose_batch(
    pool: CandidatePool,
    candidates: np.ndarray,
    train_idx: np.ndarray,
    train_y: np.ndarray,
    *,
    surrogate: SurrogateConfig,
    acquisition: AcquisitionConfig,
    batch: BatchConfig,
    direction: str = "max",
    seed: int = 0,
) -> Proposal:
    """Train a fresh surrogate on the measurements and choose the next batch.

    Parameters
    ----------
    pool : CandidatePool
    candidates : numpy.ndarray
        ``n_cand`` pool positions that may be proposed (not measured, not pending, usable).
    train_idx : numpy.ndarray
        ``n_train`` pool positions with a measurement.
    train_y : numpy.ndarray
        ``n_train`` measured values (finite).
    surrogate, acquisition, batch : configs
    direction : {"max", "min"}
        Whether higher or lower values are better.
    seed : int
        Seeds the surrogate, Thompson/random draws and k-means; use a different one per round.

    Returns
    -------
    Proposal
        ``min(batch.size, n_usable_candidates)`` rows. With fewer than :data:`MIN_TRAIN`
        measurements (e.g. the first round) or ``acquisition.name == "random"`` the batch is
        a seeded random sample and no surrogate is trained.
    """
    t0 = time.perf_counter()
    candidates = np.asarray(candidates, dtype=np.int64)
    candidates = candidates[pool.ok[candidates]]
    train_idx = np.asarray(train_idx, dtype=np.int64)
    train_y = np.asarray(train_y, dtype=np.float64)
    keep = np.isfinite(train_y) & pool.ok[train_idx]
    train_idx, train_y = train_idx[keep], train_y[keep]
    sign = 1.0 if direction == "max" else -1.0
    info: dict = {"acquisition": acquisition.to_dict(), "batch": batch.to_dict(), "direction": direction, "seed": seed}

    if acquisition.name == "random" or len(train_idx) < MIN_TRAIN:
        why = "random acquisition" if acquisition.name == "random" else f"fewer than {MIN_TRAIN} measurements"
        rng = np.random.default_rng(seed)
        acq = rng.random(len(candidates))
        mean = std = np.full(len(candidates), np.nan)
        info.update(strategy=f"seeded random batch ({why})", n_train=int(len(train_idx)))
        fit_s = 0.0
    else:
        model = make_surrogate(surrogate, seed=seed)
        info.update(strategy="surrogate", model=model.fit(pool, train_idx, train_y))
        fit_s = time.perf_counter() - t0
        mean, std = score_pool(model, pool, candidates)
        best = float(np.max(sign * train_y))
        acq = score(acquisition, sign * mean, std, best=best, seed=seed)
        info["n_train"] = int(len(train_idx))

    t1 = time.perf_counter()
    fps = pool.fingerprints()[candidates] if batch.diversity else None
    chosen = select_batch(
        acq, batch.size, fingerprints=fps, diversity=batch.diversity,
        threshold=batch.threshold, n_clusters=batch.n_clusters, seed=seed,
    )
    frame = pd.DataFrame(
        {
            "pool_index": candidates[chosen],
            "rank": np.arange(len(chosen), dtype=np.int64),
            "mean": mean[chosen],
            "std": std[chosen],
            "acquisition": acq[chosen],
        }
    )
    info["timing"] = {
        "fit_seconds": round(fit_s, 3),
        "score_seconds": round(t1 - t0 - fit_s, 3),
        "select_seconds": round(time.perf_counter() - t1, 3),
        "n_scored": int(len(candidates)),
    }
    return Proposal(frame, info)
