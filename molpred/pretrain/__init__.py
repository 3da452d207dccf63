"""Pretraining a graph encoder on unlabelled molecules, and the encoder bundles it produces.

``molpred.pretrain(data, out, ...)`` runs :func:`molpred.pretrain.trainer.pretrain`: this
package is callable so that the documented function and the subpackage share one name.

Modules, in data-flow order: ``descriptors`` (the fixed descriptor list), ``exclusion``
(benchmark molecules kept out), ``cache`` (streaming descriptor pass to Parquet shards),
``scaling`` (robust standardisation), ``checkpoint``, ``trainer``, ``bundle`` (encoder files,
shipped names), ``export`` (a bundle from a run's latest checkpoint), ``report`` (loss curve).
"""

from __future__ import annotations

import sys
import types

from molpred.pretrain.export import export_encoder
from molpred.pretrain.trainer import PretrainConfig, pretrain

__all__ = ["pretrain", "export_encoder", "PretrainConfig"]


class _CallableModule(types.ModuleType):
    def __call__(self, *args, **kwargs):
        return pretrain(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
