"""Fit and apply an estimator whose ``model`` is a kernel or tree learner.

The estimator API is the graph models' one; differences:

* one learner per target, fitted on that target's labelled rows;
* without ``X_val`` nothing is held out: the learner trains on all rows, and calibration
  (validation metrics, variance scaling, conformal intervals) uses out-of-fold predictions
  (5-fold CV, or out-of-bag for ``rf``) made with the chosen settings; the
  applicability-domain threshold uses the same folds (each molecule scored against the
  other folds);
* with ``X_val`` the validation rows calibrate, exactly as for graph models.
"""

from __future__ import annotations

import warnings

import numpy as np

from molpred.learners import build_learner, learner_featurizer, learner_settings

__all__ = ["fit_learner_estimator", "learner_outputs", "fingerprint_matrix", "set_learner_state"]


def fingerprint_matrix(data) -> np.ndarray:
    """``n x n_bits`` uint8 fingerprints of featurised molecules.

    Parameters
    ----------
    data : PackedGraphs, sequence of Batch, or list of Data
        Fingerprint records packed (``graph_attrs["fp"]``), batched or one ``Data`` each.
    """
    from molpred.data.packed import PackedGraphs

    if isinstance(data, PackedGraphs):
        return np.asarray(data.graph_attrs["fp"], dtype=np.uint8)  # the packed records are uint8 already
    parts = [d.fp[: getattr(d, "n_real", d.fp.shape[0])].numpy() for d in data]
    if not parts:
        return np.zeros((0, 0), dtype=np.uint8)
    return np.concatenate(parts).astype(np.uint8)


def learner_outputs(est, data, calibrated: bool = True) -> tuple[np.ndarray, np.ndarray | None]:
    """``n x n_tasks`` predictions (class-1 probabilities for classifiers) and std or None."""
    X = fingerprint_matrix(data)
    n = len(X)
    mean = np.full((n, est.n_tasks_), np.nan)
    std = None
    for t, learner in enumerate(est.members_):
        if n == 0:
            continue
        m, s = learner.predict(X)
        mean[:, t] = m
        if s is not None:
            std = np.full((n, est.n_tasks_), np.nan) if std is None else std
            std[:, t] = s
    if n == 0 and est.spec_.arch == "gp":
        std = np.zeros((0, est.n_tasks_))
    if std is not None and calibrated and est.var_scaler_ is not None:
        std = est.var_scaler_.transform(std)
    # classifiers fitted with X_val carry a probability calibrator (the conformal sets were fitted
    # on its output): predictions must go through it too
    if calibrated and n and getattr(est, "prob_calibrator_", None) is not None:
        mean = est.prob_calibrator_.transform(mean)
    return mean, std


def fit_learner_estimator(est, smiles: list, y: np.ndarray, names: list[str] | None, val) -> None:
    """Train ``est`` (``est.model`` in :data:`molpred.learners.LEARNERS`) in place.

    Parameters are those of :func:`molpred.train.fitting.fit_estimator`.
    """
    from molpred.data.featurized import featurize_smiles
    from molpred.featurize.registry import get_featurizer
    from molpred.predict import member_outputs
    from molpred.train.calibrating import calibrate, validation_metrics
    from molpred.train.fitting import _fit_domain, _status_summary
    from molpred.train.metrics import task_metrics

    task = est._task
    n_tasks = y.shape[1]
    kernel = getattr(est, "kernel", "tanimoto")
    featurizer = get_featurizer(learner_featurizer(est.model, kernel))
    std_cfg = est._standardize_config()
    fs = featurize_smiles(smiles, featurizer, std_cfg, progress=est.progress)
    labelled = ~np.all(np.isnan(y[fs.index]), axis=1)
    usable = np.flatnonzero(labelled)
    dropped = len(smiles) - len(usable)
    if dropped:
        warnings.warn(f"{dropped} of {len(smiles)} training rows were not used "
                      f"(statuses: {_status_summary(fs.records)}, unlabelled valid rows: {int((~labelled).sum())})",
                      stacklevel=3)
    if len(usable) < 2:
        raise ValueError(f"fewer than 2 usable training molecules (statuses: {_status_summary(fs.records)})")
    X = fingerprint_matrix(fs.graphs.take(usable))
    y_used = y[fs.index[usable]]
    mols = [fs.records[i].mol for i in fs.index[usable]]

    members, training = [], []
    oof_mean = np.full(y_used.shape, np.nan)
    oof_std = np.full(y_used.shape, np.nan)
    has_std = False
    for t in range(n_tasks):
        rows = np.flatnonzero(~np.isnan(y_used[:, t]))
        if len(rows) < 2:
            raise ValueError(f"target {t} has fewer than 2 labelled molecules")
        learner = build_learner(est.model, task, est.seed, kernel, learner_settings(est)).fit(X[rows], y_used[rows, t])
        if val is None:
            m, s = learner.oof_predict()
            oof_mean[rows, t] = m
            if s is not None:
                oof_std[rows, t], has_std = s, True
        learner.free()
        members.append(learner)
        training.append({"learner": est.model, "n_train": int(len(rows)), **learner.params_})

    set_learner_state(est, featurizer, std_cfg, members, names, training)
    val_mols = []
    if val is not None:
        vfs = featurize_smiles(val[0], featurizer, std_cfg)
        val_mols = vfs.mols
        n_val = len(vfs.graphs)
        if est.applicability_domain:  # calibration reads the distance to the training set
            _fit_domain(est, mols, val_mols)
        if n_val:
            est.val_metrics_ = validation_metrics(est, vfs.graphs, val[1][vfs.index], member_outputs)
            calibrate(est, vfs.graphs, val[1][vfs.index], val_mols, member_outputs)
    else:
        n_val = 0
        _calibrate_out_of_fold(est, y_used, oof_mean, oof_std if has_std else None, task_metrics)
    est.train_summary_ = {
        "n_input": len(smiles), "n_train": int(len(usable)), "n_val": n_val,
        "calibration": "validation set" if val is not None else "out-of-fold (training data)",
        "statuses": _status_summary(fs.records),
        "label_mean": np.nanmean(y_used, axis=0).tolist() if task == "regression" else None,
        "label_std": np.nanstd(y_used, axis=0).tolist() if task == "regression" else None,
        "positive_rate": np.nanmean(y_used, axis=0).tolist() if task == "classification" else None,
    }
    if est.applicability_domain and val is None:
        _fit_domain_out_of_fold(est, mols)


