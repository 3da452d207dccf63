"""Split-conformal prediction intervals for regression (prediction sets for classification:
:mod:`molpred.uncertainty.conformal_sets`).

Both store the sorted calibration scores (not a single quantile), so any coverage
can be requested after fitting, and the state is plain JSON.

The guarantee is marginal: if calibration and test molecules are exchangeable (drawn from
the same distribution), the interval contains the true value with probability at least the
nominal coverage. It does not hold for molecules outside the calibration distribution (see
:mod:`molpred.uncertainty.domain`).

References
----------
Vovk, Gammerman & Shafer, *Algorithmic Learning in a Random World* (2005);
Angelopoulos & Bates, "A gentle introduction to conformal prediction" (2021);
Papadopoulos et al., "Normalized nonconformity measures for regression conformal
prediction" (2008); Sadinle, Lei & Wasserman, "Least ambiguous set-valued classifiers"
(2019).
"""

from __future__ import annotations

import math

import numpy as np

from molpred.exceptions import ModelFileError, NotFittedError
from molpred.uncertainty._arrays import (
    as_2d,
    check_coverage,
    check_n_targets,
    check_shapes,
    check_state,
    restore,
)

__all__ = ["ConformalRegressor", "conformal_quantile", "DIFFICULTIES"]

# std values below this are raised to it, in fit and at prediction time alike, so a zero
# std gives a finite (huge) score instead of a division by zero
_MIN_STD = 1e-12


def conformal_quantile(sorted_scores: np.ndarray, coverage: float) -> float:
    """Finite-sample conformal quantile of calibration scores.

    Parameters
    ----------
    sorted_scores : numpy.ndarray
        ``n`` calibration scores sorted ascending.
    coverage : float
        Nominal coverage ``1 - alpha``.

    Returns
    -------
    float
        The ``ceil((n + 1) * coverage)``-th smallest score, or ``inf`` when that rank
        exceeds ``n`` (too few calibration points for the requested coverage).
    """
    n = sorted_scores.size
    # the small tolerance keeps e.g. (99 + 1) * 0.9 = 90.00000000000001 at rank 90
    rank = math.ceil((n + 1) * coverage - 1e-9)
    if rank > n or n == 0:
        return math.inf
    return float(sorted_scores[max(rank, 1) - 1])


DIFFICULTIES = ("none", "std", "distance", "std+distance")


