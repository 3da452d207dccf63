"""Prediction for fitted estimators: networks -> mean/std -> one table row per input."""

from __future__ import annotations

import numpy as np
import pandas as pd

from molpred.data.featurized import FeaturizedSet, featurize_smiles
from molpred.inference.device import resolve_device
from molpred.inference.forward import PREDICT_BATCH, as_batches, predict_network
from molpred.learners import LEARNERS
from molpred.learners.fitting import learner_outputs
from molpred.learners.stack import STACK_ARCH, stack_outputs
from molpred.uncertainty.ensemble import combine_classification, combine_regression

__all__ = ["member_outputs", "predict_featurized", "prediction_frame", "prediction_columns"]


def member_outputs(est, data, calibrated: bool = True, precision: str = "auto", batch_size: int = PREDICT_BATCH,
                   bucket: int = 0) -> tuple[np.ndarray, np.ndarray | None]:
    """Combined predictions of all members for featurised ``data``.

    The batches are made once and reused by every ensemble member and MC-dropout pass.

    Parameters
    ----------
    est : fitted estimator
    data : PackedGraphs, sequence of Batch, or list of Data
        Featurised molecules (:func:`molpred.inference.as_batches`).
    calibrated : bool
        Apply the fitted probability calibration / variance scaling.
    precision : {"auto", "fp32", "bf16"}
        The forward pass's arithmetic (:func:`molpred.inference.device.autocast`).
    batch_size : int
        Molecules per network batch.
    bucket : int
        Pad batches to row multiples of ``bucket`` (:meth:`GraphBatcher.batch`).

    Returns
    -------
    mean : numpy.ndarray
        ``n x n_tasks`` in original units (probabilities of class 1 for classifiers,
        recalibrated when ``calibrated`` and a probability calibrator was fitted).
    std : numpy.ndarray or None
        ``n x n_tasks`` standard deviation (variance-scaled on validation when ``calibrated``
        and a scaler was fitted); ``None`` without an uncertainty method.
    """
    import torch

    if est.spec_.arch in LEARNERS:
        return learner_outputs(est, data, calibrated=calibrated)
    if est.spec_.arch == STACK_ARCH:
        return stack_outputs(est, data, calibrated=calibrated)
    device = resolve_device(est.device)
    batches = as_batches(data, batch_size, device, bucket)
    outputs = []
    for member in est.members_:
        member.to(device)
        if est.uncertainty == "dropout":
            torch.manual_seed(est.seed)
            outputs += [
                predict_network(member, batches, device, dropout=True, precision=precision)
                for _ in range(est.mc_samples)
            ]
        else:
            outputs.append(predict_network(member, batches, device, precision=precision))
    if est._task == "classification":
        mean, std = combine_classification(outputs)
        calibrator = getattr(est, "prob_calibrator_", None)
        if calibrated and calibrator is not None:
            mean = calibrator.transform(mean)
        return mean, (std if est.uncertainty is not None else None)
    mean, std = combine_regression(outputs)
    mean = est.scaler_.inverse_transform(mean)
    if std is not None:
        std = est.scaler_.inverse_std(std)
        if calibrated and est.var_scaler_ is not None:
            std = est.var_scaler_.transform(std)
    if est.uncertainty is None:
        std = None
    return mean, std


def predict_featurized(est, smiles: list) -> tuple[FeaturizedSet, np.ndarray, np.ndarray | None]:
    """Standardise, featurise and predict ``smiles`` (rows that fail get no prediction)."""
    fs = featurize_smiles(smiles, est.featurizer_, est.std_config_, progress=est.progress)
    mean, std = member_outputs(est, fs.graphs)
    return fs, mean, std


def prediction_frame(est, smiles: list, coverage: float) -> pd.DataFrame:
    """Build the per-input prediction table (see ``_MolEstimator.predict_frame``)."""
    fs, mean, std = predict_featurized(est, smiles)
    frame = pd.DataFrame({"smiles": pd.Series(smiles, dtype=object), "smiles_std": pd.Series(fs.smiles, dtype=object)})
    for name, col in prediction_columns(est, mean, std, fs.index, len(smiles), coverage, fs.mols).items():
        frame[name] = col
    frame["status"] = [r.status for r in fs.records]
    frame["error"] = [r.error for r in fs.records]
    return frame


