"""molpred: graph neural networks for molecular property prediction and screening.

The public API is imported lazily so that ``import molpred`` (and ``molpred --help``)
stays fast: torch, torch-geometric and DeepChem load only when a model is used.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_LAZY = {
    "MolPropertyRegressor": "molpred.estimators",
    "MolPropertyClassifier": "molpred.estimators",
    "load": "molpred.io",
    "save": "molpred.io",
    "screen": "molpred.screen",
    "datasets": "molpred.datasets",
    "Campaign": "molpred.campaign",
    "pretrain": "molpred.pretrain",
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'molpred' has no attribute {name!r}")
    module = importlib.import_module(_LAZY[name])
    return module if name == "datasets" else getattr(module, name)
