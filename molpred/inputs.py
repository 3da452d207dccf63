"""Coerce what users pass to ``fit``/``predict`` into SMILES lists and label matrices."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = ["as_smiles", "as_targets", "from_deepchem"]


def _is_deepchem_dataset(obj: object) -> bool:
    return type(obj).__module__.startswith("deepchem") and hasattr(obj, "ids") and hasattr(obj, "y")


def from_deepchem(dataset) -> tuple[list, np.ndarray, list[str]]:
    """SMILES (``dataset.ids``), labels ``n x t`` with weight-0 entries set to NaN, task names."""
    smiles = [str(s) for s in np.asarray(dataset.ids).ravel()]
    y = np.asarray(dataset.y, dtype=np.float64).reshape(len(smiles), -1).copy()
    w = getattr(dataset, "w", None)
    if w is not None:
        w = np.asarray(w, dtype=np.float64).reshape(len(smiles), -1)
        if w.shape == y.shape:
            y[w == 0] = np.nan
    names = list(dataset.get_task_names()) if hasattr(dataset, "get_task_names") else []
    # NumpyDataset names its tasks 0, 1, ...; DiskDataset keeps the user's names
    if len(names) == y.shape[1] and all(isinstance(t, str) for t in names):
        tasks = names
    else:
        tasks = [f"task_{i}" for i in range(y.shape[1])]
    return smiles, y, tasks


def as_smiles(X: object) -> list:
    """A list of SMILES (entries may be invalid; they are reported later, not here).

    Accepts a list/tuple/array/Series of strings, a one-column DataFrame, a DataFrame with a
    SMILES-like column (``smiles``, ``SMILES``...), or a DeepChem ``Dataset`` (its ``ids``).

    Raises
    ------
    TypeError
        ``X`` is a single string or not a sequence.
    ValueError
        A DataFrame without a recognisable SMILES column.
    """
    if isinstance(X, str):
        raise TypeError("expected a sequence of SMILES, got a single string; wrap it in a list")
    if _is_deepchem_dataset(X):
        return from_deepchem(X)[0]
    if isinstance(X, pd.DataFrame):
        if X.shape[1] == 1:
            return X.iloc[:, 0].tolist()
        from molpred.data.tables import resolve_column

        try:
            return X[resolve_column(X, None)].tolist()
        except Exception as exc:
            raise ValueError(f"cannot find the SMILES column in a DataFrame with columns {list(X.columns)[:8]}") from exc
    if isinstance(X, (pd.Series, np.ndarray)):
        return list(np.asarray(X, dtype=object).ravel())
    if isinstance(X, Sequence) or hasattr(X, "__iter__"):
        return list(X)
    raise TypeError(f"expected a sequence of SMILES, got {type(X).__name__}")


def as_targets(y: object, n: int) -> tuple[np.ndarray, list[str] | None]:
    """Labels as ``n x n_tasks`` float64 (NaN = missing) and target names if ``y`` carries them.

    Raises
    ------
    ValueError
        Wrong length, or values that are not numbers.
    """
    names = None
    if isinstance(y, pd.DataFrame):
        names = [str(c) for c in y.columns]
    elif isinstance(y, pd.Series) and y.name is not None:
        names = [str(y.name)]
    try:
        if isinstance(y, (pd.DataFrame, pd.Series)):
            arr = y.apply(pd.to_numeric, errors="raise") if isinstance(y, pd.DataFrame) else pd.to_numeric(y, errors="raise")
            arr = np.asarray(arr, dtype=np.float64)
        else:
            arr = np.asarray(
                [np.nan if v is None else v for v in y] if isinstance(y, list) else y, dtype=np.float64
            )
    except (ValueError, TypeError) as exc:
        raise ValueError(f"targets must be numbers (NaN for missing): {exc}") from exc
    if arr.ndim == 0 or arr.shape[0] != n:
        raise ValueError(f"got {n} molecules but {arr.shape[0] if arr.ndim else 1} target rows")
    arr = arr.reshape(n, -1)
    if np.isinf(arr).any():
        raise ValueError("targets contain infinite values")
    return arr, names
