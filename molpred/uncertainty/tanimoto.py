"""Tanimoto similarity on packed fingerprint bits (``np.packbits``), chunk by chunk.

Fingerprints are stored packed (256 bytes per molecule for 2,048 bits). Intersection counts come
from one of two exact kernels:

- an int8 matrix product of the unpacked 0/1 bits with int32 accumulation (``torch._int_mm``,
  VNNI/AMX instructions on current x86 CPUs): about 4x less CPU per query than the popcount
  at 2,000-20,000 training molecules (``benchmarks/results/domain_speed.md``). The training
  bits are unpacked once (1 byte per bit) by :class:`TrainingFingerprints` and reused across
  calls; used when that copy stays under ``_MATMUL_MAX_BYTES``, a chunk has enough queries to
  amortise it, and a one-off timing in the process finds it faster than the popcount here;
- otherwise, a popcount over 64-bit words, tile by tile (``_TILE_PAIRS``) so its word-by-word
  temporaries stay in the CPU cache.

Both give the same similarities bit for bit: counts are exact integers, and the float32
quotient of two integers below 2^24 equals the float64 quotient rounded to float32 (double
rounding is harmless for division when 53 >= 2 * 24 + 2 bits). Query chunks keep the
temporaries near ``_CHUNK_BYTES`` whatever the number of queries.
"""

from __future__ import annotations

import functools

import numpy as np

__all__ = ["TrainingFingerprints", "packed_tanimoto", "tanimoto_chunks"]

# temporary memory one query chunk may use, and its cost per query-train pair (uint64 word,
# uint8 count, int16 intersection, int32 union, float32 similarity, masks and partition copy)
_CHUNK_BYTES = 32 * 2**20
_BYTES_PER_PAIR = 24
# query x training pairs per tile of the popcount loop (1 MB of uint64 temporaries), and the
# most training molecules a tile spans
_TILE_PAIRS = 2**17
_TILE_TRAIN = 4096
# the int8 product: largest unpacked training copy kept (bytes), fewest queries per call
# worth unpacking it for, and training columns per product (int32 + float32 tiles in L2)
# and queries per product at least (a 256-row product ran ~2.5x faster per query than a 16-row
# one at 20,000 training molecules, scratch timing)
_MATMUL_MAX_BYTES = 512 * 2**20
_MATMUL_MIN_QUERIES = 32
_MATMUL_TILE_TRAIN = 2048
_MATMUL_CHUNK = 256

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


@functools.cache
def _int8_matmul_works() -> bool:
    """True when ``torch._int_mm`` runs here and returns exact int32 counts."""
    try:
        import torch

        a = torch.ones((2, 16), dtype=torch.int8)
        return bool((torch._int_mm(a, a.T.contiguous()) == 16).all())
    except Exception:  # noqa: BLE001 - absent (older torch) or no CPU kernel: use the popcount
        return False


@functools.cache
def _int8_matmul_pays() -> bool:
    """True when the int8 product counts faster than the popcount on this CPU (timed once).

    Both kernels count one ``64 x 2,048``-query by ``2,048``-training block of 2,048-bit
    fingerprints, best of 3; CPUs without int8 dot-product instructions (or a build whose
    ``_int_mm`` falls back to a plain loop) keep the popcount.
    """
    if not _int8_matmul_works():
        return False
    import time

    rng = np.random.default_rng(0)
    q = np.packbits(rng.random((64, 2048)) < 0.03, axis=1)
    train = TrainingFingerprints(np.packbits(rng.random((2048, 2048)) < 0.03, axis=1))
    train.bits()
    counts = _popcount_rows(_as_words(q))

    def best(fn) -> float:
        times = []
        for _ in range(3):
            t0 = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t0)
        return min(times)

    product = best(lambda: _matmul_sims(q, counts, train))
    popcount = best(lambda: list(_popcount_chunks(_as_words(q), counts, train, 64)))
    return product < popcount


