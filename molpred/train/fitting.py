"""Fit an estimator: featurise once, split off validation, train members, calibrate.

This is the procedure behind ``MolPropertyRegressor.fit``/``MolPropertyClassifier.fit``; it sets
the fitted attributes (ending in ``_``) on the estimator.
"""

from __future__ import annotations

import warnings
from collections import Counter

import numpy as np

from molpred.data.featurized import featurize_smiles
from molpred.data.scaler import TargetScaler
from molpred.featurize.registry import get_featurizer
from molpred.nn.model import ARCHITECTURES, build_model
from molpred.pretrain import finetune
from molpred.train.device import resolve_device
from molpred.train.loop import TrainConfig, attach_targets, fit_network
from molpred.train.metrics import task_metrics

__all__ = ["fit_estimator"]


def _status_summary(records) -> dict:
    return dict(Counter(r.status for r in records))


def _holdout(n: int, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Seeded random train/validation positions (validation empty when too small)."""
    n_val = int(round(fraction * n))
    if fraction <= 0 or n < 10 or n_val < 2:
        return np.arange(n), np.arange(0)
    perm = np.random.default_rng(seed).permutation(n)
    return np.sort(perm[n_val:]), np.sort(perm[:n_val])


def fit_estimator(est, smiles: list, y: np.ndarray, names: list[str] | None, val) -> None:
    """Train ``est`` in place.

    Parameters
    ----------
    est : _MolEstimator
    smiles : list of str
        Training inputs (invalid ones are skipped with a warning and counted).
    y : numpy.ndarray
        ``n x n_tasks`` labels, NaN = missing.
    names : list of str or None
        Target names.
    val : (list of str, numpy.ndarray) or None
        Explicit validation set; otherwise ``est.val_fraction`` of the training rows.
    """
    from molpred.predict import member_outputs

    task = est._task
    n_tasks = y.shape[1]
    featurizer = get_featurizer(ARCHITECTURES[est.model][0])
    std_cfg = est._standardize_config()
    fs = featurize_smiles(smiles, featurizer, std_cfg, progress=est.progress)
    labelled = ~np.all(np.isnan(y[fs.index]), axis=1)
    usable = np.flatnonzero(labelled)  # positions in fs.data
    dropped = len(smiles) - len(usable)
    if dropped:
        warnings.warn(
            f"{dropped} of {len(smiles)} training rows were not used "
            f"(statuses: {_status_summary(fs.records)}, unlabelled valid rows: {int((~labelled).sum())})",
            stacklevel=3,
        )
    if len(usable) < 2:
        raise ValueError(f"fewer than 2 usable training molecules (statuses: {_status_summary(fs.records)})")

    data = [fs.data[i] for i in usable]
    y_used = y[fs.index[usable]]
    mols = [fs.records[i].mol for i in fs.index[usable]]
    if val is None:
        tr, va = _holdout(len(data), est.val_fraction, est.seed)
        train_data, train_y, train_mols = [data[i] for i in tr], y_used[tr], [mols[i] for i in tr]
        val_data, val_y, val_mols = [data[i] for i in va], y_used[va], [mols[i] for i in va]
    else:
        train_data, train_y, train_mols = data, y_used, mols
        vfs = featurize_smiles(val[0], featurizer, std_cfg)
        val_data, val_y, val_mols = vfs.data, val[1][vfs.index], vfs.mols

    scaler = TargetScaler.fit(train_y) if task == "regression" else TargetScaler.identity(n_tasks)
    train_graphs = attach_targets(train_data, scaler.transform(train_y) if task == "regression" else train_y)
    device = resolve_device(est.device)
    spec = est._model_spec(featurizer, n_tasks)
    members, histories, start = [], [], None
    for m in range(est.ensemble):
        config = TrainConfig(
            task=task, epochs=est.epochs, batch_size=est.batch_size, lr=est.lr,
            patience=est.patience, seed=est.seed + m, progress=est.progress,
            encoder_lr_ratio=finetune.encoder_lr_ratio(est), freeze_encoder_epochs=finetune.freeze_epochs(est),
        )
        import torch

        torch.manual_seed(est.seed + m)
        net = build_model(spec)
        start = finetune.init_encoder(est, net, spec, featurizer)  # pretrained/init_from, else None
        result = fit_network(net, train_graphs, val_data or None, val_y, config, device,
                             scaler if task == "regression" else None)
        members.append(net.cpu().eval())
        histories.append({"best_epoch": result.best_epoch, "best_val_score": result.best_score,
                          "epochs_run": len(result.history), "history": result.history})

    est.featurizer_ = featurizer
    est.std_config_ = std_cfg
    est.spec_ = spec
    est.scaler_ = scaler
    est.members_ = members
    est.n_tasks_ = n_tasks
    est.target_names_ = names or (["y"] if n_tasks == 1 else [f"y{i}" for i in range(n_tasks)])
    est.training_ = histories
    est.var_scaler_ = None
    est.conformal_ = None
    est.domain_ = None
    est.val_metrics_ = None
    est.train_summary_ = {
        "n_input": len(smiles), "n_train": len(train_data), "n_val": len(val_data),
        "statuses": _status_summary(fs.records),
        "label_mean": np.nanmean(train_y, axis=0).tolist() if task == "regression" else None,
        "label_std": np.nanstd(train_y, axis=0).tolist() if task == "regression" else None,
        "positive_rate": np.nanmean(train_y, axis=0).tolist() if task == "classification" else None,
        "encoder_start": start,
    }
    if val_data:
        _calibrate(est, val_data, val_y, val_mols, member_outputs)
    if est.applicability_domain and task in ("regression", "classification"):
        _fit_domain(est, train_mols, val_mols)


def _calibrate(est, val_data, val_y, val_mols, member_outputs) -> None:
    """Fit variance scaling and conformal intervals on the validation set; record its metrics."""
    from molpred.uncertainty.calibration import VarianceScaler
    from molpred.uncertainty.conformal import ConformalRegressor

    mean, std = member_outputs(est, val_data, calibrated=False)
    est.val_metrics_ = task_metrics(est._task, val_y, mean, est.target_names_)
    if est._task != "regression":
        return
    if std is not None:
        est.var_scaler_ = VarianceScaler().fit(val_y, mean, std)
        std = est.var_scaler_.transform(std)
    est.conformal_ = ConformalRegressor().fit(val_y, mean, std)


def _fit_domain(est, train_mols, val_mols) -> None:
    """Keep packed training fingerprints and choose the in-domain threshold on validation."""
    from molpred.uncertainty.domain import ApplicabilityDomain

    domain = ApplicabilityDomain().fit(train_mols)
    if len(val_mols) >= 5:
        # quantile rule: ~95% of molecules drawn like the validation set count as in domain.
        # (The error-binned rule put the cut near the validation median on the small
        # validation sets of MoleculeACE targets, flagging half of a target's own test set.)
        domain.fit_threshold(val_mols)
    est.domain_ = domain
