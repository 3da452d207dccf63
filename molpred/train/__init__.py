"""Optimisation outside the model: losses, metrics, loop, early stopping."""

from molpred.train.device import resolve_device
from molpred.train.loop import TrainConfig, TrainResult, attach_targets, fit_network, predict_network
from molpred.train.metrics import classification_metrics, regression_metrics, task_metrics

__all__ = ["TrainConfig", "TrainResult", "fit_network", "predict_network", "attach_targets",
           "resolve_device", "regression_metrics", "classification_metrics", "task_metrics"]
