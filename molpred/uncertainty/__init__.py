"""Trust in predictions: calibration, conformal intervals and sets, applicability domain.

The pieces here are model-agnostic (numpy, scipy, scikit-learn): they take predicted means,
standard deviations or probabilities and labels, and every fitted object saves to JSON (plus
one uint8 array for the applicability domain), never to a pickle.
"""

from molpred.uncertainty.calibration import (
    CALIBRATION_METHODS,
    ProbabilityCalibrator,
    VarianceScaler,
)
from molpred.uncertainty.conformal import ConformalRegressor, conformal_quantile
from molpred.uncertainty.conformal_sets import ConformalClassifier
from molpred.uncertainty.domain import DOMAIN_SCORES, ApplicabilityDomain, packed_tanimoto
from molpred.uncertainty.metrics import (
    calibration_curve,
    classification_uncertainty_metrics,
    expected_calibration_error,
    gaussian_nll,
    miscalibration_area,
    regression_uncertainty_metrics,
)

__all__ = [
    "VarianceScaler",
    "ProbabilityCalibrator",
    "CALIBRATION_METHODS",
    "ConformalRegressor",
    "ConformalClassifier",
    "conformal_quantile",
    "ApplicabilityDomain",
    "packed_tanimoto",
    "DOMAIN_SCORES",
    "regression_uncertainty_metrics",
    "calibration_curve",
    "miscalibration_area",
    "gaussian_nll",
    "expected_calibration_error",
    "classification_uncertainty_metrics",
]
