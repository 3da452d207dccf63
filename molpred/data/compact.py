"""A float32 matrix whose small-integer columns are stored as uint8, losslessly.

Graph features are mostly one-hot: 0/1 values stored as float32. :class:`CompactMatrix`
keeps every column whose values are all integers in 0..255 as uint8 and the others as
float32, so a chunk of drug-like molecules takes about a quarter of the memory (and of the
pickling time between screening processes) and unpacks to exactly the same float32 arrays.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["CompactMatrix"]


@dataclass
class CompactMatrix:
    """A float32 ``n x width`` matrix with its small-integer columns stored as uint8 (lossless).

    Attributes
    ----------
    u8 : numpy.ndarray
        ``n x len(u8_cols)`` uint8.
    f32 : numpy.ndarray
        ``n x len(f32_cols)`` float32.
    u8_cols, f32_cols : numpy.ndarray
        Column positions of each part.
    width : int
    """

    u8: np.ndarray
    f32: np.ndarray
    u8_cols: np.ndarray
    f32_cols: np.ndarray
    width: int

    @classmethod
    def from_array(cls, a: np.ndarray) -> CompactMatrix:
        a = np.asarray(a, dtype=np.float32)
        small = np.all((a >= 0) & (a <= 255) & (a == np.floor(a)) & ~np.signbit(a), axis=0)
        u8_cols, f32_cols = np.flatnonzero(small), np.flatnonzero(~small)
        return cls(a[:, u8_cols].astype(np.uint8), np.ascontiguousarray(a[:, f32_cols]), u8_cols, f32_cols,
                   a.shape[1])

    @classmethod
    def concat(cls, parts: list[CompactMatrix]) -> CompactMatrix:
        """Rows of several matrices in one (a column stays uint8 if it is in every part)."""
        if len(parts) == 1:
            return parts[0]
        width = parts[0].width
        small = np.ones(width, dtype=bool)
        for p in parts:
            small[p.f32_cols] = False
        u8_cols, f32_cols = np.flatnonzero(small), np.flatnonzero(~small)
        u8, f32 = [], []
        for p in parts:  # one part at a time in float32: memory stays at one part's size
            full = p.rows(0, len(p))
            u8.append(full[:, u8_cols].astype(np.uint8))
            f32.append(full[:, f32_cols])
        return cls(np.concatenate(u8), np.concatenate(f32), u8_cols, f32_cols, width)

    def rows(self, lo: int, hi: int) -> np.ndarray:
        """Rows ``lo:hi`` as the original float32 array."""
        out = np.empty((hi - lo, self.width), dtype=np.float32)
        out[:, self.u8_cols] = self.u8[lo:hi]
        out[:, self.f32_cols] = self.f32[lo:hi]
        return out

    def slice(self, lo: int, hi: int) -> CompactMatrix:
        """Rows ``lo:hi``, still compact (views, no copy)."""
        return CompactMatrix(self.u8[lo:hi], self.f32[lo:hi], self.u8_cols, self.f32_cols, self.width)

    def take(self, rows: np.ndarray) -> CompactMatrix:
        """The given rows, in that order, still compact."""
        return CompactMatrix(self.u8[rows], self.f32[rows], self.u8_cols, self.f32_cols, self.width)

    def __len__(self) -> int:
        return self.u8.shape[0]
