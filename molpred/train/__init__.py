"""Optimisation outside the model: losses, metrics, loop, early stopping.

Forward passes of fitted networks (``predict_network``) and device choice live in
:mod:`molpred.inference`.
"""

from molpred.train.loop import TrainConfig, TrainResult, attach_targets, fit_network
from molpred.train.metrics import classification_metrics, regression_metrics, task_metrics

__all__ = ["TrainConfig", "TrainResult", "fit_network", "attach_targets", "regression_metrics",
           "classification_metrics", "task_metrics"]
