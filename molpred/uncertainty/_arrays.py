"""Shape helpers shared by the uncertainty modules (private).

Every public function here accepts either one target (arrays of shape ``n``) or several
(``n x t``) and returns arrays of the shape it was given, so the helpers below normalise
to ``n x t`` on the way in and restore the original shape on the way out.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence

import numpy as np

from molpred.exceptions import ModelFileError


def as_2d(a: object, name: str) -> tuple[np.ndarray, bool]:
    """Return ``a`` as a float64 ``n x t`` array and whether it was one-dimensional."""
    arr = np.asarray(a, dtype=np.float64)
    if arr.ndim == 1:
        return arr[:, None], True
    if arr.ndim == 2:
        return arr, False
    raise ValueError(f"{name} must have shape n or n x t, got shape {arr.shape}")


def restore(a: np.ndarray, one_d: bool) -> np.ndarray:
    """Undo :func:`as_2d`: an ``n x 1`` array becomes ``n`` when the input was 1-D."""
    return a[:, 0] if one_d else a


def check_shapes(ref: np.ndarray, ref_name: str, **others: np.ndarray) -> None:
    """Raise ``ValueError`` unless every array in ``others`` has the shape of ``ref``."""
    for name, arr in others.items():
        if arr.shape != ref.shape:
            raise ValueError(f"{name} has shape {arr.shape} but {ref_name} has shape {ref.shape}")


def check_n_targets(arr: np.ndarray, n_targets: int, name: str) -> None:
    """Raise ``ValueError`` when ``arr`` (``n x t``) has a different number of targets."""
    if arr.shape[1] != n_targets:
        raise ValueError(
            f"{name} has {arr.shape[1]} target column(s) but the object was fitted on {n_targets}"
        )


def check_choice(value: str, choices: Sequence[str], what: str) -> str:
    """Return ``value`` if it is one of ``choices``, else raise a did-you-mean ``ValueError``."""
    if value in choices:
        return value
    close = difflib.get_close_matches(str(value), list(choices), n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    raise ValueError(f"Unknown {what} {value!r}; choose one of {sorted(choices)}.{hint}")


def check_coverage(coverage: float) -> float:
    """Validate a nominal coverage (``0 < coverage < 1``)."""
    coverage = float(coverage)
    if not 0.0 < coverage < 1.0:
        raise ValueError(f"coverage must be strictly between 0 and 1, got {coverage}")
    return coverage


def check_state(d: object, type_name: str, version: int, keys: Sequence[str]) -> dict:
    """Validate a dict read back from JSON; raise :class:`ModelFileError` when malformed."""
    if not isinstance(d, dict):
        raise ModelFileError(f"{type_name} state must be a dict, got {type(d).__name__}")
    if d.get("type") != type_name:
        raise ModelFileError(f"expected a {type_name} state, got type {d.get('type')!r}")
    if d.get("version") != version:
        raise ModelFileError(
            f"{type_name} state version {d.get('version')!r} is not supported (expected {version})"
        )
    missing = [k for k in keys if k not in d]
    if missing:
        raise ModelFileError(f"{type_name} state lacks key(s) {missing}")
    return d
