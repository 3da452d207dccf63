"""Hyperparameter search (``molpred tune``): Optuna over per-family spaces, CV on training data.

Examples
--------
>>> from molpred import MolPropertyRegressor
>>> result = MolPropertyRegressor(model="gp").tune(smiles, y, n_trials=20, cv=3)  # doctest: +SKIP
>>> result.best_params, result.best_value  # doctest: +SKIP
>>> result.estimator.predict(["CCO"])  # refitted on all of (smiles, y)  # doctest: +SKIP
>>> result.save("models/tuned")  # model directory + study.csv + best_params.json + plot  # doctest: +SKIP
"""

from molpred.tuning.folds import CV_SPLITS, cv_folds
from molpred.tuning.pruning import PRUNERS, make_pruner
from molpred.tuning.space import FEATURE_SETS, SPACES, Param, space_for
from molpred.tuning.study import TuneResult, trials_frame, tune

__all__ = ["tune", "TuneResult", "cv_folds", "CV_SPLITS", "PRUNERS", "SPACES", "FEATURE_SETS", "Param",
           "space_for", "make_pruner", "trials_frame"]
