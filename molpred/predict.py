"""Prediction for fitted estimators: networks -> mean/std -> one table row per input."""

from __future__ import annotations

import numpy as np
import pandas as pd

from molpred.data.featurized import FeaturizedSet, featurize_smiles
from molpred.train.device import resolve_device
from molpred.train.loop import predict_network
from molpred.uncertainty.ensemble import combine_classification, combine_regression

__all__ = ["member_outputs", "predict_featurized", "prediction_frame"]


def member_outputs(est, data: list, calibrated: bool = True) -> tuple[np.ndarray, np.ndarray | None]:
    """Combined predictions of all members for featurised ``data``.

    Returns
    -------
    mean : numpy.ndarray
        ``n x n_tasks`` in original units (probabilities of class 1 for classifiers).
    std : numpy.ndarray or None
        ``n x n_tasks`` standard deviation (variance-scaled on validation when ``calibrated``
        and a scaler was fitted); ``None`` without an uncertainty method.
    """
    import torch

    device = resolve_device(est.device)
    outputs = []
    for member in est.members_:
        member.to(device)
        if est.uncertainty == "dropout":
            torch.manual_seed(est.seed)
            outputs += [predict_network(member, data, device, dropout=True) for _ in range(est.mc_samples)]
        else:
            outputs.append(predict_network(member, data, device))
    if est._task == "classification":
        return combine_classification(outputs)
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
    mean, std = member_outputs(est, fs.data)
    return fs, mean, std


def prediction_frame(est, smiles: list, coverage: float) -> pd.DataFrame:
    """Build the per-input prediction table (see ``_MolEstimator.predict_frame``)."""
    fs, mean, std = predict_featurized(est, smiles)
    n = len(smiles)
    frame = pd.DataFrame({"smiles": pd.Series(smiles, dtype=object), "smiles_std": pd.Series(fs.smiles, dtype=object)})
    for t, name in enumerate(est.target_names_):
        col = np.full(n, np.nan)
        col[fs.index] = mean[:, t]
        frame[name] = col
    if std is not None:
        for t, name in enumerate(est.target_names_):
            col = np.full(n, np.nan)
            col[fs.index] = std[:, t]
            frame[f"{name}_std"] = col
    if est.conformal_ is not None and len(fs.index):
        lo, hi = est.conformal_.interval(mean, std if est.conformal_.normalized_ else None, coverage)
        lo, hi = np.asarray(lo).reshape(len(fs.index), -1), np.asarray(hi).reshape(len(fs.index), -1)
        for t, name in enumerate(est.target_names_):
            for suffix, values in (("lo", lo), ("hi", hi)):
                col = np.full(n, np.nan)
                col[fs.index] = values[:, t]
                frame[f"{name}_{suffix}"] = col
    elif est.conformal_ is not None:
        for name in est.target_names_:
            frame[f"{name}_lo"] = np.nan
            frame[f"{name}_hi"] = np.nan
    if est.domain_ is not None:
        _add_domain_columns(est, frame, fs)
    frame["status"] = [r.status for r in fs.records]
    frame["error"] = [r.error for r in fs.records]
    return frame


def _add_domain_columns(est, frame: pd.DataFrame, fs: FeaturizedSet) -> None:
    n = len(frame)
    max_sim = np.full(n, np.nan)
    knn = np.full(n, np.nan)
    if len(fs.index):
        scores = est.domain_.score(fs.mols)
        max_sim[fs.index] = scores["max_sim_train"]
        knn[fs.index] = scores["mean_sim_knn"]
    frame["max_sim_train"] = max_sim
    frame["mean_sim_knn"] = knn
    if getattr(est.domain_, "threshold_", None) is not None:
        flags = pd.array([pd.NA] * n, dtype="boolean")
        if len(fs.index):
            flags[fs.index] = est.domain_.in_domain(scores)
        frame["in_domain"] = flags
