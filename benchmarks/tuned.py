"""Benchmark entries that tune their hyperparameters inside the training data (``molpred.tuning``).

``molpred-<arch>[-minmax]-tuned``: the estimator's defaults run as trial 0, then seeded TPE
draws; every trial is scored by K-fold CV over the training molecules only (the test split is
never seen), the median pruner stops trials behind after a fold, and the best configuration is
refitted on all the training data. The chosen parameters, CV score and tuning CPU time go into
the results row (``run_info_``).
"""

from __future__ import annotations

import json

import numpy as np

from benchmarks.models import MolpredModel

__all__ = ["TunedMolpredModel", "TUNE_TRIALS", "TUNE_FOLDS"]

TUNE_TRIALS = 12  # trial 0 = defaults, then 11 draws
TUNE_FOLDS = 3


class TunedMolpredModel(MolpredModel):
    """:class:`MolpredModel` whose fit is ``molpred.tuning.tune`` (CV on the training rows) + refit."""

    def __init__(self, arch: str, task_type: str, seed: int = 0, epochs: int | None = None,
                 params: dict | None = None, n_trials: int = TUNE_TRIALS, cv: int = TUNE_FOLDS):
        super().__init__(arch, task_type, seed, epochs, params=params)
        self.n_trials = n_trials
        self.cv = cv

    def fit(self, smiles, y, smiles_val=None, y_val=None) -> TunedMolpredModel:
        import time

        from molpred.estimators import MolPropertyClassifier, MolPropertyRegressor
        from molpred.tuning import tune

        cls = MolPropertyRegressor if self.task_type == "regression" else MolPropertyClassifier
        kwargs = {"model": self.arch, "seed": self.seed, "device": "cpu", "progress": False,
                  "calibration_fraction": 0.0, **self.params}
        if self.epochs is not None:
            kwargs["epochs"] = self.epochs
        X, Y = list(smiles), np.asarray(y, dtype=np.float64)
        if smiles_val is not None and len(smiles_val):  # the search does its own CV: use every labelled row
            X, Y = X + list(smiles_val), np.concatenate([Y.reshape(len(Y), -1), np.asarray(y_val).reshape(len(y_val), -1)])
        cpu = time.process_time()
        result = tune(cls(**kwargs), X, Y, n_trials=self.n_trials, cv=self.cv, seed=self.seed, pruner="median")
        self.estimator_ = result.estimator
        states = result.summary()["trial_states"]
        self.run_info_ = {"tuned_params": json.dumps(result.best_params, default=str),
                          "tune_cv_value": result.best_value, "tune_best_is_defaults": result.settings["best_is_defaults"],
                          "tune_trials": len(result.trials), "tune_pruned": states.get("PRUNED", 0),
                          "tune_cpu_s": round(time.process_time() - cpu, 1),
                          "tune_defaults_cv_value": float(result.trials.loc[result.trials["defaults"], "value"].iloc[0])}
        return self
