"""``model="auto"``: a cross-validated, constrained linear stack of molpred models.

What ``fit`` does (regression; classification stacks class-1 probabilities the same way):

1. standardise and featurise the training molecules once, for every candidate
   (:class:`~molpred.featurize.composite.CompositeFeaturizer`), merge duplicates, and hold out
   the calibration set (``calibration_fraction``, as every molpred model does) *before*
   anything else: calibration molecules never enter the stacking fit. With ``X_val`` the
   validation rows calibrate instead and nothing is held out of ``X``;
2. split the remaining training molecules into ``cv_folds`` seeded folds and, for every
   candidate in ``members``, predict each fold from a model fitted on the other folds
   (each fold fit chooses its own hyperparameters: SVR's C/epsilon by inner CV, the GP's
   signal/noise by marginal likelihood, networks early-stop on part of their fold's
   training rows). Kernel learners share one kernel matrix per kernel across folds;
3. per target, choose weights ``w >= 0, sum(w) = 1`` minimising the squared error of
   ``sum_k w_k oof_k`` (exactly, by enumerating the candidates' subsets:
   :func:`~molpred.learners.stack_weights.simplex_least_squares`; for classifiers this is the
   Brier score of the stacked probability). A candidate with weight 0 on every target is dropped;
4. refit the kept candidates on all training molecules (each a normal molpred model, saved
   as its own sub-bundle) and calibrate the stack (variance scaling, conformal intervals,
   domain threshold) on the calibration set, or out of fold when there is none.

The stack's standard deviation is that of the weighted mixture of its members: the
weighted predictive variance of the members that give one (the GP) plus the weighted spread
of the members' means around the stack's mean; it is then rescaled on the calibration set.
A classifier stack recalibrates its stacked probability (Platt/isotonic) and fits conformal
prediction sets on the calibration set; its members stay uncalibrated
(``probability_calibration=None``) so the weights see their raw probabilities.

Candidate names: ``gp-minmax``, ``gp-tanimoto`` (``gp``), ``gp-multi``, ``svr-minmax``,
``svr-tanimoto`` (``svr``), ``svr-multi``, ``rf``, ``mlp``, ``dmpnn``, ``gine``, ``attentivefp``. The default
(:data:`~molpred.learners.stack_members.DEFAULT_MEMBERS`) is the three cheapest strong ones; graph networks are left to
``members=`` because cross-validating one costs ``cv_folds + 1`` trainings. Classifiers can
stack ``rf`` and the networks (default
:data:`~molpred.learners.stack_members.DEFAULT_CLASSIFIER_MEMBERS`).
"""

from __future__ import annotations

import warnings

import numpy as np

from molpred.learners.stack_members import MemberSpec, member_specs

__all__ = ["STACK_ARCH", "fit_stack_estimator", "stack_outputs"]

STACK_ARCH = "auto"
# ---------------------------------------------------------------------- fitting
def _member_estimator(est, spec: MemberSpec):
    """A new member estimator: the stack's settings, its own model, no calibration hold-out or domain."""
    params = est.get_params(deep=False)
    params.update(model=spec.model, kernel=spec.kernel, members=None, calibration_fraction=0.0,
                  applicability_domain=False, progress=False, probability_calibration=None)
    return type(est)(**params)


def _check_sizes(specs: list[MemberSpec], n: int) -> None:
    """Refuse, before any work, a candidate that cannot take ``n`` training molecules (dense kernels)."""
    from molpred.learners.kernel import GP_MAX_TRAIN, SVR_MAX_TRAIN

    limits = {"gp": GP_MAX_TRAIN, "svr": SVR_MAX_TRAIN}
    for spec in specs:
        if n > limits.get(spec.model, n):
            rest = [s.name for s in specs if s.model != spec.model] or ["rf", "mlp"]
            raise ValueError(f"model='auto': candidate {spec.name!r} handles at most {limits[spec.model]} training "
                             f"molecules per target, this set has {n}; leave it out, e.g. members={tuple(rest)}")


def _fold_ids(n: int, k: int, seed: int) -> np.ndarray:
    from sklearn.model_selection import KFold

    fold = np.empty(n, dtype=np.int64)
    for f, (_, te) in enumerate(KFold(k, shuffle=True, random_state=seed).split(np.arange(n))):
        fold[te] = f
    return fold