class ConformalRegressor:
    """Split-conformal prediction intervals, one calibration per target, optionally normalised.

    The interval of a molecule is ``mean +- q * d(x)``: ``d(x)`` is a difficulty estimate
    fixed before calibration and ``q`` the conformal quantile of the calibration scores
    ``|y - mean| / d(x)`` (locally weighted or normalised split conformal; Papadopoulos et
    al. 2008, Lei et al. 2018). Whatever ``d`` is, the marginal coverage guarantee holds on
    molecules exchangeable with the calibration set; a good ``d`` makes intervals narrow
    where the model is reliable and wide where it is not.

    Difficulties (``difficulty_``):

    - ``"none"``: ``d = 1``, every interval has width ``2 q``.
    - ``"std"``: ``d = std`` (the model's predicted standard deviation).
    - ``"distance"``: ``d = 1 + w * dist / m_dist``.
    - ``"std+distance"``: ``d = std / m_std + w * dist / m_dist``.

    ``dist`` is the distance to the training set, ``1 - max_sim_train`` (Tanimoto on the
    applicability-domain fingerprints); ``m_dist`` and ``m_std`` are the medians of ``dist``
    and ``std`` on the calibration set and ``w`` is ``distance_weight``. Each term is thus 1
    for a typical calibration molecule. The sum (rather than a product) keeps the two
    signals from multiplying when both see the same thing: a mean-variance head already
    widens for a foreign molecule, and a product would widen it twice. The distance term
    matters because an ensemble's spread can miss that a molecule is foreign (three MLPs
    agreed on ethanol on a kinase model), while the distance cannot.

    Parameters
    ----------
    difficulty : {"auto", "none", "std", "distance", "std+distance"}
        ``"auto"`` uses everything given to :meth:`fit`: ``std`` and/or ``dist``.
    distance_weight : float
        ``w`` above (>= 0).

    Attributes
    ----------
    scores_ : list of numpy.ndarray
        Per target, the sorted calibration scores (missing labels removed).
    difficulty_ : str
        The resolved difficulty.
    normalized_ : bool
        Whether scores were divided by ``std`` (kept for callers of the version-1 API).
    median_dist_ : float or None
        ``m_dist`` (distance difficulties only).
    median_std_ : numpy.ndarray or None
        ``m_std`` per target (``"std+distance"`` only).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> y = rng.normal(size=2000)
    >>> cp = ConformalRegressor().fit(y, np.zeros(2000), np.ones(2000))
    >>> lo, hi = cp.interval(np.zeros(3), np.ones(3), coverage=0.9)
    >>> bool(abs(hi[0] - 1.645) < 0.1)
    True
    """

    def __init__(self, difficulty: str = "auto", distance_weight: float = 1.0) -> None:
        self.difficulty = difficulty
        self.distance_weight = distance_weight

    def fit(
        self,
        y_cal: np.ndarray,
        mean_cal: np.ndarray,
        std_cal: np.ndarray | None = None,
        dist_cal: np.ndarray | None = None,
    ) -> ConformalRegressor:
        """Compute calibration scores.

        Parameters
        ----------
        y_cal : numpy.ndarray
            ``n`` or ``n x t`` calibration labels; NaN marks a missing label.
        mean_cal : numpy.ndarray
            Predictions, same shape.
        std_cal : numpy.ndarray or None
            Predicted standard deviations, same shape; needed by the ``std`` difficulties.
        dist_cal : numpy.ndarray or None
            ``n`` distances to the training set (``1 - max_sim_train``); needed by the
            ``distance`` difficulties. NaN rows are left out.

        Returns
        -------
        ConformalRegressor
            ``self``.
        """
        from molpred.uncertainty._arrays import check_choice

        check_choice(self.difficulty, ("auto", *DIFFICULTIES), "conformal difficulty")
        if not (np.isfinite(self.distance_weight) and self.distance_weight >= 0):
            raise ValueError(f"distance_weight must be >= 0, got {self.distance_weight}")
        difficulty = self.difficulty
        if difficulty == "auto":
            difficulty = {(False, False): "none", (True, False): "std", (False, True): "distance",
                          (True, True): "std+distance"}[(std_cal is not None, dist_cal is not None)]
        if "std" in difficulty and std_cal is None:
            raise ValueError(f"difficulty {difficulty!r} needs std_cal")
        if "distance" in difficulty and dist_cal is None:
            raise ValueError(f"difficulty {difficulty!r} needs dist_cal")
        y2, one_d = as_2d(y_cal, "y_cal")
        mu2, _ = as_2d(mean_cal, "mean_cal")
        check_shapes(y2, "y_cal", mean_cal=mu2)
        sd2 = None
        if "std" in difficulty:
            sd2, _ = as_2d(std_cal, "std_cal")
            check_shapes(y2, "y_cal", std_cal=sd2)
        self.median_dist_ = None
        if "distance" in difficulty:
            dist = np.asarray(dist_cal, dtype=np.float64)
            if dist.shape != (y2.shape[0],):
                raise ValueError(f"dist_cal must have shape ({y2.shape[0]},), got {dist.shape}")
            finite = dist[np.isfinite(dist)]
            # a floor keeps the ratio finite when calibration molecules sit on training ones
            self.median_dist_ = float(max(np.median(finite), 1e-3)) if finite.size else 1.0
        self.median_std_ = None
        if difficulty == "std+distance":
            self.median_std_ = np.array([_positive_median(sd2[np.isfinite(y2[:, j]), j])
                                         for j in range(y2.shape[1])])
        self.difficulty_ = difficulty
        self.normalized_ = "std" in difficulty
        self.one_d_ = one_d
        scores = np.abs(y2 - mu2) / self._difficulty(sd2, dist_cal, y2.shape)
        self.scores_ = [np.sort(scores[np.isfinite(scores[:, j]), j]) for j in range(y2.shape[1])]
        return self

    def _difficulty(self, sd2: np.ndarray | None, dist: np.ndarray | None, shape: tuple) -> np.ndarray:
        """``n x t`` difficulties ``d(x)`` (NaN where an input is NaN)."""
        if self.difficulty_ == "none":
            return np.ones(shape)
        if self.difficulty_ == "std":
            return np.maximum(sd2, _MIN_STD)
        far = self.distance_weight * np.maximum(np.asarray(dist, dtype=np.float64), 0.0) / self.median_dist_
        far = np.broadcast_to(far.reshape(-1, 1), shape)
        if self.difficulty_ == "distance":
            return 1.0 + far
        return np.maximum(sd2, _MIN_STD) / self.median_std_[None, :] + far

    def quantile(self, coverage: float = 0.9) -> np.ndarray:
        """Per-target score quantile ``q`` (``t``); ``inf`` if calibration data are too few."""
        self._check_fitted()
        coverage = check_coverage(coverage)
        return np.array([conformal_quantile(s, coverage) for s in self.scores_])

    def interval(
        self,
        mean: np.ndarray,
        std: np.ndarray | None = None,
        coverage: float = 0.9,
        dist: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Prediction intervals ``[lo, hi]`` at the requested coverage.

        Parameters
        ----------
        mean : numpy.ndarray
            ``n`` or ``n x t`` predictions.
        std : numpy.ndarray or None
            Predicted standard deviations, same shape; required by the ``std``
            difficulties and ignored otherwise.
        coverage : float
            Nominal coverage ``1 - alpha`` in (0, 1).
        dist : numpy.ndarray or None
            ``n`` distances to the training set; required by the ``distance`` difficulties
            and ignored otherwise.

        Returns
        -------
        lo, hi : numpy.ndarray
            Same shape as ``mean``; NaN where ``mean`` (or ``std``, ``dist``) is NaN,
            infinite when the calibration set is too small for the coverage.
        """
        q = self.quantile(coverage)
        mu2, one_d = as_2d(mean, "mean")
        check_n_targets(mu2, len(self.scores_), "mean")
        sd2 = None
        if "std" in self.difficulty_:
            if std is None:
                raise ValueError("this ConformalRegressor was fitted with std_cal: pass std")
            sd2, _ = as_2d(std, "std")
            check_shapes(mu2, "mean", std=sd2)
        if "distance" in self.difficulty_:
            if dist is None:
                raise ValueError("this ConformalRegressor was fitted with dist_cal: pass dist")
            if np.shape(dist) != (mu2.shape[0],):
                raise ValueError(f"dist must have shape ({mu2.shape[0]},), got {np.shape(dist)}")
        half = q[None, :] * self._difficulty(sd2, dist, mu2.shape)
        return restore(mu2 - half, one_d), restore(mu2 + half, one_d)

    def to_dict(self) -> dict:
        """JSON-serialisable state: the sorted scores of every target and the difficulty."""
        self._check_fitted()
        return {
            "type": "ConformalRegressor",
            "version": 2,
            "difficulty": self.difficulty_,
            "distance_weight": float(getattr(self, "distance_weight", 1.0)),
            "median_dist": self.median_dist_,
            "median_std": None if self.median_std_ is None else [float(v) for v in self.median_std_],
            "scores": [s.tolist() for s in self.scores_],
            "one_d": bool(self.one_d_),
        }

    @classmethod
    def from_dict(cls, d: dict) -> ConformalRegressor:
        """Rebuild from :meth:`to_dict` output; raises ``ModelFileError`` when malformed.

        Version-1 states (written before distance difficulties existed: ``normalized``
        true or false) are read as difficulty ``"std"`` or ``"none"`` and give the same
        intervals as before.
        """
        if isinstance(d, dict) and d.get("version") == 1:
            check_state(d, "ConformalRegressor", 1, ("normalized", "scores", "one_d"))
            obj = cls(difficulty="std" if d["normalized"] else "none")
            obj.median_dist_ = obj.median_std_ = None
        else:
            check_state(d, "ConformalRegressor", 2,
                        ("difficulty", "distance_weight", "median_dist", "median_std", "scores", "one_d"))
            if d["difficulty"] not in DIFFICULTIES:
                raise ModelFileError(f"ConformalRegressor state: unknown difficulty {d['difficulty']!r}")
            obj = cls(difficulty=d["difficulty"], distance_weight=float(d["distance_weight"]))
            obj.median_dist_ = None if d["median_dist"] is None else float(d["median_dist"])
            if "distance" in d["difficulty"] and not (obj.median_dist_ and obj.median_dist_ > 0):
                raise ModelFileError("ConformalRegressor state: distance difficulty needs median_dist > 0")
            obj.median_std_ = None
            if d["difficulty"] == "std+distance":
                m = np.asarray(d["median_std"], dtype=np.float64)
                if m.ndim != 1 or len(m) != len(d["scores"]) or not np.all(np.isfinite(m) & (m > 0)):
                    raise ModelFileError("ConformalRegressor state: median_std must hold one value > 0 per target")
                obj.median_std_ = m
        obj.difficulty_ = obj.difficulty
        obj.normalized_ = "std" in obj.difficulty_
        obj.scores_ = [_sorted_scores(s, "ConformalRegressor") for s in d["scores"]]
        if not obj.scores_:
            raise ModelFileError("ConformalRegressor state has no targets")
        obj.one_d_ = bool(d["one_d"])
        return obj

    def _check_fitted(self) -> None:
        if not hasattr(self, "scores_"):
            raise NotFittedError("ConformalRegressor is not fitted; call fit first")

    def __repr__(self) -> str:
        if not hasattr(self, "scores_"):
            return f"ConformalRegressor(difficulty={self.difficulty!r})"
        n = [s.size for s in self.scores_]
        return f"ConformalRegressor(difficulty_={self.difficulty_!r}, n_cal={n})"


def _positive_median(values: np.ndarray) -> float:
    """Median of the finite values, floored so a ratio by it stays finite (1 when none)."""
    v = values[np.isfinite(values)]
    return float(max(np.median(v), _MIN_STD)) if v.size else 1.0


def _sorted_scores(values: object, type_name: str) -> np.ndarray:
    s = np.asarray(values, dtype=np.float64)
    if s.ndim != 1 or not np.all(np.isfinite(s)) or np.any(np.diff(s) < 0):
        raise ModelFileError(f"{type_name} state: scores must be sorted finite numbers")
    return s
