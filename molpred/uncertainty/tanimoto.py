"""Tanimoto similarity on packed fingerprint bits (``np.packbits``), chunk by chunk.

Fingerprints stay packed (256 bytes per molecule for 2,048 bits); similarities are computed on
64-bit words with a popcount, one query chunk at a time, so the temporaries stay at about
``_CHUNK_BYTES`` whatever the number of queries; inside a chunk the popcount runs tile by tile
(``_TILE_PAIRS``) so its word-by-word temporaries stay in the CPU cache.
"""

from __future__ import annotations

import numpy as np

__all__ = ["packed_tanimoto", "tanimoto_chunks"]

# temporary memory one query chunk may use, and its cost per query-train pair (uint64 word,
# uint8 count, int16 intersection, int32 union, float32 similarity, masks and partition copy)
_CHUNK_BYTES = 32 * 2**20
_BYTES_PER_PAIR = 24
# query x training pairs per tile of the popcount loop (1 MB of uint64 temporaries), and the
# most training molecules a tile spans
_TILE_PAIRS = 2**17
_TILE_TRAIN = 4096

if hasattr(np, "bitwise_count"):  # numpy >= 2.0

    def _popcount_u64(x: np.ndarray, out: np.ndarray) -> np.ndarray:
        return np.bitwise_count(x, out=out)

else:  # pragma: no cover - numpy 1.x
    _LUT = np.array([bin(i).count("1") for i in range(256)], dtype=np.uint8)

    def _popcount_u64(x: np.ndarray, out: np.ndarray) -> np.ndarray:
        bytes_ = _LUT[x.view(np.uint8)].reshape(*x.shape, 8)
        return bytes_.sum(axis=-1, dtype=np.uint8, out=out)


def _as_words(packed: np.ndarray) -> np.ndarray:
    """View ``n x n_bytes`` packed bits as ``n x n_words`` uint64 (zero-padded, popcount-safe)."""
    packed = np.ascontiguousarray(packed, dtype=np.uint8)
    pad = (-packed.shape[1]) % 8
    if pad:
        packed = np.concatenate([packed, np.zeros((packed.shape[0], pad), np.uint8)], axis=1)
    return packed.view(np.uint64)


def _popcount_rows(words: np.ndarray) -> np.ndarray:
    out = np.empty(words.shape, dtype=np.uint8)
    return _popcount_u64(words, out).sum(axis=1, dtype=np.int32)


def tanimoto_chunks(query_packed: np.ndarray, train_packed: np.ndarray, chunk_size: int | None):
    """Yield ``(start, sims)`` with ``sims`` a ``chunk x n_train`` float32 Tanimoto block."""
    q_words = _as_words(query_packed)
    t_words_T = np.ascontiguousarray(_as_words(train_packed).T)  # n_words x n_train
    q_count = _popcount_rows(q_words)
    t_count = _popcount_rows(t_words_T.T)
    n_train = t_words_T.shape[1]
    if chunk_size is None:
        chunk_size = int(max(1, min(4096, _CHUNK_BYTES // (_BYTES_PER_PAIR * max(n_train, 1)))))
    sub_t = max(1, min(n_train, _TILE_TRAIN))
    sub_q = max(1, min(_TILE_PAIRS // sub_t, chunk_size, q_words.shape[0]))
    tmp_buf = np.empty(sub_q * sub_t, dtype=np.uint64)
    cnt_buf = np.empty(sub_q * sub_t, dtype=np.uint8)
    for start in range(0, q_words.shape[0], chunk_size):
        q = q_words[start : start + chunk_size]
        inter = np.zeros((q.shape[0], n_train), dtype=np.int16)  # <= 32767 bits
        # tiles of sub_q queries x sub_t training molecules keep the word-by-word
        # temporaries in the CPU cache (about 2x faster than chunk x n_train temporaries
        # at 2,000-20,000 training molecules; benchmarks/results/domain_speed.md)
        for i in range(0, q.shape[0], sub_q):
            qi = q[i : i + sub_q]
            for j in range(0, n_train, sub_t):
                tj = t_words_T[:, j : j + sub_t]
                shape = (qi.shape[0], tj.shape[1])
                tmp = tmp_buf[: shape[0] * shape[1]].reshape(shape)
                cnt = cnt_buf[: shape[0] * shape[1]].reshape(shape)
                block = inter[i : i + sub_q, j : j + sub_t]
                for w in range(tj.shape[0]):
                    np.bitwise_and(qi[:, w, None], tj[w][None, :], out=tmp)
                    block += _popcount_u64(tmp, cnt)
        union = q_count[start : start + q.shape[0], None] + t_count[None, :] - inter
        sims = np.zeros(inter.shape, dtype=np.float32)
        np.divide(inter, union, out=sims, where=union > 0)
        yield start, sims


def packed_tanimoto(a_packed: np.ndarray, b_packed: np.ndarray) -> np.ndarray:
    """Tanimoto similarity between packed fingerprints (``np.packbits(fp, axis=1)``).

    Parameters
    ----------
    a_packed : numpy.ndarray
        ``n_a x n_bytes`` uint8.
    b_packed : numpy.ndarray
        ``n_b x n_bytes`` uint8.

    Returns
    -------
    numpy.ndarray
        ``n_a x n_b`` float32; two empty fingerprints give 0 (as
        :func:`molpred.chem.tanimoto_matrix`).
    """
    a_packed, b_packed = np.asarray(a_packed), np.asarray(b_packed)
    if a_packed.ndim != 2 or b_packed.ndim != 2 or a_packed.shape[1] != b_packed.shape[1]:
        raise ValueError(f"incompatible packed shapes {a_packed.shape} and {b_packed.shape}")
    out = np.zeros((a_packed.shape[0], b_packed.shape[0]), dtype=np.float32)
    for start, sims in tanimoto_chunks(a_packed, b_packed, None):
        out[start : start + sims.shape[0]] = sims
    return out