class _TrainingSet:
    """The stack's training molecules: composite data, labels, SMILES keys, and shared kernel matrices."""

    def __init__(self, data, y: np.ndarray, keys: list, names: list[str]):
        self.data, self.y, self.keys, self.names = data, y, keys, names
        self._fps: dict = {}
        self._grams: dict = {}

    def fingerprints(self, featurizer: str) -> np.ndarray:
        from molpred.featurize.composite import part_view
        from molpred.learners.fitting import fingerprint_matrix

        if featurizer not in self._fps:
            self._fps[featurizer] = fingerprint_matrix(part_view(self.data, featurizer))
        return self._fps[featurizer]

    def gram(self, spec: MemberSpec) -> np.ndarray:
        from molpred.learners.kernel import kernel_matrix

        if spec.kernel not in self._grams:
            X = self.fingerprints(spec.featurizer)
            self._grams[spec.kernel] = kernel_matrix(spec.kernel, X, X)
        return self._grams[spec.kernel]


def _fit_learners(est, spec: MemberSpec, ts: _TrainingSet, rows: np.ndarray) -> list:
    """One fitted learner per target on training positions ``rows`` (labelled rows of each target)."""
    from molpred.learners import build_learner

    X = ts.fingerprints(spec.featurizer)
    out = []
    for t in range(ts.y.shape[1]):
        r = rows[~np.isnan(ts.y[rows, t])]
        learner = build_learner(spec.model, est._task, est.seed, spec.kernel)
        if spec.model in ("svr", "gp"):
            learner.fit(X[r], ts.y[r, t], gram=ts.gram(spec)[np.ix_(r, r)])
        else:
            learner.fit(X[r], ts.y[r, t])
        out.append((learner, r))
    return out


def _learner_fold_predict(spec: MemberSpec, ts: _TrainingSet, fitted: list, te: np.ndarray):
    """``len(te) x t`` means and stds (NaN when the learner gives none) of fold learners."""
    X = ts.fingerprints(spec.featurizer)
    mean = np.full((len(te), len(fitted)), np.nan)
    std = np.full_like(mean, np.nan)
    for t, (learner, r) in enumerate(fitted):
        if spec.model == "svr":
            mean[:, t] = learner.predict_gram(ts.gram(spec)[np.ix_(te, r)])
        elif spec.model == "gp":
            K = ts.gram(spec)
            mean[:, t], std[:, t] = learner.predict_gram(K[np.ix_(te, r)], np.diag(K)[te])
        else:
            mean[:, t] = learner.predict(X[te])[0]
        learner.free()
    return mean, std


def _network_fit(est, spec: MemberSpec, ts: _TrainingSet, rows: np.ndarray):
    import pandas as pd

    sub = _member_estimator(est, spec)
    with warnings.catch_warnings():  # fold fits are small by design; their hold-out warnings are noise
        warnings.simplefilter("ignore", UserWarning)
        sub.fit([ts.keys[i] for i in rows], pd.DataFrame(ts.y[rows], columns=ts.names))
    return sub


def _out_of_fold(est, spec: MemberSpec, ts: _TrainingSet, fold: np.ndarray):
    """``n x t`` out-of-fold means and stds of candidate ``spec``."""
    n, t = ts.y.shape
    mean, std = np.full((n, t), np.nan), np.full((n, t), np.nan)
    for f in range(int(fold.max()) + 1):
        tr, te = np.flatnonzero(fold != f), np.flatnonzero(fold == f)
        if spec.is_network:
            sub = _network_fit(est, spec, ts, tr)
            held_out = [ts.keys[i] for i in te]
            if est._task == "classification":  # class-1 probabilities (uncalibrated: see _member_estimator)
                p = sub.predict_proba(held_out)
                mean[te] = (p[:, 1:] if t == 1 else p).reshape(len(te), t)
            else:
                mean[te] = np.asarray(sub.predict(held_out), dtype=np.float64).reshape(len(te), t)
        else:
            mean[te], std[te] = _learner_fold_predict(spec, ts, _fit_learners(est, spec, ts, tr), te)
    return mean, std


def _refit(est, spec: MemberSpec, ts: _TrainingSet, featurizer, std_cfg):
    """Member estimator ``spec`` fitted on every stack training molecule."""
    rows = np.arange(len(ts.keys))
    if spec.is_network:
        return _network_fit(est, spec, ts, rows)
    from molpred.learners.fitting import set_learner_state

    fitted = _fit_learners(est, spec, ts, rows)
    for learner, _ in fitted:
        learner.free()
    sub = _member_estimator(est, spec)
    set_learner_state(sub, featurizer.part(spec.featurizer), std_cfg, [lr for lr, _ in fitted], ts.names,
                      [{"learner": spec.model, "n_train": int(len(r)), **lr.params_} for lr, r in fitted])
    sub.train_summary_ = {"n_train": len(rows), "fitted_by": "model='auto' stack"}
    return sub


