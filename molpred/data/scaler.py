"""Scalers fitted on the training split, NaN-aware: targets (JSON) and molecule features (arrays)."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

__all__ = ["TargetScaler", "fit_robust_scaling"]


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


def fit_robust_scaling(x: np.ndarray, scaled: np.ndarray, clip: float = 5.0) -> dict[str, np.ndarray]:
    """Robust per-column statistics of training features.

    Scaled columns get ``center`` = median and ``scale`` = IQR / 1.349 (the standard deviation
    for normal data), falling back to the standard deviation when the IQR is 0 (mostly-zero
    counts such as ``fr_*``) and to 1 for a constant column; scaled values are clipped to
    ``[-clip, clip]``. Other columns (``log1p`` counts) pass unchanged (``center`` 0, ``scale`` 1,
    no clip). A column that is NaN on every training molecule is imputed with 0.

    Parameters
    ----------
    x : numpy.ndarray
        ``n_train x d_mol`` raw features, NaN = missing.
    scaled : numpy.ndarray
        ``d_mol`` bool, the columns to scale.
    clip : float

    Returns
    -------
    dict of str -> numpy.ndarray
        ``center``, ``scale``, ``clip``: ``d_mol`` float32 each (``clip`` is inf where unclipped).
    """
    x = np.asarray(x, dtype=np.float64)
    scaled = np.asarray(scaled, dtype=bool)
    d = x.shape[1]
    center, scale, bound = np.zeros(d), np.ones(d), np.full(d, np.inf)
    cols = np.flatnonzero(scaled)
    if len(cols) and len(x):
        sub = x[:, cols]
        seen = np.isfinite(sub).any(axis=0)
        with np.errstate(invalid="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns are handled below
            med = np.nanmedian(sub, axis=0)
            q25, q75 = np.nanpercentile(sub, [25, 75], axis=0)
            std = np.nanstd(sub, axis=0)
        iqr = (q75 - q25) / 1.349
        s = np.where(iqr > 1e-12, iqr, np.where(std > 1e-12, std, 1.0))
        center[cols] = np.where(seen, med, 0.0)
        scale[cols] = np.where(seen, s, 1.0)
        bound[cols] = clip
    return {"center": center.astype(np.float32), "scale": scale.astype(np.float32), "clip": bound.astype(np.float32)}

