"""Robust standardisation of descriptor targets: clip at quantiles, then mean/std.

Descriptors have heavy tails (BertzCT, molecular weight, VSA bins); clipping at the 0.1% and
99.9% quantiles of the pretraining set before taking mean and standard deviation keeps a few
extreme molecules from dominating the loss. Descriptors that are constant (or mostly missing)
on the pretraining set are inactive: their targets are NaN and masked out of the loss.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from molpred.types import PathType

__all__ = ["DescriptorScaler"]


@dataclass(frozen=True)
class DescriptorScaler:
    """Per-descriptor clip bounds, mean and std (all ``n_desc`` lists) and active flags."""

    names: list
    lo: list
    hi: list
    mean: list
    std: list
    active: list
    quantile: float = 0.001

    @classmethod
    def fit(cls, values: np.ndarray, names: list[str], quantile: float = 0.001, min_finite: float = 0.5) -> DescriptorScaler:
        """Fit on ``n x n_desc`` raw descriptor values (NaN = missing).

        A descriptor is active when at least ``min_finite`` of its values are finite and its
        clipped standard deviation is above 1e-6.
        """
        values = np.asarray(values, dtype=np.float64)
        finite = np.isfinite(values).mean(axis=0) if len(values) else np.zeros(values.shape[1])
        with np.errstate(all="ignore"):
            import warnings

            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                # no interpolation towards the extremes: on a small sample a linear quantile
                # would move part of the way to the outlier it is meant to cut off
                lo = np.nanquantile(values, quantile, axis=0, method="higher")
                hi = np.nanquantile(values, 1.0 - quantile, axis=0, method="lower")
                clipped = np.clip(values, lo, hi)
                mean = np.nanmean(clipped, axis=0)
                std = np.nanstd(clipped, axis=0)
        active = (finite >= min_finite) & np.isfinite(std) & (std > 1e-6)
        fill = lambda a, v: np.where(np.isfinite(a), a, v).tolist()  # noqa: E731
        return cls(list(names), fill(lo, 0.0), fill(hi, 0.0), fill(mean, 0.0), fill(std, 1.0),
                   active.tolist(), quantile)

    def transform(self, values: np.ndarray) -> np.ndarray:
        """``n x n_desc`` raw values -> standardised float32 (NaN for missing or inactive)."""
        v = np.clip(np.asarray(values, dtype=np.float64), self.lo, self.hi)
        z = (v - np.asarray(self.mean)) / np.where(np.asarray(self.std) > 0, self.std, 1.0)
        z[:, ~np.asarray(self.active, dtype=bool)] = np.nan
        return z.astype(np.float32)

    @property
    def n_active(self) -> int:
        return int(sum(self.active))

    def to_dict(self) -> dict:
        return {"names": self.names, "lo": self.lo, "hi": self.hi, "mean": self.mean, "std": self.std,
                "active": self.active, "quantile": self.quantile}

    @classmethod
    def from_dict(cls, d: dict) -> DescriptorScaler:
        return cls(**d)

    def save(self, path: PathType) -> None:
        Path(path).write_text(json.dumps(self.to_dict()))

    @classmethod
    def load(cls, path: PathType) -> DescriptorScaler:
        return cls.from_dict(json.loads(Path(path).read_text()))
