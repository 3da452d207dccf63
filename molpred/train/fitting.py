"""Fit an estimator: featurise once, hold out calibration and validation, train members, calibrate.

This is the procedure behind ``MolPropertyRegressor.fit``/``MolPropertyClassifier.fit``; it sets
the fitted attributes (ending in ``_``) on the estimator.
"""

from __future__ import annotations

import warnings
from collections import Counter

import numpy as np

from molpred.data.featurized import featurize_smiles
from molpred.data.scaler import TargetScaler
from molpred.featurize.molecule_features import with_molecule_features
from molpred.featurize.registry import get_featurizer
from molpred.inference.device import resolve_device
from molpred.nn.model import ARCHITECTURES, build_model
from molpred.pretrain import finetune
from molpred.train.calibrating import calibrate, calibration_holdout, validation_metrics
from molpred.train.loop import TrainConfig, attach_targets, fit_network

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


def _grouped_holdout(keys: list, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_holdout` over distinct molecules: every row of one molecule lands on one side.

    With distinct ``keys`` this is exactly ``_holdout(len(keys), fraction, seed)``.
    """
    from molpred.data.duplicates import group_ids

    gid = group_ids(keys)
    g_tr, g_va = _holdout(int(gid.max()) + 1 if len(gid) else 0, fraction, seed)
    in_val = np.isin(gid, g_va)
    return np.flatnonzero(~in_val), np.flatnonzero(in_val)


def _deduplicate(est, data, y: np.ndarray, mols: list, keys: list):
    """Apply ``est.duplicates`` to the usable training rows.

    Returns the kept rows' data, labels, mols and keys, a summary dict, and their positions in the
    input lists (the first row of each merged group).
    """
    from molpred.data.duplicates import merge_duplicates

    rows, y_out, report = merge_duplicates(keys, y, est._task, est.duplicates)
    labelled = ~np.all(np.isnan(y_out), axis=1)  # a classification tie on every task leaves no label
    rows, y_out = rows[labelled], y_out[labelled]
    summary = report.to_dict()
    summary["n_unlabelled_after_merge"] = int((~labelled).sum())
    summary["n_val_in_train"] = 0  # explicit X_val molecules also in training (left out of validation)
    if report.n_groups:
        warnings.warn(
            f"{report.n_groups} molecules occur more than once after standardisation "
            f"({report.n_rows_in_groups} rows, {report.n_conflicting} with conflicting labels); "
            f"duplicates={report.policy!r}", stacklevel=4,
        )
    if len(rows) < 2:
        raise ValueError("fewer than 2 usable training molecules after merging duplicates")
    return (data.take(rows), y_out, [mols[i] for i in rows], [keys[i] for i in rows], summary, rows)


def class_balance_weights(y: np.ndarray) -> np.ndarray:
    """``n x t`` weights ``n_labelled / (2 n_class)`` per target (1 where a class is absent).

    Parameters
    ----------
    y : numpy.ndarray
        ``n x t`` 0/1 labels, NaN = missing.
    """
    w = np.ones_like(y, dtype=np.float64)
    for t in range(y.shape[1]):
        col = y[:, t]
        labelled = ~np.isnan(col)
        n_pos, n = int((col[labelled] == 1).sum()), int(labelled.sum())
        if 0 < n_pos < n:
            w[labelled & (col == 1), t] = n / (2.0 * n_pos)
            w[labelled & (col == 0), t] = n / (2.0 * (n - n_pos))
    return w


def fit_estimator(est, smiles: list, y: np.ndarray, names: list[str] | None, val,
                  weight: np.ndarray | None = None, qual: np.ndarray | None = None, on_epoch=None) -> None:
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
    weight : numpy.ndarray, optional
        ``n x n_tasks`` sample weights (class weights are multiplied in when
        ``est.class_weight == "balanced"``).
    qual : numpy.ndarray, optional
        ``n x n_tasks`` label qualifiers for ``loss="censored"`` (0 exact, 1 ``>``, -1 ``<``).
    on_epoch : callable, optional
        Called after every epoch of every ensemble member with the epoch's record plus
        ``member`` (:func:`molpred.train.loop.fit_network`); learners train no epochs.
    """
    from molpred.learners import is_learner
    from molpred.predict import member_outputs

    if is_learner(est.model):
        from molpred.learners.fitting import fit_learner_estimator

        return fit_learner_estimator(est, smiles, y, names, val)
    if est.model == "auto":
        from molpred.learners.stack import fit_stack_estimator

        return fit_stack_estimator(est, smiles, y, names, val)
    task = est._task
    n_tasks = y.shape[1]
    base_featurizer = get_featurizer(ARCHITECTURES[est.model][0])
    featurizer = with_molecule_features(base_featurizer, est.features)  # graphs carry mol_x
    std_cfg = est._standardize_config()
    fs = featurize_smiles(smiles, featurizer, std_cfg, progress=est.progress)
    labelled = ~np.all(np.isnan(y[fs.index]), axis=1)
    usable = np.flatnonzero(labelled)  # positions in fs.graphs
    dropped = len(smiles) - len(usable)
    if dropped:
        warnings.warn(
            f"{dropped} of {len(smiles)} training rows were not used "
            f"(statuses: {_status_summary(fs.records)}, unlabelled valid rows: {int((~labelled).sum())})",
            stacklevel=3,
        )
    if len(usable) < 2:
        raise ValueError(f"fewer than 2 usable training molecules (statuses: {_status_summary(fs.records)})")

    data = fs.graphs.take(usable)
    y_used = y[fs.index[usable]]
    w_used = None if weight is None else weight[fs.index[usable]]
    q_used = None if qual is None else qual[fs.index[usable]]
    mols = [fs.records[i].mol for i in fs.index[usable]]
    rows = fs.index[usable]  # input row of each usable molecule
    keys = [fs.records[i].smiles for i in rows]  # standardised canonical SMILES
    data, y_used, mols, keys, dup_summary, kept = _deduplicate(est, data, y_used, mols, keys)
    rows, all_keys = rows[kept], set(keys)
    # a merged molecule keeps the weight and qualifier of its first row
    w_used = None if w_used is None else w_used[kept]
    q_used = None if q_used is None else q_used[kept]
    # calibration molecules leave before anything else: never trained on, never early-stopped on
    keep, cal = calibration_holdout(mols, est.calibration_fraction, est.calibration_split, est.seed)
    cal_data, cal_y, cal_mols = data.take(cal), y_used[cal], [mols[i] for i in cal]
    if q_used is not None:  # bounds are not point values: they do not calibrate
        cal_y = np.where(q_used[cal] != 0, np.nan, cal_y)
    if w_used is not None:  # nor do rows the user weighted 0
        cal_y = np.where(w_used[cal] == 0, np.nan, cal_y)
    est.fit_positions_ = {"calibration": rows[cal]}
    data, y_used, mols, keys = data.take(keep), y_used[keep], [mols[i] for i in keep], [keys[i] for i in keep]
    w_used = None if w_used is None else w_used[keep]
    q_used = None if q_used is None else q_used[keep]
    kept_rows = rows[keep]
    if val is None:
        tr, va = _grouped_holdout(keys, est.val_fraction, est.seed)
        train_data, train_y, train_mols = data.take(tr), y_used[tr], [mols[i] for i in tr]
        val_data, val_y, val_mols = data.take(va), y_used[va], [mols[i] for i in va]
        est.fit_positions_.update(train=kept_rows[tr], validation=kept_rows[va])
        if q_used is not None:  # bounds are not point values: they do not score validation
            val_y = np.where(q_used[va] != 0, np.nan, val_y)
        if w_used is not None:  # nor do rows the user weighted 0
            val_y = np.where(w_used[va] == 0, np.nan, val_y)
        train_w = None if w_used is None else w_used[tr]
        train_q = None if q_used is None else q_used[tr]
    else:
        train_data, train_y, train_mols = data, y_used, mols
        est.fit_positions_["train"] = kept_rows
        train_w, train_q = w_used, q_used
        vfs = featurize_smiles(val[0], featurizer, std_cfg)
        seen = all_keys  # training and calibration molecules
        keep = [j for j, i in enumerate(vfs.index) if vfs.records[i].smiles not in seen]
        dup_summary["n_val_in_train"] = len(vfs.index) - len(keep)
        if dup_summary["n_val_in_train"]:
            warnings.warn(f"{dup_summary['n_val_in_train']} validation molecules are also training molecules "
                          "(after standardisation); they were left out of validation", stacklevel=3)
        val_data = vfs.graphs.take(keep)
        val_y, val_mols = val[1][vfs.index[keep]], [vfs.mols[j] for j in keep]

    # zero-weight labels do not set the target scale either
    scale_y = train_y if train_w is None else np.where(train_w == 0, np.nan, train_y)
    scaler = TargetScaler.fit(scale_y) if task == "regression" else TargetScaler.identity(n_tasks)
    if getattr(est, "class_weight", None) == "balanced":
        cw = class_balance_weights(train_y)
        train_w = cw if train_w is None else train_w * cw
    train_graphs = attach_targets(train_data, scaler.transform(train_y) if task == "regression" else train_y,
                                  weight=train_w, qual=train_q if getattr(est, "loss", "mse") == "censored" else None)
    device = resolve_device(est.device)
    est.pretrained_, start_reason = finetune.choose_start(est, base_featurizer, len(train_data))
    spec = est._model_spec(featurizer, n_tasks)
    feature_stats = _feature_statistics(featurizer, train_data)  # training molecules only
    members, histories, start = [], [], None
    for m in range(est.ensemble):
        config = TrainConfig(
            task=task, epochs=est.epochs, batch_size=est.batch_size, lr=est.lr,
            warmup_epochs=est.warmup_epochs, grad_clip=float(est.grad_clip),
            patience=est.patience, seed=est.seed + m, progress=est.progress, loss=getattr(est, "loss", "mse"),
            encoder_lr_ratio=finetune.encoder_lr_ratio(est), freeze_encoder_epochs=finetune.freeze_epochs(est),
            **_cliff_settings(est, scaler),
        )
        import torch

        torch.manual_seed(est.seed + m)
        net = build_model(spec)
        if feature_stats is not None:
            net.mol_features.set_statistics(**feature_stats)
        start = finetune.init_encoder(est, net, spec, base_featurizer)  # pretrained/init_from, else None
        result = fit_network(net, train_graphs, val_data if len(val_data) else None, val_y, config, device,
                             scaler if task == "regression" else None,
                             on_epoch=None if on_epoch is None else _tagged(on_epoch, member=m))
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
    est.prob_calibrator_ = None
    est.set_predictors_ = None
    est.domain_ = None
    est.val_metrics_ = None
    est.train_summary_ = {
        "n_input": len(smiles), "n_train": len(train_data), "n_val": len(val_data),
        "n_calibration": len(cal_data),
        "calibration_set": (f"held out ({est.calibration_split})" if len(cal_data)
                            else "validation" if len(val_data) else "none"),
        "statuses": _status_summary(fs.records),
        "duplicates": dup_summary,
        "loss": getattr(est, "loss", "mse"),
        "weighted": train_w is not None,
        "n_censored": int(np.count_nonzero(train_q)) if train_q is not None else 0,
        "label_mean": np.nanmean(train_y, axis=0).tolist() if task == "regression" else None,
        "label_std": np.nanstd(train_y, axis=0).tolist() if task == "regression" else None,
        "positive_rate": np.nanmean(train_y, axis=0).tolist() if task == "classification" else None,
        "encoder_start": start,
        "encoder_start_reason": start_reason,
        "molecule_features": _feature_summary(featurizer, train_data, feature_stats),
    }
    if est.applicability_domain and task in ("regression", "classification"):
        _fit_domain(est, train_mols, val_mols)
    if len(val_data):
        est.val_metrics_ = validation_metrics(est, val_data, val_y, member_outputs)
    if len(cal_data):
        calibrate(est, cal_data, cal_y, cal_mols, member_outputs)
    elif len(val_data):  # too little data for a separate calibration set (or calibration_fraction=0)
        calibrate(est, val_data, val_y, val_mols, member_outputs)


def _cliff_settings(est, scaler) -> dict:
    """``TrainConfig`` keywords of the cliff term, its thresholds in each target's scaled units."""
    weight = float(getattr(est, "cliff_weight", 0.0) or 0.0)
    if not weight:
        return {}
    scale = np.asarray(scaler.std, dtype=float).reshape(-1)
    return {"cliff_weight": weight, "cliff_lower": tuple(float(est.cliff_lower / s) for s in scale),
            "cliff_upper": tuple(float(est.cliff_upper / s) for s in scale)}


def _feature_statistics(featurizer, train_data) -> dict | None:
    """Imputation/scaling statistics of the molecule features on the training graphs (None without)."""
    if not getattr(featurizer, "d_mol", 0):
        return None
    from molpred.data.scaler import fit_robust_scaling

    return fit_robust_scaling(train_data.graph_attrs["mol_x"], featurizer.features.scaled_mask)


def _feature_summary(featurizer, train_data, stats: dict | None) -> dict | None:
    """What ``train_summary_`` says about the molecule features: names, width, missing values."""
    if stats is None:
        return None
    x = train_data.graph_attrs["mol_x"]
    missing = np.isnan(x)
    return {"names": list(featurizer.features.names), "d_mol": int(x.shape[1]),
            "train_molecules_with_missing": int(missing.any(axis=1).sum()),
            "columns_missing_on_all_train": int(missing.all(axis=0).sum())}


def _tagged(callback, **tags):
    """``callback`` receiving each record with ``tags`` added."""
    return lambda record: callback({**record, **tags})


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
