"""The calibration set and what is fitted on it: variance scaling, conformal intervals and sets.

Why a separate calibration set
------------------------------
The validation set picks the early-stopping epoch, so the model is selected to do well on
it: residuals there are optimistic, and intervals calibrated on them under-cover. Conformal
guarantees need calibration molecules the fitted model has never been tuned on. So
``fit`` holds out ``calibration_fraction`` of the training molecules *before* training
(they are neither trained on nor used for early stopping) and fits, on them only:

- regression: the variance scaler (robust, median-based) and the conformal intervals;
- classification: the probability calibrator (Platt or isotonic) and the conformal
  prediction sets (computed on the calibrated probabilities).

How it is drawn (``calibration_split``): ``"random"`` (default; exchangeable with a random
test split), ``"scaffold"`` (whole Bemis-Murcko scaffold groups, for models meant for new
chemical series: the calibration molecules are then as foreign to the training set as
scaffold-split test molecules, and intervals widen accordingly) or ``"cluster"`` (Butina
clusters of ECFP4). ``molpred train --split scaffold`` asks for the scaffold variant.
``calibration_fraction=0`` falls back to calibrating on the validation set (the behaviour
before this module existed; intervals are then optimistic).

We chose a held-out split over cross-conformal / CV+ because ensemble members here share
their training data (CV+ would need one member per fold, changing what the ensemble is);
the cost is 10% fewer training molecules.
"""

from __future__ import annotations

import warnings

import numpy as np

from molpred.train.metrics import task_metrics

MIN_CLASS_COUNT = 5
"""Fewest positives and negatives per task in the calibration set for probability calibration."""

__all__ = ["CALIBRATION_SPLITS", "calibration_holdout", "calibrate"]

CALIBRATION_SPLITS = ("random", "scaffold", "cluster")
# below this many calibration molecules a 90% conformal quantile is too coarse to be worth
# the training molecules it costs (with 9 molecules the 90% quantile is the maximum score)
MIN_CALIBRATION = 10


def calibration_holdout(mols: list, fraction: float, split: str, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Positions kept for training and positions held out for calibration.

    Parameters
    ----------
    mols : list of rdkit.Chem.Mol
        The usable training molecules.
    fraction : float
        Share of ``mols`` to hold out, in [0, 1).
    split : {"random", "scaffold", "cluster"}
        How: molecules at random, or whole scaffold / cluster groups.
    seed : int

    Returns
    -------
    keep, cal : numpy.ndarray
        Sorted, disjoint positions into ``mols``; ``cal`` is empty when ``fraction`` is 0 or
        the data are too few for ``MIN_CALIBRATION`` calibration molecules (with a warning).
    """
    from molpred.data.splits import make_split
    from molpred.uncertainty._arrays import check_choice

    check_choice(split, CALIBRATION_SPLITS, "calibration split")
    n = len(mols)
    if fraction <= 0:
        return np.arange(n), np.arange(0)
    if round(fraction * n) < MIN_CALIBRATION or n - round(fraction * n) < 2 * MIN_CALIBRATION:
        warnings.warn(
            f"{n} training molecules are too few to hold out a calibration set "
            f"(calibration_fraction={fraction}); calibrating on the validation set instead, "
            "which makes intervals optimistic",
            stacklevel=4,
        )
        return np.arange(n), np.arange(0)
    # the held-out part takes the "val" slot of a two-way split (the test slot is empty)
    part = make_split(split, mols, None, (1.0 - fraction, fraction, 0.0), seed + 7919)
    keep = np.sort(np.concatenate([part.train, part.test]))
    return keep, np.sort(part.val)


def calibrate(est, cal_data, cal_y: np.ndarray, cal_mols: list, member_outputs) -> None:
    """Fit every post-hoc calibration of ``est`` on held-out molecules.

    Parameters
    ----------
    est : fitted estimator (members, scaler, and ``domain_`` when it has one)
    cal_data : PackedGraphs
        Featurised calibration molecules (or anything :func:`molpred.inference.as_batches` takes).
    cal_y : numpy.ndarray
        ``n x n_tasks`` labels (NaN = missing).
    cal_mols : list of rdkit.Chem.Mol
        The same molecules (for their distance to the training set).
    member_outputs : callable
        :func:`molpred.predict.member_outputs`.
    """
    from molpred.uncertainty.calibration import ProbabilityCalibrator, VarianceScaler
    from molpred.uncertainty.conformal import ConformalRegressor
    from molpred.uncertainty.conformal_sets import ConformalClassifier

    mean, std = member_outputs(est, cal_data, calibrated=False)
    if est._task != "regression":
        if est.probability_calibration is not None:
            # a handful of one class cannot calibrate: Platt would flatten every probability
            n_pos = np.nansum(cal_y == 1, axis=0)
            n_neg = np.nansum(cal_y == 0, axis=0)
            if (np.minimum(n_pos, n_neg) >= MIN_CLASS_COUNT).all():
                est.prob_calibrator_ = ProbabilityCalibrator(est.probability_calibration).fit(mean, cal_y)
                mean = est.prob_calibrator_.transform(mean)
            else:
                warnings.warn(f"probabilities left uncalibrated: the calibration set has fewer than "
                              f"{MIN_CLASS_COUNT} molecules of a class (positives {n_pos.tolist()}, "
                              f"negatives {n_neg.tolist()})", stacklevel=3)
        est.set_predictors_ = [ConformalClassifier().fit(mean[:, j], cal_y[:, j])
                               for j in range(mean.shape[1])]
        return
    if std is not None:
        est.var_scaler_ = VarianceScaler(est.variance_scaling).fit(cal_y, mean, std)
        std = est.var_scaler_.transform(std)
    difficulty = est.conformal_difficulty
    dist = None
    if est.domain_ is not None and difficulty in ("auto", "distance", "std+distance"):
        dist = 1.0 - est.domain_.score(cal_mols)["max_sim_train"].astype(np.float64)
    if difficulty == "auto":
        difficulty = ("std" if std is not None else "") + ("+" if std is not None and dist is not None else "")
        difficulty = (difficulty + ("distance" if dist is not None else "")) or "none"
    est.conformal_ = ConformalRegressor(difficulty).fit(cal_y, mean, std, dist)


def validation_metrics(est, val_data, val_y: np.ndarray, member_outputs) -> dict:
    """Metrics of the (uncalibrated) predictions on the early-stopping set."""
    mean, _ = member_outputs(est, val_data, calibrated=False)
    return task_metrics(est._task, val_y, mean, est.target_names_)
