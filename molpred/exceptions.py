"""Exceptions raised by molpred.

Single-molecule functions raise a subclass of :class:`MoleculeError` whose ``status``
is the same string that batch functions record in their ``status`` column, so the
two paths never disagree about why a molecule was rejected.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "MolpredError",
    "MoleculeError",
    "InvalidSmilesError",
    "EmptyMoleculeError",
    "StandardizationError",
    "UnsupportedMoleculeError",
    "DataFileError",
    "ModelFileError",
    "NotFittedError",  # noqa: F822 - provided lazily by __getattr__
]


class MolpredError(Exception):
    """Base class of every error molpred raises on purpose."""


class MoleculeError(MolpredError, ValueError):
    """A molecule could not be turned into something a model can use."""

    status = "error"


class InvalidSmilesError(MoleculeError):
    """RDKit could not parse the text as SMILES (syntax or valence)."""

    status = "invalid_smiles"


class EmptyMoleculeError(MoleculeError):
    """The input was empty or missing."""

    status = "empty"


class StandardizationError(MoleculeError):
    """Parsing worked but standardisation (cleanup, fragment, charge) failed."""

    status = "standardization_failed"


class UnsupportedMoleculeError(MoleculeError):
    """The molecule parsed but is outside what the models handle (no heavy atoms, too big...)."""

    status = "unsupported"


class DataFileError(MolpredError, ValueError):
    """A data file is missing, empty, malformed, or lacks a requested column."""


class ModelFileError(MolpredError, ValueError):
    """A model directory is missing, truncated, tampered with or from an incompatible version."""


def __getattr__(name: str) -> Any:
    # sklearn's NotFittedError, re-exported lazily: importing sklearn costs ~1.5 s of start-up
    if name == "NotFittedError":
        from sklearn.exceptions import NotFittedError

        return NotFittedError
    raise AttributeError(name)
