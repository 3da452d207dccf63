"""Diverse selection from fingerprints: best-scoring diverse hits and MaxMin picking.

:func:`diverse_top_k` is the "sphere exclusion in score order" used to turn a ranked screen
into a shortlist: walk the candidates from best to worst score and keep one only if it is
not too similar to anything already kept. :func:`maxmin_pick` ignores scores and spreads
``k`` picks over chemical space (Ashton et al., Quant. Struct.-Act. Relat. 2002).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from rdkit import DataStructs
from rdkit.SimDivFilters import rdSimDivPickers
from scipy import sparse

__all__ = ["diverse_top_k", "maxmin_pick"]

_MIN_BLOCK = 64
_MAX_BLOCK = 2048
_MAX_PAIRS = 4_000_000  # bounds the transient similarity matrix to ~100 MB


def _as_dense(fingerprints) -> np.ndarray:
    """``n x n_bits`` array from a 2-D array or a sequence of RDKit bit vectors."""
    if isinstance(fingerprints, np.ndarray):
        if fingerprints.ndim != 2:
            raise ValueError(f"fingerprints must be 2-D (n x n_bits), not {fingerprints.shape}")
        return fingerprints
    fps = list(fingerprints)
    if not fps:
        return np.zeros((0, 0), dtype=np.uint8)
    if isinstance(fps[0], DataStructs.ExplicitBitVect):
        out = np.zeros((len(fps), fps[0].GetNumBits()), dtype=np.uint8)
        for i, fp in enumerate(fps):
            out[i, list(fp.GetOnBits())] = 1
        return out
    arr = np.asarray(fps)
    if arr.ndim != 2:
        raise ValueError(f"fingerprints must be 2-D (n x n_bits), got shape {arr.shape}")
    return arr


def _csr_from_bits(bits: list[np.ndarray], n_bits: int) -> sparse.csr_matrix:
    """``len(bits) x n_bits`` 0/1 CSR matrix from per-row on-bit indices."""
    indptr = np.zeros(len(bits) + 1, dtype=np.int64)
    np.cumsum([len(b) for b in bits], out=indptr[1:])
    indices = np.concatenate(bits) if bits else np.zeros(0, dtype=np.int32)
    data = np.ones(len(indices), dtype=np.int32)
    return sparse.csr_matrix((data, indices, indptr), shape=(len(bits), n_bits))


def _similar_pairs(x, x_cnt, y, y_cnt, threshold: float) -> tuple[np.ndarray, np.ndarray]:
    """Pairs ``(i, j)`` with Tanimoto(x_i, y_j) >= threshold, from a sparse product.

    Only pairs sharing at least one bit appear in ``x @ y.T``; the others have
    similarity 0 and are similar only when ``threshold <= 0``.
    """
    if threshold <= 0:
        r, c = np.meshgrid(np.arange(x.shape[0]), np.arange(y.shape[0]), indexing="ij")
        return r.ravel(), c.ravel()
    inter = (x @ y.T).tocoo()
    a = inter.data.astype(np.float64)
    union = x_cnt[inter.row] + y_cnt[inter.col] - a
    hit = a / union >= threshold  # union >= a > 0 for stored entries
    return inter.row[hit], inter.col[hit]


def _similar_rows(x, x_cnt, y, y_cnt, threshold: float) -> np.ndarray:
    """Rows of ``x`` with similarity >= threshold to at least one row of ``y``."""
    return np.unique(_similar_pairs(x, x_cnt, y, y_cnt, threshold)[0])


def diverse_top_k(
    fingerprints: np.ndarray | Sequence,
    scores: np.ndarray | Sequence[float],
    k: int,
    threshold: float,
    higher_is_better: bool = True,
) -> np.ndarray:
    """Best-scoring candidates such that no two picks are similar (greedy, in score order).

    Candidates are visited from best to worst score (ties broken by lower index, so the
    result is deterministic); a candidate is accepted if its Tanimoto similarity to every
    pick so far is **strictly below** ``threshold``, and the walk stops after ``k`` picks.
    Hence no two picks have similarity ``>= threshold``, and the first pick is the best
    candidate. ``threshold=1.0`` only removes fingerprint duplicates; ``threshold > 1``
    disables the diversity constraint (plain top-k). Candidates with a NaN score are never
    picked. An all-zero fingerprint has similarity 0 to everything.

    The walk goes in blocks: each block is compared against all picks with one sparse
    matrix product (fingerprints are sparse: ~50 of 2048 bits on for ECFP4), then the
    survivors are resolved among themselves. The cost grows with candidates visited x
    picks: on 10^5 ECFP4 fingerprints (a loaded 2-core machine, CPU time) k=1000 at
    threshold 0.35 takes 0.2 s, a full walk keeping ~2,000 picks 8 s, and a full walk
    keeping ~9,000 picks about a minute.

    Parameters
    ----------
    fingerprints : numpy.ndarray or sequence of rdkit ExplicitBitVect
        ``n x n_bits`` fingerprints; any non-zero entry counts as an on bit (so count
        fingerprints are binarised).
    scores : array-like
        ``n`` scores.
    k : int
        Maximum number of picks (fewer are returned when the candidates run out).
    threshold : float
        Similarity at or above which a candidate is rejected.
    higher_is_better : bool
        Sort scores descending (True) or ascending (False, e.g. docking scores).

    Returns
    -------
    numpy.ndarray
        ``<= k`` int64 indices into ``fingerprints``, in pick (score) order.

    Examples
    --------
    >>> fps = np.array([[1, 1, 0, 0], [1, 1, 0, 0], [0, 0, 1, 1]])
    >>> diverse_top_k(fps, [3.0, 2.0, 1.0], k=2, threshold=0.7).tolist()
    [0, 2]
    """
    fps = _as_dense(fingerprints)
    scores = np.asarray(scores, dtype=np.float64).reshape(-1)
    if len(scores) != len(fps):
        raise ValueError(f"{len(fps)} fingerprints but {len(scores)} scores")
    if k < 0:
        raise ValueError(f"k must be >= 0, got {k}")
    finite = np.flatnonzero(~np.isnan(scores))
    key = -scores[finite] if higher_is_better else scores[finite]
    order = finite[np.argsort(key, kind="stable")]  # stable: ties keep index order
    if k == 0 or len(order) == 0:
        return np.zeros(0, dtype=np.int64)

    n_bits = fps.shape[1]
    picks: list[int] = []
    acc_bits: list[np.ndarray] = []  # on-bit indices of each pick
    pos, block = 0, int(np.clip(2 * k, _MIN_BLOCK, _MAX_BLOCK))
    while len(picks) < k and pos < len(order):
        idx = order[pos : pos + block]
        pos += len(idx)
        x = sparse.csr_matrix(fps[idx] != 0, dtype=np.int32)
        x_cnt = np.diff(x.indptr)
        alive = np.ones(len(idx), dtype=bool)
        m = len(picks)
        if m:
            acc = _csr_from_bits(acc_bits, n_bits)
            alive[_similar_rows(x, x_cnt, acc, np.diff(acc.indptr), threshold)] = False
        live = np.flatnonzero(alive)
        if live.size:
            xl = x[live]
            conflict = np.zeros((live.size, live.size), dtype=bool)
            rows, cols = _similar_pairs(xl, x_cnt[live], xl, x_cnt[live], threshold)
            conflict[rows, cols] = True
            killed = np.zeros(live.size, dtype=bool)
            for j in range(live.size):
                if killed[j]:
                    continue
                picks.append(int(idx[live[j]]))
                acc_bits.append(xl.indices[xl.indptr[j] : xl.indptr[j + 1]])
                if len(picks) == k:
                    break
                killed[j + 1 :] |= conflict[j, j + 1 :]
        # Size the next block to what is still needed at the observed acceptance rate.
        # The block x picks product is nearly dense (common bits), so also cap its size.
        rate = max((len(picks) - m) / len(idx), 1e-3)
        cap = max(_MIN_BLOCK, _MAX_PAIRS // max(len(picks), 1))
        block = int(np.clip(1.5 * (k - len(picks)) / rate, _MIN_BLOCK, min(_MAX_BLOCK, cap)))
    return np.asarray(picks, dtype=np.int64)


def maxmin_pick(fingerprints: np.ndarray | Sequence, k: int, seed: int = 0) -> np.ndarray:
    """``k`` mutually distant molecules by MaxMin picking (RDKit ``LazyBitVectorPick``).

    Parameters
    ----------
    fingerprints : numpy.ndarray or sequence of rdkit ExplicitBitVect
        ``n x n_bits`` binary fingerprints (non-zero = on) or RDKit bit vectors.
    k : int
        Number of picks; capped at ``n``.
    seed : int
        Seed for the first pick; the same seed gives the same picks.

    Returns
    -------
    numpy.ndarray
        ``min(k, n)`` int64 indices, in pick order.
    """
    if isinstance(fingerprints, np.ndarray) or (
        len(fingerprints) and not isinstance(fingerprints[0], DataStructs.ExplicitBitVect)
    ):
        dense = _as_dense(fingerprints)
        bvs = []
        for row in dense:
            bv = DataStructs.ExplicitBitVect(dense.shape[1])
            bv.SetBitsFromList(np.flatnonzero(row).tolist())
            bvs.append(bv)
    else:
        bvs = list(fingerprints)
    k = min(int(k), len(bvs))
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    picker = rdSimDivPickers.MaxMinPicker()
    picks = picker.LazyBitVectorPick(bvs, len(bvs), k, seed=int(seed))
    return np.asarray(list(picks), dtype=np.int64)