class TrainingFingerprints:
    """Packed training fingerprints, prepared once for repeated Tanimoto queries.

    Parameters
    ----------
    packed : numpy.ndarray
        ``n_train x n_bytes`` uint8 (``np.packbits(fp, axis=1)``).

    Attributes
    ----------
    packed : numpy.ndarray
        The ``packed`` given.
    words_T : numpy.ndarray
        ``n_words x n_train`` uint64, the bits as 64-bit words (popcount kernel).
    counts : numpy.ndarray
        ``n_train`` int32, bits set per molecule.
    """

    def __init__(self, packed: np.ndarray) -> None:
        self.words_T = np.ascontiguousarray(_as_words(packed).T)
        self.counts = _popcount_rows(self.words_T.T)
        self.packed = packed
        self._bits = None

    def __len__(self) -> int:
        return self.words_T.shape[1]

    def bits(self):
        """``n_train x n_bits`` torch int8 0/1 tensor (unpacked on first use, then kept)."""
        if self._bits is None:
            import torch

            self._bits = torch.from_numpy(np.unpackbits(self.packed, axis=1).view(np.int8))
        return self._bits

    def use_matmul(self, n_queries: int) -> bool:
        """Whether the int8 product should score ``n_queries`` queries."""
        n_bytes = len(self) * self.packed.shape[1] * 8
        worth = self._bits is not None or n_queries >= _MATMUL_MIN_QUERIES
        return worth and n_bytes <= _MATMUL_MAX_BYTES and _int8_matmul_pays()

    def __getstate__(self) -> dict:  # the unpacked copy is rebuilt on demand, never shipped
        return {**self.__dict__, "_bits": None}


def _matmul_sims(q_packed: np.ndarray, q_count: np.ndarray, train: TrainingFingerprints) -> np.ndarray:
    """``n_q x n_train`` float32 Tanimoto from int8 products, tile by training tile."""
    import torch

    bits = train.bits()
    q = torch.from_numpy(np.unpackbits(q_packed, axis=1).view(np.int8))
    qc = torch.from_numpy(q_count.astype(np.float32))[:, None]
    tc = torch.from_numpy(train.counts.astype(np.float32))
    sims = np.empty((q.shape[0], len(train)), dtype=np.float32)
    out = torch.from_numpy(sims)
    for j in range(0, len(train), _MATMUL_TILE_TRAIN):
        block = out[:, j : j + _MATMUL_TILE_TRAIN]
        block.copy_(torch._int_mm(q, bits[j : j + _MATMUL_TILE_TRAIN].T))  # exact counts
        union = qc + tc[j : j + _MATMUL_TILE_TRAIN]
        union -= block
        block.div_(union.clamp_(min=1))  # two empty fingerprints: 0 / 1
    return sims


def tanimoto_chunks(query_packed: np.ndarray, train: np.ndarray | TrainingFingerprints,
                    chunk_size: int | None):
    """Yield ``(start, sims)`` with ``sims`` a ``chunk x n_train`` float32 Tanimoto block.

    Parameters
    ----------
    query_packed : numpy.ndarray
        ``n_q x n_bytes`` uint8 packed query fingerprints.
    train : numpy.ndarray or TrainingFingerprints
        ``n_train x n_bytes`` packed training fingerprints, or the same prepared once (pass
        that when scoring many batches against one training set).
    chunk_size : int or None
        Queries per block; ``None`` sizes blocks to about ``_CHUNK_BYTES`` of temporaries.
    """
    if not isinstance(train, TrainingFingerprints):
        train = TrainingFingerprints(np.ascontiguousarray(train, dtype=np.uint8))
    query_packed = np.ascontiguousarray(query_packed, dtype=np.uint8)
    q_words = _as_words(query_packed)
    q_count = _popcount_rows(q_words)
    n_train = len(train)
    if chunk_size is None:
        chunk_size = int(max(1, min(4096, _CHUNK_BYTES // (_BYTES_PER_PAIR * max(n_train, 1)))))
    if train.use_matmul(q_words.shape[0]):
        chunk_size = max(chunk_size, min(_MATMUL_CHUNK, q_words.shape[0]))
        for start in range(0, q_words.shape[0], chunk_size):
            stop = start + chunk_size
            yield start, _matmul_sims(query_packed[start:stop], q_count[start:stop], train)
        return
    yield from _popcount_chunks(q_words, q_count, train, chunk_size)


def _popcount_chunks(q_words: np.ndarray, q_count: np.ndarray, train: TrainingFingerprints,
                     chunk_size: int):
    """:func:`tanimoto_chunks` by popcount over 64-bit words."""
    t_words_T, t_count, n_train = train.words_T, train.counts, len(train)
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
