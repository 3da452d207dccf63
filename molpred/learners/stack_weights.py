"""The weights of the ``model="auto"`` stack and how its members' predictions combine.

References
----------
Breiman, "Stacked regressions", Machine Learning 24, 49 (1996): non-negative stacking
weights on cross-validated predictions.
"""

from __future__ import annotations

import itertools

import numpy as np

__all__ = ["simplex_least_squares", "combine_members", "WEIGHT_FLOOR"]

WEIGHT_FLOOR = 1e-6  # weights below this are dropped (and the rest renormalised)


def simplex_least_squares(P: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Weights ``w`` (``m``) with ``w >= 0``, ``sum(w) = 1`` minimising ``||P w - y||^2``.

    Exact: for every subset of columns the equality-constrained problem is solved through its
    KKT system; the best subset whose solution is non-negative wins (smaller subsets win ties,
    so redundant candidates are dropped).

    Parameters
    ----------
    P : numpy.ndarray
        ``n x m`` candidate predictions.
    y : numpy.ndarray
        ``n`` targets.

    Returns
    -------
    numpy.ndarray
        ``m`` float64 weights.
    """
    P = np.asarray(P, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    m = P.shape[1]
    best, best_obj = None, np.inf
    for size in range(1, m + 1):
        for subset in itertools.combinations(range(m), size):
            A = P[:, subset]
            kkt = np.zeros((size + 1, size + 1))
            kkt[:size, :size] = 2.0 * A.T @ A
            kkt[:size, size] = kkt[size, :size] = 1.0
            rhs = np.concatenate([2.0 * A.T @ y, [1.0]])
            w = np.linalg.lstsq(kkt, rhs, rcond=None)[0][:size]
            if (w < -1e-10).any():
                continue
            w = np.clip(w, 0.0, None)
            w /= w.sum()
            obj = float(np.sum((A @ w - y) ** 2))
            if obj < best_obj * (1.0 - 1e-9) - 1e-12:
                best, best_obj = (subset, w), obj
    out = np.zeros(m)
    out[list(best[0])] = best[1]
    out[out < WEIGHT_FLOOR] = 0.0
    return out / out.sum()


def combine_members(weights: np.ndarray, means: list, stds: list) -> tuple[np.ndarray, np.ndarray | None]:
    """The stack's mean and the std of the weighted mixture of its members.

    Parameters
    ----------
    weights : numpy.ndarray
        ``m x t`` non-negative, summing to 1 over members.
    means : list of numpy.ndarray
        ``m`` arrays ``n x t``.
    stds : list of numpy.ndarray or None
        ``m`` entries: ``n x t`` predictive std of a member that gives one, else None.

    Returns
    -------
    mean : numpy.ndarray
        ``n x t``: ``sum_k w_k mean_k``.
    std : numpy.ndarray or None
        ``n x t``: ``sqrt(sum_{k with std} w_k std_k^2 / sum_{k with std} w_k
        + sum_k w_k (mean_k - mean)^2)``; None for a single member without a std.
    """
    W = np.asarray(weights)[:, None, :]  # m x 1 x t
    M = np.stack(means)  # m x n x t
    mean = np.sum(W * M, axis=0)
    spread = np.sum(W * (M - mean) ** 2, axis=0)
    have = [k for k, s in enumerate(stds) if s is not None]
    if not have and len(means) < 2:
        return mean, None
    var = np.zeros_like(mean)
    if have:
        Wh = W[have]
        S = np.nan_to_num(np.stack([stds[k] for k in have]), nan=0.0)
        total = Wh.sum(axis=0)
        var = np.divide(np.sum(Wh * S ** 2, axis=0), total, out=np.zeros_like(mean), where=total > 0)
    return mean, np.sqrt(var + spread)