def prediction_columns(
    est, mean: np.ndarray, std: np.ndarray | None, index: np.ndarray, n: int, coverage: float, domain_query=None
) -> dict:
    """Per-row output columns of one model, with NaN (or NA) for rows without a prediction.

    Parameters
    ----------
    est : fitted estimator
    mean, std : numpy.ndarray
        ``len(index) x n_tasks`` from :func:`member_outputs` (``std`` may be None).
    index : numpy.ndarray
        Positions (in ``0..n-1``) of the predicted rows.
    n : int
        Number of rows.
    coverage : float
        Nominal coverage of the conformal intervals.
    domain_query : sequence of Mol or numpy.ndarray, optional
        What ``est.domain_.score`` takes for the predicted rows (molecules, or packed
        fingerprints ``len(index) x n_bits / 8``); needed when the model has a domain.

    Returns
    -------
    dict of str -> array
        In order: ``<target>``, ``<target>_std``, ``<target>_lo``/``_hi`` (regression) or
        ``<target>_set`` (classification), ``max_sim_train``, ``mean_sim_knn``,
        ``in_domain`` (the ones this model provides), each of length ``n``.
    """
    cols: dict = {}
    domain_cols = _domain_columns(est, domain_query, index, n) if est.domain_ is not None else {}

    def scatter(values: np.ndarray) -> np.ndarray:
        col = np.full(n, np.nan)
        col[index] = values
        return col

    for t, name in enumerate(est.target_names_):
        cols[name] = scatter(mean[:, t])
    if std is not None:
        for t, name in enumerate(est.target_names_):
            cols[f"{name}_std"] = scatter(std[:, t])
    if est.conformal_ is not None and len(index):
        dist = None
        if "distance" in est.conformal_.difficulty_:
            dist = 1.0 - domain_cols["max_sim_train"][index]
        lo, hi = est.conformal_.interval(mean, std if est.conformal_.normalized_ else None, coverage, dist)
        lo, hi = np.asarray(lo).reshape(len(index), -1), np.asarray(hi).reshape(len(index), -1)
        for t, name in enumerate(est.target_names_):
            cols[f"{name}_lo"] = scatter(lo[:, t])
            cols[f"{name}_hi"] = scatter(hi[:, t])
    elif est.conformal_ is not None:
        for name in est.target_names_:
            cols[f"{name}_lo"] = np.full(n, np.nan)
            cols[f"{name}_hi"] = np.full(n, np.nan)
    sets = getattr(est, "set_predictors_", None)
    if sets is not None:
        for t, name in enumerate(est.target_names_):
            col = np.full(n, None, dtype=object)
            if len(index):
                member = sets[t].predict_set(mean[:, t], coverage)
                col[index] = [format_set(row) for row in member]
            cols[f"{name}_set"] = col
    cols.update(domain_cols)
    return cols


def format_set(row: np.ndarray) -> str:
    """A prediction set (booleans per class) as text: ``"{0}"``, ``"{1}"``, ``"{0,1}"``, ``"{}"``."""
    return "{" + ",".join(str(k) for k in np.flatnonzero(row)) + "}"


def _domain_columns(est, query, index: np.ndarray, n: int) -> dict:
    max_sim = np.full(n, np.nan)
    knn = np.full(n, np.nan)
    if len(index):
        scores = est.domain_.score(query)
        max_sim[index] = scores["max_sim_train"]
        knn[index] = scores["mean_sim_knn"]
    cols = {"max_sim_train": max_sim, "mean_sim_knn": knn}
    if getattr(est.domain_, "threshold_", None) is not None:
        flags = pd.array([pd.NA] * n, dtype="boolean")
        if len(index):
            flags[index] = est.domain_.in_domain(scores)
        cols["in_domain"] = flags
    return cols