def set_learner_state(est, featurizer, std_cfg, members: list, names: list[str] | None, training: list) -> None:
    """Set the fitted attributes of a learner estimator (one fitted learner per target), uncalibrated.

    Parameters
    ----------
    est : _MolEstimator
        With ``model`` a learner name.
    featurizer, std_cfg
        The featurizer the learners read and the standardisation settings.
    members : list
        One fitted learner per target.
    names : list of str or None
        Target names.
    training : list of dict
        Per-target training notes (``train_summary_``-style).
    """
    from molpred.data.scaler import TargetScaler
    from molpred.nn.model import ModelSpec

    n_tasks = len(members)
    est.featurizer_ = featurizer
    est.std_config_ = std_cfg
    est.spec_ = ModelSpec(arch=est.model, d_atom=featurizer.d_atom, d_bond=featurizer.d_bond, n_tasks=n_tasks,
                          hidden=0, depth=0, readout="none", dropout=0.0, ffn_hidden=0, ffn_layers=0)
    est.scaler_ = TargetScaler.identity(n_tasks)
    est.members_ = members
    est.n_tasks_ = n_tasks
    est.target_names_ = names or (["y"] if n_tasks == 1 else [f"y{i}" for i in range(n_tasks)])
    est.training_ = training
    est.var_scaler_ = est.conformal_ = est.domain_ = est.val_metrics_ = None
    est.prob_calibrator_ = est.set_predictors_ = None


def _calibrate_out_of_fold(est, y, mean, std, task_metrics) -> None:
    from molpred.uncertainty.calibration import VarianceScaler
    from molpred.uncertainty.conformal import ConformalRegressor

    have = np.isfinite(mean) & ~np.isnan(y)
    if not have.any():
        return
    y_cal = np.where(have, y, np.nan)
    est.val_metrics_ = task_metrics(est._task, y_cal, np.where(have, mean, 0.0), est.target_names_)
    if est._task != "regression":
        return
    if std is not None:
        est.var_scaler_ = VarianceScaler().fit(y_cal, mean, std)
        std = est.var_scaler_.transform(std)
    est.conformal_ = ConformalRegressor().fit(y_cal, mean, std)


def _fit_domain_out_of_fold(est, mols: list, quantile: float = 0.05) -> None:
    """Domain on all training molecules; threshold from each molecule's similarity to the other folds."""
    from sklearn.model_selection import KFold

    from molpred.uncertainty.domain import ApplicabilityDomain

    domain = ApplicabilityDomain().fit(mols)
    if len(mols) >= 10:
        sims = np.empty(len(mols))
        for tr, te in KFold(5, shuffle=True, random_state=est.seed).split(np.arange(len(mols))):
            fold = ApplicabilityDomain().fit([mols[i] for i in tr])
            sims[te] = fold.score([mols[i] for i in te])["max_sim_train"]
        domain.threshold_ = float(np.quantile(sims[np.isfinite(sims)], quantile))
        domain.threshold_rule_ = "quantile"
        domain.threshold_score_ = "max_sim_train"
    est.domain_ = domain
