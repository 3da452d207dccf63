"""Hyperparameter search with Optuna: seeded TPE, pruning on per-fold scores, SQLite resume.

Each trial draws estimator parameters from the model family's space
(:mod:`molpred.tuning.space`), fits a clone of the estimator on each cross-validation fold of
the training data (:func:`molpred.tuning.folds.cv_folds`) and scores it on the held-out fold
(RMSE for regression, ROC-AUC for classification, mean over targets). Networks report their
validation score after every epoch, learners the running mean after every fold
(:mod:`molpred.tuning.pruning`), so a pruner can stop a trial that is already behind the
others at the same step. The best parameters are then refitted on all the training data.

Only the data given to :func:`tune` is ever used: keep the test rows out of it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from molpred.tuning.folds import CV_SPLITS, cv_folds
from molpred.tuning.pruning import PRUNERS, EpochReporter, make_pruner
from molpred.tuning.space import estimator_value, family_of, space_for, suggest

__all__ = ["tune", "TuneResult", "trials_frame", "PRUNERS", "make_pruner"]



@dataclass
class TuneResult:
    """What :func:`tune` found.

    Attributes
    ----------
    estimator : MolPropertyRegressor or MolPropertyClassifier
        A clone of the given estimator with ``best_params``, fitted on all the training data
        (``None`` with ``refit=False``).
    best_params : dict
        Estimator parameters of the best trial (only the searched ones; empty when the
        estimator's own settings, trial 0, were best).
    best_value : float
        Its mean cross-validated score.
    metric : {"rmse", "roc_auc"}
    direction : {"minimize", "maximize"}
    trials : pandas.DataFrame
        One row per trial of the study (earlier runs in the same storage included): ``number``,
        ``state`` (COMPLETE, PRUNED, FAIL...), ``value``, ``params_*``, fold scores, seconds.
    study_name : str
    storage : str or None
    n_new_trials : int
        Trials run by this call (the rest came from the storage).
    settings : dict
        Model, cv, cv_split, seed, pruner and the searched parameter names.
    """

    estimator: object
    best_params: dict
    best_value: float
    metric: str
    direction: str
    trials: pd.DataFrame
    study_name: str
    storage: str | None
    n_new_trials: int
    settings: dict = field(default_factory=dict)

    def summary(self) -> dict:
        """JSON-ready summary (what ``best_params.json`` holds)."""
        states = self.trials["state"].value_counts().to_dict() if len(self.trials) else {}
        cpu = float(pd.to_numeric(self.trials.get("cpu_seconds"), errors="coerce").sum()) if len(self.trials) else 0.0
        return {
            "best_params": self.best_params, "best_value": self.best_value, "metric": self.metric,
            "direction": self.direction, "n_trials": int(len(self.trials)), "n_new_trials": self.n_new_trials,
            "trial_states": {str(k): int(v) for k, v in states.items()}, "trials_cpu_seconds": round(cpu, 1),
            "study_name": self.study_name,
            "storage": self.storage, **self.settings,
        }

    def save(self, out, metrics: dict | None = None) -> dict:
        """Write the refitted model directory plus the study files into ``out``.

        ``metrics.json`` holds the study summary under ``"tuning"`` plus ``metrics`` (e.g. the
        test scores of :func:`molpred.tuning.table.tune_table`).

        Returns
        -------
        dict
            Paths of ``model`` (``out`` itself: ``model.json`` + ``weights.safetensors``, loads
            with :func:`molpred.load`), ``study.csv``, ``best_params.json`` and
            ``optimization_history.png``.
        """
        from pathlib import Path

        from molpred.io import save
        from molpred.tuning.report import history_plot

        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        if self.estimator is not None:
            save(self.estimator, out, metrics={"tuning": self.summary(), **(metrics or {})})
        self.trials.to_csv(out / "study.csv", index=False)
        (out / "best_params.json").write_text(json.dumps(self.summary(), indent=2, default=_jsonable) + "\n")
        plot = history_plot(self.trials, self.metric, self.direction, out / "optimization_history.png")
        return {"model": str(out), "study": str(out / "study.csv"), "best_params": str(out / "best_params.json"),
                "plot": str(plot)}


def _jsonable(obj):
    if isinstance(obj, np.generic):
        return obj.item()
    raise TypeError(f"cannot store {type(obj).__name__} in JSON")


def _data_key(smiles: list, y: np.ndarray) -> str:
    """Short hash of the training data, so a stored study is only resumed on the same data."""
    h = hashlib.sha256()
    h.update("\n".join(map(str, smiles)).encode())
    h.update(np.ascontiguousarray(np.nan_to_num(np.asarray(y, dtype=np.float64), nan=-1e300)).tobytes())
    return h.hexdigest()[:16]


def _labels(est, y, n: int):
    """``(raw rows to fit on, n x t float labels to score, target names)``."""
    from molpred.inputs import as_qualified_targets, as_targets

    if getattr(est, "loss", "mse") == "censored":  # qualified labels: fit on the text, score exact values only
        values, qual, names = as_qualified_targets(y, n)
        raw = y.to_numpy(dtype=object) if hasattr(y, "to_numpy") else np.asarray(y, dtype=object)
        return raw.reshape(n, -1), np.where(qual != 0, np.nan, values), names
    values, names = as_targets(y, n)
    return values, values, names


def _fold_score(est, smiles: list, y: np.ndarray, metric: str) -> float:
    from molpred.train.metrics import task_metrics

    if est._task == "regression":
        pred = np.asarray(est.predict(smiles), dtype=np.float64).reshape(len(smiles), -1)
    else:
        proba = est.predict_proba(smiles)
        pred = proba[:, 1:] if est.n_tasks_ == 1 else proba
    value = task_metrics(est._task, y, pred, [str(i) for i in range(y.shape[1])])["mean"][metric]
    if value is None:
        raise ValueError(f"a validation fold gives no {metric} (too few labelled molecules or a single class); "
                         "use fewer folds")
    return float(value)


def _check_settings(study, settings: dict) -> None:
    """Refuse to resume a stored study that searched something else."""
    stored = study.user_attrs.get("molpred")
    if stored is None:
        if study.trials:
            raise ValueError(f"study {study.study_name!r} in this storage was not made by molpred tune")
        study.set_user_attr("molpred", settings)
        return
    differ = sorted(k for k in settings if stored.get(k) != settings[k])
    if differ:
        details = ", ".join(f"{k}: stored {stored.get(k)!r}, now {settings[k]!r}" for k in differ)
        raise ValueError(f"study {study.study_name!r} was run with other settings ({details}); "
                         "use another --study-name or storage")


def tune(estimator, X, y, *, n_trials: int | None = 20, timeout: float | None = None, cv: int = 3,
         cv_split: str = "random", seed: int | None = None, storage: str | None = None,
         study_name: str | None = None, pruner="median", include_defaults: bool = True, refit: bool = True,
         fixed: tuple[str, ...] = (), progress: bool = False) -> TuneResult:
    """Search ``estimator``'s hyperparameters by cross-validation on ``(X, y)``; refit the best.

    Parameters
    ----------
    estimator : MolPropertyRegressor or MolPropertyClassifier
        Unfitted template: its ``model`` picks the search space; its other parameters
        (``epochs``, ``patience``, ``kernel`` when not searched...) are kept in every trial.
    X : sequence of str or pandas.Series
        ``n`` training SMILES. Test molecules must not be in it.
    y : array-like
        ``n`` or ``n x n_tasks`` labels (NaN = missing); a Series/DataFrame names the targets.
    n_trials : int, optional
        Trials to run in this call (``None``: until ``timeout``).
    timeout : float, optional
        Seconds after which no new trial starts (a running trial finishes).
    cv : int
        Number of folds (>= 2).
    cv_split : {"random", "scaffold"}
        Folds over distinct molecules at random, or over whole Bemis-Murcko scaffolds.
    seed : int, optional
        Seed of the folds and of the TPE sampler; default ``estimator.seed``. A resumed study
        seeds its sampler with ``seed + number of stored trials``, so it never replays the
        first run's draws.
    storage : str, optional
        Optuna storage URL such as ``"sqlite:///study.db"``; running again with the same
        storage and study name continues the study (the trial count grows). ``None``: in memory.
    study_name : str, optional
        Default ``"molpred-<model>"``.
    pruner : {"median", "halving", "none"} or optuna.pruners.BasePruner
        See :func:`molpred.tuning.pruning.make_pruner`. Networks are pruned on their validation
        score after each epoch, learners on the running mean score after each fold
        (:mod:`molpred.tuning.pruning`).
    include_defaults : bool
        Run the estimator as given (no parameter drawn) as trial 0 of a new study, so the best
        trial is never worse in CV than the defaults (``best_params`` is then empty).
    refit : bool
        Fit the best configuration on all of ``(X, y)``.
    fixed : tuple of str
        Parameters of the space to keep at the estimator's value instead of searching them
        (e.g. ``("kernel",)``).
    progress : bool
        One log line per finished or pruned trial (Optuna's logger, on stderr).

    Returns
    -------
    TuneResult

    Raises
    ------
    ValueError
        Bad settings, a stored study made with other settings or data, or no trial completed
        (the first failure's reason is given).
    """
    import optuna
    from sklearn.base import clone

    from molpred.inputs import as_smiles
    from molpred.learners import is_learner

    if cv_split not in CV_SPLITS:
        raise ValueError(f"cv_split must be one of {CV_SPLITS}, got {cv_split!r}")
    if n_trials is None and timeout is None:
        raise ValueError("give n_trials, timeout or both")
    if n_trials is not None and int(n_trials) < 1:
        raise ValueError(f"n_trials must be positive, got {n_trials}")
    estimator._check_params()
    family = family_of(estimator.model)
    space = space_for(estimator)
    unknown = sorted(set(fixed) - {p.name for p in space})
    if unknown:
        raise ValueError(f"fixed names parameters the {estimator.model!r} search does not have: {unknown} "
                         f"(searched: {[p.name for p in space]})")
    space = tuple(p for p in space if p.name not in fixed)
    if not space:
        raise ValueError(f"model {estimator.model!r} has nothing to tune in this molpred")
    seed = int(estimator.seed if seed is None else seed)
    smiles = as_smiles(X)
    fit_y, score_y, names = _labels(estimator, y, len(smiles))
    names = names or [f"y{i}" for i in range(score_y.shape[1])]
    metric, direction = ("rmse", "minimize") if estimator._task == "regression" else ("roc_auc", "maximize")
    folds = cv_folds(smiles, cv, cv_split, seed, estimator._standardize_config())
    current = estimator.get_params(deep=False)
    settings = {"model": estimator.model, "family": family, "task": estimator._task, "metric": metric,
                "cv": int(cv), "cv_split": cv_split, "seed": seed, "searched": [p.name for p in space],
                "data": _data_key(smiles, score_y)}
    study_name = study_name or f"molpred-{estimator.model}"
    base_pruner = make_pruner(pruner)
    study = optuna.create_study(storage=storage, study_name=study_name, direction=direction, load_if_exists=True,
                                pruner=base_pruner)
    _check_settings(study, settings)
    n_before = len(study.trials)
    study.sampler = optuna.samplers.TPESampler(seed=seed + n_before)
    if include_defaults and n_before == 0:  # the estimator as given: no parameter drawn
        study.enqueue_trial({}, user_attrs={"defaults": True})
    sm = np.asarray(smiles, dtype=object)
    learner = is_learner(estimator.model)
    # cross-validation fits skip the domain fingerprints (they do not change predictions) unless
    # the conformal intervals are told to read them
    overrides = {"progress": False}
    if "distance" not in str(getattr(estimator, "conformal_difficulty", "auto")):
        overrides["applicability_domain"] = False

    def fit_rows(rows):
        part = fit_y[rows]
        return part if getattr(estimator, "loss", "mse") == "censored" else pd.DataFrame(part, columns=names)

    def objective(trial) -> float:
        params = {} if trial.user_attrs.get("defaults") else suggest(trial, space)
        twin = _same_params(trial, params)
        if twin is not None:  # the sampler drew a finished configuration again: fits are deterministic
            trial.set_user_attr("repeat_of", twin.number)
            for key in ("fold_scores", "seconds", "cpu_seconds"):
                trial.set_user_attr(key, twin.user_attrs.get(key))
            return float(twin.value)
        start, cpu = time.perf_counter(), time.process_time()
        try:
            return _cross_validate(trial, params)
        finally:  # pruned and failed trials too
            trial.set_user_attr("seconds", round(time.perf_counter() - start, 2))
            trial.set_user_attr("cpu_seconds", round(time.process_time() - cpu, 2))

    def _cross_validate(trial, params: dict) -> float:
        scores = []
        for k, (tr, va) in enumerate(folds):
            est = clone(estimator).set_params(**params, **overrides)
            on_epoch = None if learner else EpochReporter(trial, k, est.epochs, direction == "maximize")
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")  # duplicates/dropped rows warn once per fold otherwise
                    est.fit(sm[tr].tolist(), fit_rows(tr), on_epoch=on_epoch)
                scores.append(_fold_score(est, sm[va].tolist(), score_y[va], metric))
            except (ValueError, RuntimeError) as exc:
                trial.set_user_attr("error", str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
                raise
            trial.set_user_attr("fold_scores", [round(s, 6) for s in scores])
            if learner:  # networks report every epoch instead (molpred.tuning.pruning)
                trial.report(float(np.mean(scores)), step=k)
                if k + 1 < len(folds) and trial.should_prune():
                    trial.set_user_attr("pruned_at", f"fold {k + 1}")
                    raise optuna.TrialPruned(f"pruned after fold {k + 1} of {len(folds)}")
        return float(np.mean(scores))

    level = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(logging.INFO if progress else logging.WARNING)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            study.optimize(objective, n_trials=n_trials, timeout=timeout, catch=(ValueError, RuntimeError),
                           show_progress_bar=False)
    finally:
        optuna.logging.set_verbosity(level)
    trials = trials_frame(study, {p.name: current[p.name] for p in space})
    complete = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    if not complete:
        errors = [t.user_attrs.get("error") for t in study.trials if t.user_attrs.get("error")]
        raise ValueError("no trial completed" + (f"; first failure: {errors[0]}" if errors else ""))
    best = study.best_trial
    best_params = {p.name: estimator_value(p, best.params[p.name]) for p in space if p.name in best.params}
    fitted = None
    if refit:
        fitted = clone(estimator).set_params(**best_params)
        fitted.fit(smiles, fit_y if getattr(estimator, "loss", "mse") == "censored"
                   else pd.DataFrame(fit_y, columns=names))
    settings.update(defaults={p.name: current[p.name] for p in space},
                    pruner=pruner if isinstance(pruner, str) else type(pruner).__name__,
                    best_trial=int(best.number), best_is_defaults=bool(best.user_attrs.get("defaults", False)))
    return TuneResult(fitted, best_params, float(best.value), metric, direction, trials, study_name, storage,
                      len(study.trials) - n_before, settings)


def _same_params(trial, params: dict):
    """A complete earlier trial with exactly ``params`` (not the defaults trial), or ``None``."""
    import optuna

    if not params:
        return None
    for t in trial.study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,)):
        if t.number != trial.number and t.params == trial.params and not t.user_attrs.get("defaults"):
            return t
    return None


def trials_frame(study, defaults: dict | None = None) -> pd.DataFrame:
    """All trials of ``study``: number, state, value, params_*, fold scores, seconds, error.

    ``defaults`` (the estimator's values of the searched parameters) fill the ``params_*`` of
    the defaults trial, which draws none.
    """
    rows = []
    for t in study.trials:
        row = {"number": t.number, "state": t.state.name, "value": t.value,
               "defaults": bool(t.user_attrs.get("defaults", False)), "repeat_of": t.user_attrs.get("repeat_of"),
               "n_folds_scored": len(t.user_attrs.get("fold_scores", [])),
               "fold_scores": json.dumps(t.user_attrs.get("fold_scores", [])),
               "seconds": t.user_attrs.get("seconds"), "cpu_seconds": t.user_attrs.get("cpu_seconds"),
               "last_intermediate": (t.intermediate_values[max(t.intermediate_values)]
                                     if t.intermediate_values else None),
               "started": t.datetime_start.isoformat(timespec="seconds") if t.datetime_start else None,
               "pruned_at": t.user_attrs.get("pruned_at", ""), "error": t.user_attrs.get("error", "")}
        params = {**(defaults or {}), **t.params} if t.user_attrs.get("defaults") else t.params
        row.update({f"params_{k}": v for k, v in params.items()})
        rows.append(row)
    frame = pd.DataFrame(rows)
    for c in frame.columns:  # keep integers integers next to the defaults trial's None
        if c.startswith("params_"):
            frame[c] = pd.Series([r.get(c) for r in rows], dtype=object)
    return frame

