"""Coerce what users pass to ``fit``/``predict`` into SMILES lists and label matrices."""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = ["as_smiles", "as_targets", "as_qualified_targets", "parse_qualified", "as_weights", "from_deepchem",
           "deepchem_weights", "fit_arguments"]

# molar factor of concentration units; a value with a unit is turned into -log10(molar)
_UNITS = {"pm": 1e-12, "nm": 1e-9, "um": 1e-6, "µm": 1e-6, "μm": 1e-6, "mm": 1e-3, "m": 1.0}
_QUALIFIED = re.compile(r"^\s*(>=|<=|>|<|=|~)?\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*([a-zA-Zµμ]+)?\s*$")


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


def deepchem_weights(dataset) -> np.ndarray | None:
    """``n x t`` sample weights of a DeepChem dataset (``dataset.w``), or None if it has none."""
    w = getattr(dataset, "w", None)
    if w is None:
        return None
    n = len(np.asarray(dataset.ids).ravel())
    w = np.asarray(w, dtype=np.float64).reshape(n, -1)
    return w


def parse_qualified(value: object) -> tuple[float, int]:
    """One label as (value, qualifier): qualifier 0 exact, 1 ``>`` (a lower bound), -1 ``<``.

    Numbers pass through. Strings may carry ``>``, ``>=``, ``<``, ``<=``, ``=`` or ``~`` and
    a concentration unit (pM, nM, uM/µM, mM, M); a value with a unit is converted to the
    p-scale, ``-log10(molar)``, which flips the qualifier (IC50 ``>10 uM`` is pIC50 ``<5``).

    Raises
    ------
    ValueError
        Text that is not a (qualified) number, or an unknown unit.

    Examples
    --------
    >>> parse_qualified(">10 uM")
    (5.0, -1)
    >>> parse_qualified("<=6.5")
    (6.5, -1)
    """
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return float("nan"), 0
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        return float(value), 0
    text = str(value).strip()
    if not text or text.lower() in ("nan", "na", "n/a", "none"):
        return float("nan"), 0
    match = _QUALIFIED.match(text)
    if match is None:
        raise ValueError(f"not a number or a qualified number: {value!r}")
    op, number, unit = match.groups()
    x = float(number)
    qual = {">": 1, ">=": 1, "<": -1, "<=": -1}.get(op or "", 0)
    if unit:
        factor = _UNITS.get(unit.lower())
        if factor is None:
            raise ValueError(f"unknown unit {unit!r} in {value!r} (known: pM, nM, uM, mM, M)")
        if x <= 0:
            raise ValueError(f"a concentration must be positive: {value!r}")
        x, qual = float(-np.log10(x * factor)), -qual
    return x, qual


def as_qualified_targets(y: object, n: int) -> tuple[np.ndarray, np.ndarray, list[str] | None]:
    """Labels that may be qualified (``">10 uM"``, ``"<5"``): values, qualifiers, names.

    Returns
    -------
    values : numpy.ndarray
        ``n x n_tasks`` float64, NaN = missing.
    qualifiers : numpy.ndarray
        ``n x n_tasks`` int8 (see :func:`parse_qualified`).
    names : list of str or None
    """
    names = None
    if isinstance(y, pd.DataFrame):
        names = [str(c) for c in y.columns]
        cols = [y[c].tolist() for c in y.columns]
    elif isinstance(y, pd.Series):
        names = [str(y.name)] if y.name is not None else None
        cols = [y.tolist()]
    else:
        arr = np.asarray(y, dtype=object)
        arr = arr.reshape(len(arr), -1) if arr.ndim else arr.reshape(1, 1)
        cols = [arr[:, j].tolist() for j in range(arr.shape[1])]
    if any(len(c) != n for c in cols):
        raise ValueError(f"got {n} molecules but {len(cols[0]) if cols else 0} target rows")
    values = np.empty((n, len(cols)))
    quals = np.zeros((n, len(cols)), dtype=np.int8)
    for j, col in enumerate(cols):
        for i, v in enumerate(col):
            try:
                values[i, j], quals[i, j] = parse_qualified(v)
            except ValueError as exc:
                raise ValueError(f"target row {i}: {exc}") from None
    if np.isinf(values).any():
        raise ValueError("targets contain infinite values")
    return values, quals, names


def as_weights(w: object, shape: tuple[int, int]) -> np.ndarray:
    """Sample weights as ``n x n_tasks`` float64 (an ``n`` vector applies to every target).

    Raises
    ------
    ValueError
        Wrong length, negative, NaN or infinite weights.
    """
    arr = np.asarray(w, dtype=np.float64)
    if arr.ndim == 1 and len(arr) == shape[0]:
        arr = np.repeat(arr[:, None], shape[1], axis=1)
    if arr.shape != shape:
        raise ValueError(f"sample_weight must have {shape[0]} rows (or shape {shape}), got shape {arr.shape}")
    if not np.isfinite(arr).all() or (arr < 0).any():
        raise ValueError("sample weights must be finite and non-negative")
    return arr


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


def fit_arguments(est, X, y, X_val, y_val, sample_weight) -> tuple:
    """The arrays ``fit`` trains on, from what the user passed (see the estimators' ``fit``).

    Returns
    -------
    tuple
        ``(smiles, y, names, val, weight, qual)``: ``n`` SMILES, ``n x n_tasks`` float labels
        (NaN = missing), target names or None, ``(val_smiles, val_y)`` or None, ``n x n_tasks``
        weights or None, ``n x n_tasks`` qualifiers (``loss="censored"``) or None.

    Raises
    ------
    ValueError
        Missing labels, ``X_val`` without ``y_val``, classification labels other than 0/1, or
        weights/qualified labels for a model that cannot take them.
    """
    from molpred.learners import is_learner

    names = qual = None
    censored = getattr(est, "loss", "mse") == "censored"
    if type(X).__module__.startswith("deepchem"):
        smiles, y_arr, names = from_deepchem(X)
        if sample_weight is None:
            sample_weight = deepchem_weights(X)
    else:
        if y is None:
            raise ValueError("fit needs labels y (or a DeepChem dataset that carries them)")
        smiles = as_smiles(X)
        if censored:
            y_arr, qual, names = as_qualified_targets(y, len(smiles))
        else:
            y_arr, names = as_targets(y, len(smiles))
    weight = None if sample_weight is None else as_weights(sample_weight, y_arr.shape)
    val = None
    if X_val is not None:
        if y_val is None:
            raise ValueError("X_val given without y_val")
        val_smiles = as_smiles(X_val)
        if censored:  # bounds are not point values: they do not score validation
            v, vq, _ = as_qualified_targets(y_val, len(val_smiles))
            val = (val_smiles, np.where(vq != 0, np.nan, v))
        else:
            val = (val_smiles, as_targets(y_val, len(val_smiles))[0])
    if est._task == "classification":
        labels = y_arr[~np.isnan(y_arr)]
        if not np.isin(labels, (0, 1)).all():
            raise ValueError("classification labels must be 0 or 1 (NaN for missing)")
    if is_learner(est.model) or est.model == "auto":
        uniform = weight is None or bool(np.all(weight[~np.isnan(y_arr)] == 1.0))
        if not uniform or (qual is not None and qual.any()):
            raise ValueError(f"model {est.model!r} does not take sample weights or qualified labels")
        weight = qual = None
    return smiles, y_arr, names, val, weight, qual
