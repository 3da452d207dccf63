"""Post-hoc recalibration fitted on validation data: variance scaling and probability calibration.

Both classes are small, deterministic and store their state as plain JSON (``to_dict`` /
``from_dict``), so a model directory never contains a pickle.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy.special import expit, logit

from molpred.exceptions import ModelFileError, NotFittedError
from molpred.uncertainty._arrays import (
    as_2d,
    check_choice,
    check_n_targets,
    check_shapes,
    check_state,
    restore,
)

__all__ = ["VarianceScaler", "ProbabilityCalibrator", "CALIBRATION_METHODS", "SCALING_METHODS"]

CALIBRATION_METHODS = ("platt", "isotonic")
_P_EPS = 1e-7  # probabilities are clipped to [eps, 1 - eps] before the logit


SCALING_METHODS = ("median", "mean")
_MEDIAN_ABS_NORMAL = 0.6744897501960817  # median of |z| for z ~ N(0, 1)


class VarianceScaler:
    """One multiplicative factor per target that makes predicted standard deviations calibrated.

    With ``z = (y - mean) / std`` on calibration data:

    - ``method="median"`` (default, robust): ``s = median(|z|) / 0.6745``, the factor that
      makes the median absolute z-score that of a standard normal. A few molecules with a
      tiny std and a large error (common with 3-member ensembles, whose std comes from three
      samples and is heavy-tailed) cannot inflate every std.
    - ``method="mean"``: ``s^2 = mean(z^2)``, the minimiser of the Gaussian negative
      log-likelihood (Levi et al., "Evaluating and calibrating uncertainty prediction in
      regression tasks", 2022; Chemprop's ``ZScalingCalibrator``). Dominated by the largest
      z-scores on small calibration sets; molpred used it before version 2 of this state.

    Rows with a missing label (NaN), a non-finite prediction or ``std <= 0`` are ignored.

    Parameters
    ----------
    method : {"median", "mean"}

    Attributes
    ----------
    scale_ : numpy.ndarray
        ``t`` factors, one per target.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> y = rng.normal(size=1000); std = np.full(1000, 0.5)   # true noise is 1, std says 0.5
    >>> s = VarianceScaler().fit(y, np.zeros(1000), std)
    >>> bool(abs(s.scale_[0] - 2.0) < 0.2)
    True
    """

    def __init__(self, method: str = "median") -> None:
        self.method = method

    def fit(self, y: np.ndarray, mean: np.ndarray, std: np.ndarray) -> VarianceScaler:
        """Fit the factors on validation data.

        Parameters
        ----------
        y : numpy.ndarray
            ``n`` or ``n x t`` labels; NaN marks a missing label.
        mean : numpy.ndarray
            Predicted means, same shape as ``y``.
        std : numpy.ndarray
            Predicted standard deviations, same shape as ``y``.

        Returns
        -------
        VarianceScaler
            ``self``.
        """
        check_choice(self.method, SCALING_METHODS, "variance scaling method")
        y2, one_d = as_2d(y, "y")
        mu2, _ = as_2d(mean, "mean")
        sd2, _ = as_2d(std, "std")
        check_shapes(y2, "y", mean=mu2, std=sd2)
        with np.errstate(invalid="ignore"):
            ok = np.isfinite(y2) & np.isfinite(mu2) & np.isfinite(sd2) & (sd2 > 0)
        scale = np.ones(y2.shape[1])
        for j in range(y2.shape[1]):
            m = ok[:, j]
            if not m.any():
                warnings.warn(
                    f"VarianceScaler: target {j} has no usable validation rows; scale set to 1",
                    stacklevel=2,
                )
                continue
            z = np.abs((y2[m, j] - mu2[m, j]) / sd2[m, j])
            if self.method == "median":
                s = float(np.median(z) / _MEDIAN_ABS_NORMAL)
            else:
                s = float(np.sqrt(np.mean(z**2)))
            scale[j] = s if s > 0 else 1.0
        self.scale_ = scale
        self.one_d_ = one_d
        return self

    def transform(self, std: np.ndarray) -> np.ndarray:
        """Return recalibrated standard deviations ``std * scale_``.

        Parameters
        ----------
        std : numpy.ndarray
            ``n`` (one target) or ``n x t`` predicted standard deviations.

        Returns
        -------
        numpy.ndarray
            Same shape as ``std``.
        """
        self._check_fitted()
        sd2, one_d = as_2d(std, "std")
        check_n_targets(sd2, self.scale_.size, "std")
        return restore(sd2 * self.scale_[None, :], one_d)

    def to_dict(self) -> dict:
        """JSON-serialisable state (floats and lists only)."""
        self._check_fitted()
        return {
            "type": "VarianceScaler",
            "version": 2,
            "method": self.method,
            "scale": [float(s) for s in self.scale_],
            "one_d": bool(self.one_d_),
        }

    @classmethod
    def from_dict(cls, d: dict) -> VarianceScaler:
        """Rebuild a fitted scaler from :meth:`to_dict` output.

        Version-1 states (no ``method``) were fitted with ``"mean"``; their stored factors
        are used as they are, so old models give the same standard deviations.

        Raises
        ------
        molpred.exceptions.ModelFileError
            If ``d`` is not a valid VarianceScaler state.
        """
        if isinstance(d, dict) and d.get("version") == 1:
            check_state(d, "VarianceScaler", 1, ("scale", "one_d"))
            method = "mean"
        else:
            check_state(d, "VarianceScaler", 2, ("method", "scale", "one_d"))
            method = d["method"]
            if method not in SCALING_METHODS:
                raise ModelFileError(f"VarianceScaler state: unknown method {method!r}")
        scale = np.asarray(d["scale"], dtype=np.float64)
        if scale.ndim != 1 or scale.size == 0 or not np.all(np.isfinite(scale) & (scale > 0)):
            raise ModelFileError("VarianceScaler state: 'scale' must be a non-empty list of > 0")
        obj = cls(method=method)
        obj.scale_ = scale
        obj.one_d_ = bool(d["one_d"])
        return obj

    def _check_fitted(self) -> None:
        if not hasattr(self, "scale_"):
            raise NotFittedError("VarianceScaler is not fitted; call fit(y, mean, std) first")

    def __repr__(self) -> str:
        fitted = f"scale_={np.round(self.scale_, 4).tolist()}" if hasattr(self, "scale_") else ""
        return f"VarianceScaler(method={self.method!r}{', ' if fitted else ''}{fitted})"


class ProbabilityCalibrator:
    """Recalibrate predicted probabilities of binary tasks on validation data.

    Each column of an ``n x t`` probability array is one independent binary task (the
    multi-task layout of Tox21-style data); a 1-D array is one task. Labels are 0/1 with NaN
    for missing labels, which are ignored.

    Parameters
    ----------
    method : {"platt", "isotonic"}
        ``"platt"``: ``p' = sigmoid(a * logit(p) + b)`` fitted by maximum likelihood with
        Platt's smoothed targets (Platt 1999); two numbers per task, monotone and smooth,
        suited to small validation sets. ``"isotonic"``: a monotone step function fitted by
        isotonic regression (Zadrozny & Elkan 2002), linearly interpolated between
        thresholds and clipped outside them; more flexible, needs more data.

    Attributes
    ----------
    params_ : list of dict
        Per task: ``{"a": float, "b": float}`` (Platt) or ``{"x": list, "y": list}``
        (isotonic thresholds).

    Notes
    -----
    Multi-class probabilities are not handled here; use one calibrator per class column
    only if you renormalise afterwards.
    """

    def __init__(self, method: str = "platt") -> None:
        self.method = method

    def fit(self, proba: np.ndarray, y: np.ndarray) -> ProbabilityCalibrator:
        """Fit on validation probabilities and labels.

        Parameters
        ----------
        proba : numpy.ndarray
            ``n`` or ``n x t`` predicted probabilities of the positive class.
        y : numpy.ndarray
            Same shape, labels in {0, 1}; NaN marks a missing label.

        Returns
        -------
        ProbabilityCalibrator
            ``self``.

        Raises
        ------
        ValueError
            Unknown ``method``, mismatched shapes or labels other than 0/1.
        """
        check_choice(self.method, CALIBRATION_METHODS, "calibration method")
        p2, one_d = as_2d(proba, "proba")
        y2, _ = as_2d(y, "y")
        check_shapes(p2, "proba", y=y2)
        labelled = np.isfinite(y2)
        if np.any((y2[labelled] != 0) & (y2[labelled] != 1)):
            raise ValueError("y must contain only 0, 1 or NaN")
        params = []
        for j in range(p2.shape[1]):
            m = labelled[:, j] & np.isfinite(p2[:, j])
            if not m.any():
                warnings.warn(
                    f"ProbabilityCalibrator: task {j} has no labelled rows; left unchanged",
                    stacklevel=2,
                )
                params.append(_identity_params(self.method))
            elif self.method == "platt":
                params.append(_fit_platt(p2[m, j], y2[m, j]))
            else:
                params.append(_fit_isotonic(p2[m, j], y2[m, j]))
        self.params_ = params
        self.one_d_ = one_d
        return self

    def transform(self, proba: np.ndarray) -> np.ndarray:
        """Calibrated probabilities, same shape as ``proba`` (NaN stays NaN)."""
        if not hasattr(self, "params_"):
            raise NotFittedError("ProbabilityCalibrator is not fitted; call fit(proba, y) first")
        p2, one_d = as_2d(proba, "proba")
        check_n_targets(p2, len(self.params_), "proba")
        out = np.empty_like(p2)
        for j, prm in enumerate(self.params_):
            col = p2[:, j]
            if self.method == "platt":
                z = logit(np.clip(col, _P_EPS, 1 - _P_EPS))
                out[:, j] = expit(prm["a"] * z + prm["b"])
            else:
                out[:, j] = np.interp(col, prm["x"], prm["y"])
            out[~np.isfinite(col), j] = np.nan
        return restore(out, one_d)

    def to_dict(self) -> dict:
        """JSON-serialisable state (floats and lists only)."""
        if not hasattr(self, "params_"):
            raise NotFittedError("ProbabilityCalibrator is not fitted")
        return {
            "type": "ProbabilityCalibrator",
            "version": 1,
            "method": self.method,
            "params": [
                {
                    k: (list(map(float, v)) if isinstance(v, list | np.ndarray) else float(v))
                    for k, v in p.items()
                }
                for p in self.params_
            ],
            "one_d": bool(self.one_d_),
        }

    @classmethod
    def from_dict(cls, d: dict) -> ProbabilityCalibrator:
        """Rebuild a fitted calibrator from :meth:`to_dict` output.

        Raises
        ------
        molpred.exceptions.ModelFileError
            If ``d`` is not a valid ProbabilityCalibrator state.
        """
        check_state(d, "ProbabilityCalibrator", 1, ("method", "params", "one_d"))
        if d["method"] not in CALIBRATION_METHODS:
            raise ModelFileError(f"ProbabilityCalibrator state: unknown method {d['method']!r}")
        need = ("a", "b") if d["method"] == "platt" else ("x", "y")
        params = []
        for p in d["params"]:
            if not isinstance(p, dict) or any(k not in p for k in need):
                raise ModelFileError(f"ProbabilityCalibrator state: each task needs keys {need}")
            if d["method"] == "platt":
                params.append({"a": float(p["a"]), "b": float(p["b"])})
            else:
                x = np.asarray(p["x"], dtype=np.float64)
                yv = np.asarray(p["y"], dtype=np.float64)
                if x.ndim != 1 or x.shape != yv.shape or x.size == 0 or np.any(np.diff(x) < 0):
                    raise ModelFileError("ProbabilityCalibrator state: bad isotonic thresholds")
                params.append({"x": x, "y": yv})
        obj = cls(method=d["method"])
        obj.params_ = params
        obj.one_d_ = bool(d["one_d"])
        return obj

    def __repr__(self) -> str:
        return f"ProbabilityCalibrator(method={self.method!r})"


def _identity_params(method: str) -> dict:
    if method == "platt":
        return {"a": 1.0, "b": 0.0}
    return {"x": np.array([0.0, 1.0]), "y": np.array([0.0, 1.0])}


_MIN_PLATT_SLOPE = 0.05


def _fit_platt(p: np.ndarray, y: np.ndarray) -> dict:
    """Platt scaling on the logit of ``p`` with Platt's smoothed targets."""
    from scipy.optimize import minimize  # imported here: slow, and only fitting needs it

    z = logit(np.clip(p, _P_EPS, 1 - _P_EPS))
    n_pos = float(y.sum())
    n_neg = float(y.size - n_pos)
    t = np.where(y == 1, (n_pos + 1) / (n_pos + 2), 1 / (n_neg + 2))

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        f = w[0] * z + w[1]
        # log(1 + e^f) - t f, the binary cross-entropy written stably
        val = np.logaddexp(0.0, f) - t * f
        g = expit(f) - t
        return float(val.mean()), np.array([np.mean(g * z), np.mean(g)])

    # the slope stays positive: calibration may soften probabilities, never reverse their order
    res = minimize(loss, x0=np.array([1.0, 0.0]), jac=True, method="L-BFGS-B",
                   bounds=[(_MIN_PLATT_SLOPE, None), (None, None)])
    return {"a": float(res.x[0]), "b": float(res.x[1])}


def _fit_isotonic(p: np.ndarray, y: np.ndarray) -> dict:
    from sklearn.isotonic import IsotonicRegression

    iso = IsotonicRegression(y_min=0.0, y_max=1.0, increasing=True, out_of_bounds="clip")
    iso.fit(p, y)
    return {"x": np.asarray(iso.X_thresholds_, float), "y": np.asarray(iso.y_thresholds_, float)}
