"""How much of the true top-k a campaign has found: MolPAL's three metrics.

MolPAL (Graff et al., Chem. Sci. 2021; ``coleygroup/molpal``, ``scripts/experiment.py``)
reports, after each round, for the ``k`` best molecules acquired so far (the *found top-k*):

- **scores**: the fraction of the true top-k *scores* found. The true top-k scores and the
  found top-k scores are compared as multisets: each value counts as often as it occurs in
  both. A found molecule whose score equals the k-th best value therefore counts, up to the
  number of such ties inside the true top-k, whichever molecules they are. This is MolPAL's
  headline number ("Percentage of Top-k Scores Found").
- **smiles**: the fraction of the true top-k *molecules* found (identity). Ties at the k-th
  value are broken by pool position here, so this depends on an arbitrary order when the
  k-th value is shared (docking scores with one decimal are).
- **avg**: the mean score of the found top-k, and (as MolPAL reports it) its ratio to the
  mean of the true top-k scores.

Pure functions on numpy arrays; no model, no I/O.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass

import numpy as np

__all__ = ["TopKMetrics", "top_k_metrics", "top_k_order", "metric_columns"]


@dataclass(frozen=True)
class TopKMetrics:
    """MolPAL's metrics for one set of acquired molecules.

    Attributes
    ----------
    k : int
        Size of the true top set (``min(k, n_known)``).
    scores : float
        Fraction of the true top-k scores found (multiset overlap, MolPAL's tie rule).
    smiles : float
        Fraction of the true top-k molecules found (ties broken by pool position).
    avg_score : float
        Mean value of the found top-k (the best ``k`` acquired, fewer if fewer were acquired);
        NaN when nothing with a value was acquired.
    avg_fraction : float
        ``avg_score`` / mean of the true top-k values (MolPAL's "average top-k score"; 1.0 =
        as good as the true top-k; meaningful when all top values have the same sign).
    """

    k: int
    scores: float
    smiles: float
    avg_score: float
    avg_fraction: float

    def to_dict(self, prefix: str = "") -> dict:
        """Flat dict, keys prefixed (e.g. ``"top100_"``) for a results row."""
        return {f"{prefix}{key}": v for key, v in asdict(self).items() if key != "k"}


def metric_columns(k: int) -> list[str]:
    """Column names :func:`molpred.campaign.simulate` writes for ``top_k = k``."""
    return [f"top{k}_{m}" for m in ("scores", "smiles", "avg_score", "avg_fraction")]


def top_k_order(values: np.ndarray, idx: np.ndarray, k: int, direction: str = "max") -> np.ndarray:
    """The ``k`` best of pool positions ``idx`` by value, ties broken by position.

    Parameters
    ----------
    values : numpy.ndarray
        ``n_pool`` float values, NaN = unknown (never selected).
    idx : numpy.ndarray
        Candidate pool positions (any order, duplicates ignored).
    k : int
    direction : {"max", "min"}

    Returns
    -------
    numpy.ndarray
        ``min(k, n_finite)`` int64 positions, best first.
    """
    if direction not in ("max", "min"):
        raise ValueError(f"direction must be 'max' or 'min', got {direction!r}")
    idx = np.unique(np.asarray(idx, dtype=np.int64))  # sorted: a stable sort breaks ties by position
    idx = idx[np.isfinite(values[idx])]
    key = values[idx] if direction == "min" else -values[idx]
    return idx[np.argsort(key, kind="stable")[: max(int(k), 0)]]


def top_k_metrics(values: np.ndarray, acquired: np.ndarray, k: int, direction: str = "max",
                  true_top: np.ndarray | None = None) -> TopKMetrics:
    """MolPAL's three top-k metrics for the molecules acquired so far.

    Parameters
    ----------
    values : numpy.ndarray
        ``n_pool`` true values (oracle), NaN for members without one (failed evaluations).
    acquired : numpy.ndarray
        Pool positions acquired so far (``n_acquired`` int), or an ``n_pool`` bool mask.
    k : int
        Size of the true top set (>= 1).
    direction : {"max", "min"}
        Whether higher or lower values are better.
    true_top : numpy.ndarray, optional
        ``top_k_order(values, all positions, k, direction)``, precomputed (saves a sort of
        the whole pool per round).

    Returns
    -------
    TopKMetrics

    Examples
    --------
    Two molecules share the k-th best value; finding either one counts:

    >>> v = np.array([5.0, 4.0, 4.0, 1.0])
    >>> m = top_k_metrics(v, np.array([0, 2]), k=2)
    >>> m.scores, m.smiles
    (1.0, 0.5)
    """
    if int(k) != k or k < 1:
        raise ValueError(f"k must be a positive integer, got {k!r}")
    values = np.asarray(values, dtype=np.float64)
    acquired = np.asarray(acquired)
    if acquired.dtype == bool:
        if acquired.shape != values.shape:
            raise ValueError(f"acquired mask has shape {acquired.shape}, values {values.shape}")
        acquired = np.flatnonzero(acquired)
    if true_top is None:
        true_top = top_k_order(values, np.arange(len(values)), k, direction)
    true_top = np.asarray(true_top, dtype=np.int64)
    n_true = len(true_top)
    if n_true == 0:
        nan = float("nan")
        return TopKMetrics(0, nan, nan, nan, nan)
    found = top_k_order(values, acquired, n_true, direction)
    true_vals, found_vals = values[true_top], values[found]
    missed = Counter(true_vals.tolist())
    missed.subtract(found_vals.tolist())
    n_missed = sum(c for c in missed.values() if c > 0)
    smiles = len(np.intersect1d(true_top, found)) / n_true
    avg = float(found_vals.mean()) if len(found_vals) else float("nan")
    true_avg = float(true_vals.mean())
    frac = avg / true_avg if true_avg != 0 and np.isfinite(avg) else float("nan")
    return TopKMetrics(n_true, (n_true - n_missed) / n_true, smiles, avg, frac)
