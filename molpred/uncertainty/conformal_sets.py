"""Split-conformal prediction sets for classification (``<target>_set`` columns).

The classifier stores the sorted calibration scores (not a single quantile), so any coverage
can be requested after fitting, and the state is plain JSON. The guarantee is marginal, as for
the intervals of :mod:`molpred.uncertainty.conformal`.

References
----------
Sadinle, Lei & Wasserman, "Least ambiguous set-valued classifiers" (2019); Vovk, Gammerman &
Shafer, *Algorithmic Learning in a Random World* (2005).
"""

from __future__ import annotations

import numpy as np

from molpred.exceptions import ModelFileError, NotFittedError
from molpred.uncertainty._arrays import check_coverage, check_state
from molpred.uncertainty.conformal import _sorted_scores, conformal_quantile

__all__ = ["ConformalClassifier"]


class ConformalClassifier:
    """Split-conformal prediction sets from (calibrated) class probabilities.

    Score of a calibration molecule: ``1 - p(true class)`` (LAC, Sadinle et al. 2019). A test
    molecule's set holds every class ``k`` with ``1 - p_k <= q``. Sets are as small as
    possible on average and may be empty when the model is confident in none of the classes.

    Parameters
    ----------
    class_conditional : bool
        Mondrian conformal prediction: a separate quantile per class, so coverage holds
        within each class (useful for imbalanced data, e.g. rare actives), at the price of
        larger sets.

    Attributes
    ----------
    scores_ : list of numpy.ndarray
        Sorted calibration scores: one array (all classes pooled) or one per class.
    n_classes_ : int
    """

    def __init__(self, class_conditional: bool = False) -> None:
        self.class_conditional = class_conditional

    def fit(self, proba: np.ndarray, y: np.ndarray) -> ConformalClassifier:
        """Compute calibration scores.

        Parameters
        ----------
        proba : numpy.ndarray
            ``n x n_classes`` class probabilities, or ``n`` probabilities of the positive
            class of a binary task (treated as ``[1 - p, p]``).
        y : numpy.ndarray
            ``n`` integer class labels in ``0 .. n_classes - 1``; NaN marks a missing label.

        Returns
        -------
        ConformalClassifier
            ``self``.
        """
        p = _as_class_proba(proba)
        y = np.asarray(y, dtype=np.float64)
        if y.shape != (p.shape[0],):
            raise ValueError(f"y must have shape ({p.shape[0]},), got {y.shape}")
        ok = np.isfinite(y) & np.all(np.isfinite(p), axis=1)
        labels = y[ok]
        if np.any((labels != np.round(labels)) | (labels < 0) | (labels >= p.shape[1])):
            raise ValueError(f"y must hold integer class labels in 0..{p.shape[1] - 1} or NaN")
        labels = labels.astype(np.int64)
        scores = 1.0 - p[ok][np.arange(labels.size), labels]
        if self.class_conditional:
            self.scores_ = [np.sort(scores[labels == k]) for k in range(p.shape[1])]
        else:
            self.scores_ = [np.sort(scores)]
        self.n_classes_ = p.shape[1]
        return self

    def quantile(self, coverage: float = 0.9) -> np.ndarray:
        """Score thresholds: ``n_classes`` values (the same value repeated unless Mondrian)."""
        if not hasattr(self, "scores_"):
            raise NotFittedError("ConformalClassifier is not fitted; call fit(proba, y) first")
        coverage = check_coverage(coverage)
        q = np.array([conformal_quantile(s, coverage) for s in self.scores_])
        return q if q.size == self.n_classes_ else np.repeat(q, self.n_classes_)

    def predict_set(self, proba: np.ndarray, coverage: float = 0.9) -> np.ndarray:
        """Prediction sets at the requested coverage.

        Parameters
        ----------
        proba : numpy.ndarray
            ``n x n_classes`` (or ``n`` for binary) probabilities, calibrated the same way as
            those given to :meth:`fit`.
        coverage : float
            Nominal coverage ``1 - alpha`` in (0, 1).

        Returns
        -------
        numpy.ndarray
            ``n x n_classes`` boolean; ``True`` where the class is in the set. Rows with NaN
            probabilities give empty sets.
        """
        q = self.quantile(coverage)
        p = _as_class_proba(proba)
        if p.shape[1] != self.n_classes_:
            raise ValueError(f"proba has {p.shape[1]} classes, fitted on {self.n_classes_}")
        with np.errstate(invalid="ignore"):
            return (1.0 - p) <= q[None, :]

    def to_dict(self) -> dict:
        """JSON-serialisable state."""
        if not hasattr(self, "scores_"):
            raise NotFittedError("ConformalClassifier is not fitted")
        return {
            "type": "ConformalClassifier",
            "version": 1,
            "class_conditional": bool(self.class_conditional),
            "n_classes": int(self.n_classes_),
            "scores": [s.tolist() for s in self.scores_],
        }

    @classmethod
    def from_dict(cls, d: dict) -> ConformalClassifier:
        """Rebuild from :meth:`to_dict` output; raises ``ModelFileError`` when malformed."""
        check_state(d, "ConformalClassifier", 1, ("class_conditional", "n_classes", "scores"))
        obj = cls(class_conditional=bool(d["class_conditional"]))
        obj.n_classes_ = int(d["n_classes"])
        obj.scores_ = [_sorted_scores(s, "ConformalClassifier") for s in d["scores"]]
        expected = obj.n_classes_ if obj.class_conditional else 1
        if obj.n_classes_ < 2 or len(obj.scores_) != expected:
            raise ModelFileError("ConformalClassifier state: scores do not match n_classes")
        return obj

    def __repr__(self) -> str:
        return f"ConformalClassifier(class_conditional={self.class_conditional})"


def _as_class_proba(proba: np.ndarray) -> np.ndarray:
    p = np.asarray(proba, dtype=np.float64)
    if p.ndim == 1:
        return np.stack([1.0 - p, p], axis=1)
    if p.ndim != 2 or p.shape[1] < 2:
        raise ValueError(f"proba must have shape n or n x n_classes (>= 2), got {p.shape}")
    return p