def stack_outputs(est, data, calibrated: bool = True) -> tuple[np.ndarray, np.ndarray | None]:
    """Stack predictions for composite-featurised ``data`` (see :func:`molpred.predict.member_outputs`)."""
    from molpred.featurize.composite import part_view
    from molpred.learners.stack_weights import combine_members
    from molpred.predict import member_outputs

    means, stds = [], []
    for sub in est.members_:
        m, s = member_outputs(sub, part_view(data, sub.featurizer_.name), calibrated=False)
        means.append(m)
        stds.append(s)
    mean, std = combine_members(est.stack_weights_, means, stds)
    if est._task == "classification":
        if calibrated and est.prob_calibrator_ is not None:
            mean = est.prob_calibrator_.transform(mean)
        return mean, None
    if std is not None and calibrated and est.var_scaler_ is not None:
        std = est.var_scaler_.transform(std)
    return mean, std


def fit_stack_estimator(est, smiles: list, y: np.ndarray, names: list[str] | None, val) -> None:
    """Train ``est`` (``model="auto"``) in place; parameters as :func:`molpred.train.fitting.fit_estimator`."""
    from molpred.data.featurized import featurize_smiles
    from molpred.data.scaler import TargetScaler
    from molpred.featurize.composite import CompositeFeaturizer
    from molpred.featurize.registry import get_featurizer
    from molpred.learners.fitting import _calibrate_out_of_fold, _fit_domain_out_of_fold
    from molpred.learners.stack_weights import combine_members, simplex_least_squares
    from molpred.nn.model import ModelSpec
    from molpred.predict import member_outputs
    from molpred.train.calibrating import calibrate, calibration_holdout, validation_metrics
    from molpred.train.fitting import _deduplicate, _fit_domain, _status_summary
    from molpred.train.metrics import task_metrics

    specs = member_specs(est.members, est._task)
    regression = est._task == "regression"
    n_tasks = y.shape[1]
    names = names or (["y"] if n_tasks == 1 else [f"y{i}" for i in range(n_tasks)])
    featurizer = CompositeFeaturizer(tuple(get_featurizer(f) for f in dict.fromkeys(s.featurizer for s in specs)))
    std_cfg = est._standardize_config()
    fs = featurize_smiles(smiles, featurizer, std_cfg, progress=est.progress)
    labelled = ~np.all(np.isnan(y[fs.index]), axis=1)
    usable = np.flatnonzero(labelled)
    if len(smiles) - len(usable):
        warnings.warn(f"{len(smiles) - len(usable)} of {len(smiles)} training rows were not used "
                      f"(statuses: {_status_summary(fs.records)}, unlabelled valid rows: {int((~labelled).sum())})",
                      stacklevel=3)
    rows = fs.index[usable]
    data, y_used = fs.graphs.take(usable), y[rows]
    mols, keys = [fs.records[i].mol for i in rows], [fs.records[i].smiles for i in rows]
    data, y_used, mols, keys, dup_summary, kept = _deduplicate(est, data, y_used, mols, keys)
    rows = rows[kept]
    # calibration molecules leave first: they never reach the folds, the weights or the members
    if val is None:
        keep, cal = calibration_holdout(mols, est.calibration_fraction, est.calibration_split, est.seed)
    else:
        keep, cal = np.arange(len(mols)), np.arange(0)
    est.fit_positions_ = {"train": rows[keep], "calibration": rows[cal]}
    cal_data, cal_y, cal_mols = data.take(cal), y_used[cal], [mols[i] for i in cal]
    ts = _TrainingSet(data.take(keep), y_used[keep], [keys[i] for i in keep], names)
    train_mols = [mols[i] for i in keep]
    n_lab = np.sum(~np.isnan(ts.y), axis=0)
    if n_lab.min() < 2 * est.cv_folds:
        raise ValueError(f"model='auto' needs at least {2 * est.cv_folds} labelled training molecules per target "
                         f"for {est.cv_folds}-fold stacking, got {n_lab.tolist()}")

    _check_sizes(specs, int(n_lab.max()))
    fold = _fold_ids(len(ts.keys), est.cv_folds, est.seed)
    oof = [_out_of_fold(est, spec, ts, fold) for spec in specs]
    weights = np.zeros((len(specs), n_tasks))
    cv_rmse = np.zeros((len(specs), n_tasks))
    for t in range(n_tasks):
        lab = ~np.isnan(ts.y[:, t])
        P = np.column_stack([m[lab, t] for m, _ in oof])
        weights[:, t] = simplex_least_squares(P, ts.y[lab, t])
        cv_rmse[:, t] = np.sqrt(np.mean((P - ts.y[lab, t][:, None]) ** 2, axis=0))
    chosen = [k for k in range(len(specs)) if weights[k].max() > 0]
    stack_w = weights[chosen] / weights[chosen].sum(axis=0, keepdims=True)
    oof_mean, oof_std = combine_members(stack_w, [oof[k][0] for k in chosen],
                                        [oof[k][1] if np.isfinite(oof[k][1]).any() else None for k in chosen])
    stack_rmse = np.sqrt(np.nanmean((oof_mean - ts.y) ** 2, axis=0))

    est.featurizer_ = CompositeFeaturizer(tuple(featurizer.part(f) for f in
                                                dict.fromkeys(specs[k].featurizer for k in chosen)))
    est.std_config_ = std_cfg
    est.members_ = [_refit(est, specs[k], ts, featurizer, std_cfg) for k in chosen]
    est.stack_members_ = [specs[k].name for k in chosen]
    est.stack_weights_ = stack_w
    est.cv_scores_ = {
        "metric": "rmse" if regression else "rmse of the class-1 probability (root Brier score)",
        "cv_folds": int(est.cv_folds),
        "candidates": {s.name: {"cv_rmse": cv_rmse[k].tolist(), "weight": weights[k].tolist()}
                       for k, s in enumerate(specs)},
        "stack_cv_rmse": stack_rmse.tolist(),
    }
    est.spec_ = ModelSpec(arch=STACK_ARCH, d_atom=0, d_bond=0, n_tasks=n_tasks, hidden=0, depth=0,
                          readout="none", dropout=0.0, ffn_hidden=0, ffn_layers=0)
    # label scale (screen z-scores); predictions are in label units
    est.scaler_ = TargetScaler.fit(ts.y) if regression else TargetScaler.identity(n_tasks)
    est.n_tasks_ = n_tasks
    est.target_names_ = list(names)
    est.training_ = [{"member": s, "weight": w.tolist(), "cv_rmse": cv_rmse[k].tolist()}
                     for s, w, k in zip(est.stack_members_, stack_w, chosen)]
    est.var_scaler_ = est.conformal_ = est.domain_ = est.val_metrics_ = None
    est.prob_calibrator_ = est.set_predictors_ = None

    val_data, val_y, val_mols = data.take(np.arange(0)), None, []
    if val is not None:
        vfs = featurize_smiles(val[0], est.featurizer_, std_cfg)
        val_data, val_y, val_mols = vfs.graphs, val[1][vfs.index], vfs.mols
    calib = (cal_data, cal_y, cal_mols) if len(cal_data) else (val_data, val_y, val_mols)
    if est.applicability_domain:  # before calibration, which reads the distance to the training set
        if len(calib[0]):
            _fit_domain(est, train_mols, calib[2])
        else:
            _fit_domain_out_of_fold(est, train_mols)
    if len(calib[0]):
        est.val_metrics_ = validation_metrics(est, calib[0], calib[1], member_outputs)
        calibrate(est, calib[0], calib[1], calib[2], member_outputs)
    else:  # no held-out molecules: calibrate on the stack's out-of-fold predictions
        _calibrate_out_of_fold(est, ts.y, oof_mean, oof_std, task_metrics)
    est.train_summary_ = {
        "n_input": len(smiles), "n_train": len(ts.keys), "n_val": len(val_data), "n_calibration": len(cal_data),
        "calibration_set": (f"held out ({est.calibration_split})" if len(cal_data) else "validation" if len(val_data)
                            else "out-of-fold (training data)"),
        "statuses": _status_summary(fs.records), "duplicates": dup_summary,
        "label_mean": np.nanmean(ts.y, axis=0).tolist() if regression else None,
        "label_std": np.nanstd(ts.y, axis=0).tolist() if regression else None,
        "positive_rate": None if regression else np.nanmean(ts.y, axis=0).tolist(),
        "stack": {"candidates": [s.name for s in specs], "members": est.stack_members_,
                  "cv_folds": int(est.cv_folds)},
    }
