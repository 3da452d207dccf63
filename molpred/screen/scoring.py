"""Ranking scores: one prediction, or a weighted combination of several columns.

Score expression grammar (``--score``), comma-separated terms::

    COLUMN[:max|min[:WEIGHT[:z|raw]]]        e.g.  pki:max:1.0,logs:max:0.5
    desirability:COLUMN:A:B[:WEIGHT]         e.g.  desirability:logs:-6:-2

* ``COLUMN`` is any per-row number of the screen: a model's prediction (its target name, or
  ``<model>.<target>`` when two models share a name), ``<target>_std``/``_lo``/``_hi``,
  ``max_sim_train``, or a property of :data:`molpred.chem.filters.PROPERTIES` (``qed``, ``mw``,
  ``clogp``...; properties used in a score are computed for every parsed row).
* ``max``/``min``: higher or lower is better (default ``max``); ``WEIGHT`` defaults to 1.
* ``z`` divides ``value - mean`` by the standard deviation of the **training labels** of the
  model that predicts the column (stored in the model, so a row's score never depends on the
  rest of the library, and a resumed screen scores exactly as an uninterrupted one). It is
  the default for regression predictions and puts targets in different units (pKi, logS) on
  one scale; every other column (probabilities, ``_std``, similarities, properties) is
  ``raw`` by default, and ``z`` is not available for them.
* ``desirability:COLUMN:A:B`` maps a value linearly to [0, 1]: 0 at ``A``, 1 at ``B`` and
  clipped outside, so ``A < B`` rewards high values and ``A > B`` low ones (Derringer-type
  one-sided desirability).

The score of a row is ``sum(weight * term)`` over the terms (terms of ``min`` are negated);
a row with any NaN term gets a NaN score and is not ranked. Without ``--score`` the screen
ranks by the first model's first prediction (``raw``, higher is better), so the score equals
that prediction.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from molpred.exceptions import MolpredError

__all__ = ["ScoreTerm", "ScoreSpec", "ScoreSpecError", "parse_score"]


class ScoreSpecError(MolpredError, ValueError):
    """A score expression is malformed or names a column the screen does not produce."""


@dataclass(frozen=True)
class ScoreTerm:
    """One term of a score.

    Parameters
    ----------
    column : str
    kind : {"linear", "desirability"}
    higher_is_better : bool
        For linear terms.
    weight : float
    transform : {"raw", "z"}
        For linear terms.
    a, b : float
        Desirability 0 and 1 points.
    """

    column: str
    kind: str = "linear"
    higher_is_better: bool = True
    weight: float = 1.0
    transform: str = "raw"
    a: float = 0.0
    b: float = 1.0

    def text(self) -> str:
        if self.kind == "desirability":
            return f"desirability:{self.column}:{_num(self.a)}:{_num(self.b)}:{_num(self.weight)}"
        return f"{self.column}:{'max' if self.higher_is_better else 'min'}:{_num(self.weight)}:{self.transform}"


@dataclass(frozen=True)
class ScoreSpec:
    """A parsed score: terms plus the z-scaling statistics they use.

    Attributes
    ----------
    terms : tuple of ScoreTerm
    z_stats : tuple of (str, float, float)
        ``(column, mean, std)`` of the training labels, for ``z`` terms.
    """

    terms: tuple
    z_stats: tuple = ()

    @property
    def columns(self) -> list[str]:
        """Columns the score reads, in order of first use."""
        return list(dict.fromkeys(t.column for t in self.terms))

    def text(self) -> str:
        """Canonical expression (all defaults spelled out); stored in the resume manifest."""
        return ",".join(t.text() for t in self.terms)

    def __call__(self, frame: Mapping) -> np.ndarray:
        """Score every row.

        Parameters
        ----------
        frame : mapping of str -> array
            Columns of ``n`` rows (a DataFrame works).

        Returns
        -------
        numpy.ndarray
            ``n`` float64 scores, NaN where a term is NaN.
        """
        stats = {c: (m, s) for c, m, s in self.z_stats}
        total = None
        for t in self.terms:
            x = np.asarray(frame[t.column], dtype=np.float64)
            if t.kind == "desirability":
                with np.errstate(invalid="ignore"):
                    v = np.clip((x - t.a) / (t.b - t.a), 0.0, 1.0)
            else:
                if t.transform == "z":
                    mean, std = stats[t.column]
                    x = (x - mean) / std
                v = x if t.higher_is_better else -x
            total = t.weight * v if total is None else total + t.weight * v
        return total


def _num(x: float) -> str:
    x = float(x)
    return str(int(x)) if x.is_integer() and abs(x) < 1e15 else repr(x)


def _float(text: str, item: str, what: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ScoreSpecError(f"{what} in {item!r} is not a number: {text!r}") from None
    if not math.isfinite(value):
        raise ScoreSpecError(f"{what} in {item!r} must be finite")
    return value


def _check_column(name: str, item: str, available: Sequence[str]) -> None:
    if name in available:
        return
    close = difflib.get_close_matches(name, list(available), n=1, cutoff=0.5)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    shown = ", ".join(list(available)[:20])
    raise ScoreSpecError(f"score term {item!r}: unknown column {name!r}{hint} (available: {shown})")


def parse_score(
    expr: str | None,
    available: Sequence[str],
    z_stats: Mapping[str, tuple[float, float]],
    default_column: str,
) -> ScoreSpec:
    """Parse a score expression (grammar in the module docstring).

    Parameters
    ----------
    expr : str or None
        The expression; ``None``/empty ranks by ``default_column`` (raw, higher is better).
    available : sequence of str
        Column names a term may use.
    z_stats : mapping
        ``column -> (training mean, training std)`` for columns that support ``z``
        (regression predictions); they default to ``z``.
    default_column : str

    Returns
    -------
    ScoreSpec

    Raises
    ------
    ScoreSpecError
        Malformed term, unknown column (with a did-you-mean hint), ``z`` on a column without
        training statistics, desirability with ``A == B``, or a zero total weight.

    Examples
    --------
    >>> spec = parse_score("pki:max:1,logs:min:0.5:raw", ["pki", "logs"], {"pki": (6.0, 1.0)}, "pki")
    >>> spec.text()
    'pki:max:1:z,logs:min:0.5:raw'
    """
    if expr is None or not str(expr).strip():
        return ScoreSpec((ScoreTerm(default_column),))
    terms, used = [], {}
    for item in (p.strip() for p in str(expr).split(",")):
        if not item:
            continue
        parts = [p.strip() for p in item.split(":")]
        if parts[0].lower() == "desirability":
            if len(parts) not in (4, 5):
                raise ScoreSpecError(f"desirability term {item!r} must be desirability:COLUMN:A:B[:WEIGHT]")
            _check_column(parts[1], item, available)
            a, b = _float(parts[2], item, "A"), _float(parts[3], item, "B")
            if a == b:
                raise ScoreSpecError(f"desirability term {item!r}: A and B must differ")
            weight = _float(parts[4], item, "weight") if len(parts) == 5 else 1.0
            terms.append(ScoreTerm(parts[1], "desirability", weight=weight, a=a, b=b))
            continue
        if len(parts) > 4:
            raise ScoreSpecError(f"score term {item!r} has too many fields; use COLUMN:max|min:WEIGHT:z|raw")
        column = parts[0]
        _check_column(column, item, available)
        direction = parts[1].lower() if len(parts) > 1 and parts[1] else "max"
        if direction not in ("max", "min"):
            raise ScoreSpecError(f"score term {item!r}: direction must be 'max' or 'min', got {parts[1]!r}")
        weight = _float(parts[2], item, "weight") if len(parts) > 2 and parts[2] else 1.0
        transform = parts[3].lower() if len(parts) > 3 and parts[3] else ("z" if column in z_stats else "raw")
        if transform not in ("z", "raw"):
            raise ScoreSpecError(f"score term {item!r}: scaling must be 'z' or 'raw', got {parts[3]!r}")
        if transform == "z" and column not in z_stats:
            raise ScoreSpecError(
                f"score term {item!r}: 'z' needs training statistics, which only regression "
                f"predictions have; use '{column}:{direction}:{parts[2] if len(parts) > 2 else 1}:raw'"
            )
        if transform == "z":
            used[column] = z_stats[column]
        terms.append(ScoreTerm(column, "linear", direction == "max", weight, transform))
    if not terms:
        raise ScoreSpecError(f"empty score expression {expr!r}")
    if sum(abs(t.weight) for t in terms) == 0:
        raise ScoreSpecError(f"score expression {expr!r} has only zero weights")
    stats = tuple((c, float(m), float(s)) for c, (m, s) in used.items())
    return ScoreSpec(tuple(terms), stats)
