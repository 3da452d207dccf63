"""Gaussian-process surrogate of a campaign: exact GP with a Tanimoto kernel on pool fingerprints.

``"gp"`` (:class:`GPSurrogate`) wraps :class:`molpred.learners.kernel.TanimotoGP` (targets
standardised; signal and noise variances chosen by the log marginal likelihood on a grid)
on pool fingerprints (``features``): by default ``"atompair-full+morgan"``, 2048-bit atom
pairs over every topological distance (1-30, RDKit's default) and 2048-bit Morgan (radius 2)
side by side, one Tanimoto over the 4096 bits. Measured on Enamine 10k (UCB, 5 seeds; see
benchmarks/results/molpal.md): MolPAL's short atom pairs (1-3) alone find about 70% of the
top-100 scores, with Morgan bits beside them about 74%, full-range atom pairs with Morgan about
78%: long pairs carry the size and shape that docking scores follow. Its std is the GP's predictive standard deviation, so UCB and Thompson sampling
get a variance that comes from the data and the kernel rather than from network noise.
Exact GPs cost ``O(n_train^3)``: fine for the few thousand molecules a campaign measures
(:data:`molpred.learners.kernel.GP_MAX_TRAIN`).

The pool-by-training Tanimoto similarities come from
:func:`molpred.learners.kernel.tanimoto_kernel` (sparse float32 products, exact), in chunks: scoring 5 x 10^4
candidates against 2,500 measured ones costs about 20 s of one core, most of it the
posterior variance (``n_pool x n_train x n_train``).

References
----------
Rasmussen & Williams, "Gaussian Processes for Machine Learning", MIT Press (2006), ch. 2 and 5.
Griffiths et al., "GAUCHE: a library for Gaussian processes in chemistry", NeurIPS 2023
(Tanimoto-kernel GPs for molecular Bayesian optimisation).
"""

from __future__ import annotations

import time

import numpy as np

__all__ = ["GPSurrogate"]

_CHUNK = 4096


def _rows(pool, features: str, rows: np.ndarray) -> np.ndarray:
    """``len(rows) x (2048 * n_parts)`` 0/1 uint8: the pool fingerprints named in ``features``
    (``"+"``-joined :data:`molpred.campaign.pool.POOL_FEATURES` names) side by side."""
    parts = [pool.features(name)[rows] for name in features.split("+")]
    return parts[0] if len(parts) == 1 else np.hstack(parts)


class GPSurrogate:
    """Tanimoto-kernel Gaussian process on a pool fingerprint (see the module docstring).

    Parameters
    ----------
    config : molpred.campaign.SurrogateConfig
        ``kind="gp"``; uses ``features`` (one pool fingerprint or several joined by ``"+"``).
    seed : int
        Recorded; an exact GP with grid-chosen hyperparameters is deterministic.
    """

    def __init__(self, config, seed: int = 0):
        self.config = config
        self.seed = seed

    def fit(self, pool, train_idx: np.ndarray, y: np.ndarray) -> dict:
        """Fit the GP on pool rows ``train_idx`` with labels ``y``.

        Parameters
        ----------
        pool : molpred.campaign.CandidatePool
        train_idx : numpy.ndarray
            ``n_train`` pool positions.
        y : numpy.ndarray
            ``n_train`` finite labels.

        Returns
        -------
        dict
            Settings, ``n_train``, the chosen signal/noise variances and log marginal
            likelihood, time.
        """
        from molpred.learners.kernel import TanimotoGP

        t0 = time.perf_counter()
        x = _rows(pool, self.config.features, np.asarray(train_idx, dtype=np.int64))
        self.gp_ = TanimotoGP(seed=self.seed, kernel="tanimoto").fit(x, np.asarray(y, dtype=np.float64))
        self.gp_.free()
        self.train_ = x.astype(np.float32)
        return {
            "surrogate": self.config.to_dict(),
            "seed": self.seed,
            "n_train": int(len(y)),
            "validation": {"kind": "log marginal likelihood", **self.gp_.params_},
            "fit_seconds": round(time.perf_counter() - t0, 3),
        }

    def predict(self, pool, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Predictive mean and std (a new measurement's, noise included) for pool rows ``idx``.

        Returns
        -------
        mean, std : numpy.ndarray
            ``len(idx)`` each, original units; NaN for unusable molecules.
        """
        from molpred.learners.kernel import tanimoto_kernel

        idx = np.asarray(idx, dtype=np.int64)
        lam, U = self.gp_._eig()
        mean = np.full(len(idx), np.nan)
        std = np.full(len(idx), np.nan)
        for start in range(0, len(idx), _CHUNK):
            rows = idx[start : start + _CHUNK]
            x = _rows(pool, self.config.features, rows)
            kq = tanimoto_kernel(x, self.train_)
            self_sim = (x.sum(1) > 0).astype(np.float64)
            m, s = self.gp_._posterior(kq, self_sim, self.gp_.alpha_, lam, U)
            mean[start : start + len(rows)], std[start : start + len(rows)] = m, s
        bad = ~pool.ok[idx]
        mean[bad] = np.nan
        std[bad] = np.nan
        return mean, std
