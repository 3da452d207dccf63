"""Similarity kernels of fingerprints: Tanimoto on bits, MinMax on counts, and their mean over
fingerprint kinds. The kernel learners (:mod:`molpred.learners.kernel`) and the stack's shared
Gram matrices (:mod:`molpred.learners.stack`) compute every similarity here.
"""

from __future__ import annotations

import numpy as np

__all__ = ["KERNELS", "MULTI_BLOCKS", "tanimoto_kernel", "minmax_kernel", "multi_kernel", "kernel_matrix",
           "self_similarity"]

# Tanimoto on ECFP4 bits; MinMax (Tanimoto generalised to counts) on ECFP4 counts; the mean of the
# MinMax kernels of ECFP4, atom-pair and topological-torsion counts (featurizer multi_raw_counts)
KERNELS = ("tanimoto", "minmax", "multi")
MULTI_BLOCKS = 3  # count blocks of a multi_raw_counts record


def tanimoto_kernel(a: np.ndarray, b: np.ndarray, chunk: int = 4096) -> np.ndarray:
    """Tanimoto similarities of binary fingerprints, float64.

    Parameters
    ----------
    a : numpy.ndarray
        ``n_a x n_bits`` 0/1 (any numeric dtype).
    b : numpy.ndarray
        ``n_b x n_bits`` 0/1.

    Returns
    -------
    numpy.ndarray
        ``n_a x n_b``; two empty fingerprints have similarity 0.

    Notes
    -----
    Bit intersections are small integers, exact in float32, so the products run in float32
    with ``a`` as a sparse matrix (a few percent of fingerprint bits are set: half the work of a
    dense product); the values equal a float64 computation exactly.
    """
    from scipy.sparse import csr_matrix

    b = np.asarray(b, dtype=np.float32)
    nb = b.sum(1, dtype=np.float64)
    out = np.empty((len(a), len(b)), dtype=np.float64)
    for start in range(0, len(a), chunk):
        block = csr_matrix(np.asarray(a[start:start + chunk]), dtype=np.float32)
        inter = np.asarray(block @ b.T, dtype=np.float64)
        union = np.asarray(block.sum(1), dtype=np.float64) + nb[None, :] - inter
        out[start:start + chunk] = np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)
    return out


def minmax_kernel(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """MinMax similarity of count fingerprints, ``sum(min(a, b)) / sum(max(a, b))``, float64.

    Computed exactly with one matrix product per count level:
    ``sum(min(a, b)) = sum_k [a >= k] . [b >= k]`` and ``max = a + b - min``.

    Parameters
    ----------
    a : numpy.ndarray
        ``n_a x n_bits`` non-negative integer counts.
    b : numpy.ndarray
        ``n_b x n_bits``.

    Returns
    -------
    numpy.ndarray
        ``n_a x n_b``; two empty fingerprints have similarity 0 (equal to the Tanimoto
        kernel on 0/1 inputs).
    """
    a = np.asarray(a, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    inter = np.zeros((len(a), len(b)))
    top = int(max(a.max(initial=0), b.max(initial=0)))
    for k in range(1, top + 1):
        inter += (a >= k).astype(np.float64) @ (b >= k).astype(np.float64).T
    union = a.sum(1)[:, None] + b.sum(1)[None, :] - inter
    return np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)


def multi_kernel(a: np.ndarray, b: np.ndarray, blocks: int = MULTI_BLOCKS) -> np.ndarray:
    """Mean of the MinMax kernels of ``blocks`` equal column blocks (one per fingerprint kind).

    A mean of kernels is a kernel; each kind sees the molecule differently (circular
    neighbourhoods, atom pairs at every distance, 4-atom paths), and on MoleculeACE the mean
    predicts better than ECFP4 counts alone (``benchmarks/results/learners_moleculeace.md``).

    Parameters
    ----------
    a : numpy.ndarray
        ``n_a x (blocks * n_bits)`` non-negative integer counts.
    b : numpy.ndarray
        ``n_b x (blocks * n_bits)``.
    blocks : int

    Returns
    -------
    numpy.ndarray
        ``n_a x n_b`` float64 in [0, 1].
    """
    if a.shape[1] != b.shape[1] or a.shape[1] % blocks:
        raise ValueError(f"multi kernel needs {blocks} equal blocks in both inputs, got widths {a.shape[1]} "
                         f"and {b.shape[1]}")
    w = a.shape[1] // blocks
    return sum(minmax_kernel(a[:, i * w:(i + 1) * w], b[:, i * w:(i + 1) * w]) for i in range(blocks)) / blocks


def kernel_matrix(kind: str, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``n_a x n_b`` similarities with kernel ``kind`` (:data:`KERNELS`)."""
    if kind == "tanimoto":
        return tanimoto_kernel(a, b)
    return multi_kernel(a, b) if kind == "multi" else minmax_kernel(a, b)


def self_similarity(kind: str, X: np.ndarray) -> np.ndarray:
    """Each row's kernel similarity with itself (``n`` float64): 1, or 0 for an empty fingerprint;
    for ``multi`` the share of its blocks that are not empty (a 3-atom molecule has no torsions)."""
    X = np.asarray(X)
    if kind == "multi":
        return (X.reshape(len(X), MULTI_BLOCKS, -1).sum(2) > 0).mean(1).astype(np.float64)
    return (X.sum(1) > 0).astype(np.float64)
