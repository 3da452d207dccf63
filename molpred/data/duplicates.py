"""Duplicate molecules after standardisation: find them, merge their labels, report conflicts.

Two input rows are the same molecule when their standardised canonical (isomeric) SMILES are
equal: a salt and its parent, two drawings of one tautomer-fixed structure, or the same
compound listed twice. Enantiomers stay distinct. MoleculeNet's BBBP has 68 such groups
(11 with conflicting labels) and ClinTox 52 (47 conflicting), so training merges them by
default and splits keep every group on one side.
"""

from __future__ import annotations

import difflib
import warnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from enum import Enum

import numpy as np

__all__ = ["DuplicatePolicy", "DuplicateReport", "check_duplicate_policy", "group_ids", "merge_duplicates"]


class DuplicatePolicy(str, Enum):
    """What training does with rows that standardise to the same molecule."""

    MERGE = "merge"  # one row per molecule: mean (regression) or majority (classification) label
    KEEP = "keep"  # keep every row (splits still keep a molecule's rows together)
    ERROR = "error"  # refuse the data set

    def __str__(self) -> str:  # pragma: no cover - trivial
        return self.value


def check_duplicate_policy(name: str) -> DuplicatePolicy:
    """The policy called ``name``; ``ValueError`` with a did-you-mean hint otherwise."""
    try:
        return DuplicatePolicy(name)
    except ValueError:
        known = [p.value for p in DuplicatePolicy]
        close = difflib.get_close_matches(str(name), known, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise ValueError(f"unknown duplicates policy {name!r}{hint} (known: {', '.join(known)})") from None


@dataclass(frozen=True)
class DuplicateReport:
    """Counts written to the training summary and ``metrics.json``.

    Attributes
    ----------
    policy : str
    n_rows : int
        Labelled rows looked at.
    n_molecules : int
        Distinct standardised molecules among them.
    n_groups : int
        Molecules that occur more than once.
    n_rows_in_groups : int
        Rows belonging to those molecules.
    n_conflicting : int
        Groups whose labels disagree (classification: both 0 and 1 for some task;
        regression: values differ by more than ``tolerance``).
    n_ties : int
        Classification only: task labels of a group with as many 0s as 1s; the merged label
        is missing (NaN), never a guess.
    max_label_range : float or None
        Regression only: largest max - min of a task's labels within one group.
    examples : list of str
        Up to five conflicting molecules (standardised SMILES).
    """

    policy: str
    n_rows: int
    n_molecules: int
    n_groups: int
    n_rows_in_groups: int
    n_conflicting: int
    n_ties: int = 0
    max_label_range: float | None = None
    examples: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        d = asdict(self)
        d["examples"] = list(self.examples)
        return d


def group_ids(keys: Sequence) -> np.ndarray:
    """``n`` int64 group ids, numbered in order of first occurrence; equal keys share an id.

    ``None`` keys (rows that did not standardise) are each their own group.
    """
    seen: dict = {}
    out = np.empty(len(keys), dtype=np.int64)
    n_groups = 0
    for i, k in enumerate(keys):
        if k is None:
            out[i] = n_groups
            n_groups += 1
            continue
        if k not in seen:
            seen[k] = n_groups
            n_groups += 1
        out[i] = seen[k]
    return out


def _merge_classification(block: np.ndarray) -> tuple[np.ndarray, bool, int]:
    """Majority label per task of ``k x t`` 0/1/NaN labels; ties and all-NaN give NaN."""
    ones = np.nansum(block == 1, axis=0)
    zeros = np.nansum(block == 0, axis=0)
    merged = np.where(ones > zeros, 1.0, np.where(zeros > ones, 0.0, np.nan))
    conflict = bool(((ones > 0) & (zeros > 0)).any())
    ties = int(((ones == zeros) & (ones > 0)).sum())
    return merged, conflict, ties


def merge_duplicates(
    keys: Sequence[str], y: np.ndarray, task: str, policy: str | DuplicatePolicy = "merge", tolerance: float = 1e-6,
) -> tuple[np.ndarray, np.ndarray, DuplicateReport]:
    """Collapse rows of the same molecule.

    Parameters
    ----------
    keys : sequence of str
        ``n`` standardised canonical SMILES (one per labelled row).
    y : numpy.ndarray
        ``n x t`` labels, NaN = missing.
    task : {"regression", "classification"}
    policy : {"merge", "keep", "error"}
    tolerance : float
        Regression labels closer than this do not count as conflicting.

    Returns
    -------
    rows : numpy.ndarray
        int64 positions into ``keys`` of the rows to train on: the first row of every
        molecule with ``merge``, every row with ``keep``.
    y_out : numpy.ndarray
        ``len(rows) x t`` labels: the merged label of each molecule (mean of the non-missing
        values for regression; majority for classification, NaN on a tie) with ``merge``,
        ``y`` unchanged with ``keep``.
    report : DuplicateReport

    Raises
    ------
    ValueError
        ``policy="error"`` and some molecule occurs twice, or an unknown policy.
    """
    policy = check_duplicate_policy(policy if isinstance(policy, str) else policy.value)
    y = np.asarray(y, dtype=float)
    gid = group_ids(list(keys))
    n_mol = int(gid.max()) + 1 if len(gid) else 0
    counts = np.bincount(gid, minlength=n_mol)
    first = np.full(n_mol, -1, dtype=np.int64)
    for i in range(len(gid) - 1, -1, -1):
        first[gid[i]] = i
    dup_groups = np.flatnonzero(counts > 1)
    order = np.argsort(gid, kind="stable")
    starts = np.concatenate([[0], np.cumsum(counts)])
    y_merged = y[first].copy()
    n_conflict, n_ties, max_range, examples = 0, 0, 0.0, []
    for g in dup_groups:
        block = y[order[starts[g]:starts[g + 1]]]
        if task == "classification":
            merged, conflict, ties = _merge_classification(block)
            n_ties += ties
        else:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # a task with no label stays NaN
                merged = np.nanmean(block, axis=0)
                spread = np.nanmax(block, axis=0) - np.nanmin(block, axis=0)
            spread = np.nan_to_num(spread, nan=0.0)  # a task without labels has no spread
            max_range = max(max_range, float(spread.max()))
            conflict = bool((spread > tolerance).any())
        y_merged[g] = merged
        if conflict:
            n_conflict += 1
            if len(examples) < 5:
                examples.append(str(keys[first[g]]))
    report = DuplicateReport(
        policy=policy.value, n_rows=len(gid), n_molecules=n_mol, n_groups=len(dup_groups),
        n_rows_in_groups=int(counts[dup_groups].sum()), n_conflicting=n_conflict,
        n_ties=n_ties if task == "classification" else 0,
        max_label_range=round(max_range, 6) if task != "classification" else None,
        examples=tuple(examples),
    )
    if policy is DuplicatePolicy.ERROR and len(dup_groups):
        shown = ", ".join(repr(str(keys[first[g]])) for g in dup_groups[:3])
        raise ValueError(
            f"{len(dup_groups)} molecules occur more than once after standardisation "
            f"({report.n_conflicting} with conflicting labels), e.g. {shown}; "
            "use duplicates='merge' or 'keep'"
        )
    if policy is DuplicatePolicy.KEEP:
        return np.arange(len(gid), dtype=np.int64), y.copy(), report
    return first, y_merged, report
