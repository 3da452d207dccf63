"""Running fitted networks: device choice, mixed precision, batched forward passes.

Training (:mod:`molpred.train`), prediction (:mod:`molpred.predict`) and screening
(:mod:`molpred.screen`) all import from here; nothing here imports :mod:`molpred.train`.
"""

from molpred.inference.device import PRECISIONS, autocast, check_precision, cpu_has_fast_bf16, resolve_device
from molpred.inference.forward import PREDICT_BATCH, as_batches, predict_network, to_device

__all__ = ["PRECISIONS", "autocast", "check_precision", "cpu_has_fast_bf16", "resolve_device", "PREDICT_BATCH",
           "as_batches", "predict_network", "to_device"]
