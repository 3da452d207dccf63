"""Plain-text labels a chemist can read: a prediction in the assay's units, its interval,
the concentration in nM for potency targets, and the applicability-domain flag.

Used by the hit grid of a screen, the pictures of ``molpred explain`` and the quickstart's
tables, so the three say the same thing the same way.

Potency targets are recognised by name:

* ``pKi``, ``pIC50``, ``pEC50``, ``pKd``, ``pKb``, ``pA2``, ``pXC50`` (any case, optionally
  after a prefix such as ``CHEMBL204_``): ``-log10(value / M)``, so
  ``nM = 10 ** (9 - prediction)``;
* bundled MoleculeACE targets (``CHEMBL<id>_Ki``, ``CHEMBL<id>_EC50``): ``-log10(value / nM)``
  as the data set ships it, so ``nM = 10 ** -prediction``.

Any other target is shown in its own units with no concentration.
"""

from __future__ import annotations

import math
import re

__all__ = ["potency_kind", "to_nanomolar", "format_nanomolar", "prediction_lines"]

_P_ASSAY = re.compile(r"(?:^|[_.\-\s])p(ki|kd|kb|ic50|ec50|xc50|a2)$", re.IGNORECASE)
_MOLECULEACE = re.compile(r"^CHEMBL\d+_(Ki|EC50)$")


def potency_kind(target: str) -> tuple[str, int] | None:
    """``(assay, offset)`` for a potency target, else ``None``.

    ``nM = 10 ** (offset - prediction)``: offset 9 for ``p``-values (molar), 0 for the
    MoleculeACE sets (``-log10`` of nM).

    Examples
    --------
    >>> potency_kind("pKi"), potency_kind("CHEMBL204_Ki"), potency_kind("logS")
    (('Ki', 9), ('Ki', 0), None)
    """
    name = str(target).rsplit(".", 1)[-1]  # "<model>.<target>" in multi-model screens
    m = _MOLECULEACE.match(name)
    if m:
        return m.group(1), 0
    m = _P_ASSAY.search(name) or (re.fullmatch(r"p(ki|kd|kb|ic50|ec50|xc50|a2)", name, re.IGNORECASE))
    if m:
        kind = m.group(1)
        return {"ki": "Ki", "kd": "Kd", "kb": "Kb", "ic50": "IC50", "ec50": "EC50", "xc50": "XC50",
                "a2": "A2"}[kind.lower()], 9
    return None


def to_nanomolar(target: str, value: float) -> float | None:
    """The concentration in nM that a potency prediction stands for (``None`` if not potency)."""
    kind = potency_kind(target)
    if kind is None or value is None or not math.isfinite(float(value)):
        return None
    return float(10.0 ** (kind[1] - float(value)))


def format_nanomolar(nm: float) -> str:
    """``0.35 nM``, ``12 nM``, ``4.1 uM``, ``2.3 mM``: two significant figures, readable units.

    Examples
    --------
    >>> format_nanomolar(0.347), format_nanomolar(12.4), format_nanomolar(4100)
    ('0.35 nM', '12 nM', '4.1 uM')
    """
    for scale, unit in ((1e6, "mM"), (1e3, "uM"), (1.0, "nM")):
        if nm >= scale:
            x = nm / scale
            if x >= 100:
                return f"{round(x, 1 - int(math.floor(math.log10(x)))):.0f} {unit}"
            return f"{x:.0f} {unit}" if x >= 10 else f"{x:.2g} {unit}"
    return f"{nm:.2g} nM"


def prediction_lines(target: str, value: float, lo: float | None = None, hi: float | None = None,
                     in_domain: bool | None = None, task: str = "regression") -> list[str]:
    """Plain-text lines describing one prediction.

    Parameters
    ----------
    target : str
        Target (column) name.
    value : float
        Prediction in the target's units (a probability for classifiers).
    lo, hi : float, optional
        Interval bounds (e.g. conformal ``_lo``/``_hi``).
    in_domain : bool, optional
        Applicability-domain flag; ``None`` when the model has no domain.
    task : {"regression", "classification"}

    Returns
    -------
    list of str
        E.g. ``["pKi 8.1 [7.2, 9.0]", "Ki 7.9 nM", "in domain"]``.

    Examples
    --------
    >>> prediction_lines("pKi", 8.1, 7.2, 9.0, True)
    ['pKi 8.1 [7.2, 9.0]', 'Ki 7.9 nM [1 nM, 63 nM]', 'in domain']
    """
    name = str(target)
    if task == "classification":
        first = f"P({name}) {value:.2f}"
    else:
        first = f"{name} {_short(value)}"
    has_interval = lo is not None and hi is not None and all(math.isfinite(float(v)) for v in (lo, hi))
    if has_interval and task != "classification":
        first += f" [{_short(lo)}, {_short(hi)}]"
    lines = [first]
    nm = to_nanomolar(name, value) if task != "classification" else None
    if nm is not None:
        kind = potency_kind(name)[0]
        text = f"{kind} {format_nanomolar(nm)}"
        if has_interval:
            # a higher p-value is a lower concentration: the bounds swap
            text += f" [{format_nanomolar(to_nanomolar(name, hi))}, {format_nanomolar(to_nanomolar(name, lo))}]"
        lines.append(text)
    if in_domain is not None:
        lines.append("in domain" if in_domain else "OUT of domain")
    return lines


def _short(value: float) -> str:
    """One decimal for values of ordinary size (pKi 8.1, logS -3.2, 0.1), else 2-3 significant figures."""
    value = float(value)
    if 0.05 <= abs(value) < 1000 or value == 0:
        return f"{value:.1f}"
    return f"{value:.2g}" if abs(value) < 0.05 else f"{value:.3g}"
