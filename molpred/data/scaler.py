"""Per-target standardisation fitted on the training split, NaN-aware, JSON-serialisable."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["TargetScaler"]


@dataclass
class TargetScaler:
    """``(y - mean) / std`` per target.

    Attributes
    ----------
    mean, std : numpy.ndarray
        ``n_tasks`` float64; ``std`` is 1 where a target is constant or unlabelled.
    """

    mean: np.ndarray
    std: np.ndarray

    @classmethod
    def fit(cls, y: np.ndarray) -> TargetScaler:
        """Fit on ``n x n_tasks`` labels with NaN for missing."""
        y = np.asarray(y, dtype=np.float64)
        counts = np.sum(~np.isnan(y), axis=0)
        mean = np.where(counts > 0, np.nansum(y, axis=0) / np.maximum(counts, 1), 0.0)
        var = np.where(counts > 1, np.nansum((y - mean) ** 2, axis=0) / np.maximum(counts, 1), 1.0)
        std = np.sqrt(var)
        std = np.where(std > 1e-12, std, 1.0)
        return cls(mean, std)

    @classmethod
    def identity(cls, n_tasks: int) -> TargetScaler:
        return cls(np.zeros(n_tasks), np.ones(n_tasks))

    def transform(self, y: np.ndarray) -> np.ndarray:
        return (np.asarray(y, dtype=np.float64) - self.mean) / self.std

    def inverse_transform(self, y: np.ndarray) -> np.ndarray:
        return np.asarray(y, dtype=np.float64) * self.std + self.mean

    def inverse_std(self, s: np.ndarray) -> np.ndarray:
        """Scale standard deviations back to original units."""
        return np.asarray(s, dtype=np.float64) * self.std

    def to_dict(self) -> dict:
        return {"mean": self.mean.tolist(), "std": self.std.tolist()}

    @classmethod
    def from_dict(cls, d: dict) -> TargetScaler:
        return cls(np.asarray(d["mean"], dtype=np.float64), np.asarray(d["std"], dtype=np.float64))
