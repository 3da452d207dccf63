"""Medicinal chemists' filters: PAINS/Brenk alerts, Lipinski, Veber and property windows.

A filter run takes a batch of RDKit molecules and returns one row per molecule with
``passes``, ``filter_reasons`` and the property columns, so a screen can keep, drop or
just annotate hits. Batch functions never raise for one bad molecule: a ``None`` entry
gets ``passes=False``, ``filter_reasons="invalid_molecule"`` and NaN properties.

Properties (columns of :func:`compute_properties`):

=================  ===================================================================
``mw``             average molecular weight (``Descriptors.MolWt``), Da
``clogp``          Wildman-Crippen logP (``Crippen.MolLogP``)
``tpsa``           topological polar surface area (Ertl), A^2
``hbd``            H-bond donors (``rdMolDescriptors.CalcNumHBD``)
``hba``            H-bond acceptors (``rdMolDescriptors.CalcNumHBA``)
``rotb``           rotatable bonds (``rdMolDescriptors.CalcNumRotatableBonds``)
``heavy_atoms``    heavy atom count
``rings``          ring count (SSSR)
``aromatic_rings`` aromatic ring count
``fsp3``           fraction of sp3 carbons
``qed``            quantitative estimate of drug-likeness (Bickerton et al., Nat. Chem. 2012)
=================  ===================================================================

Rules:

* Lipinski (Lipinski et al., Adv. Drug Deliv. Rev. 1997): MW <= 500, cLogP <= 5,
  HBD <= 5, HBA <= 10; a molecule fails when it breaks more than
  ``lipinski_max_violations`` (default 1) of the four.
* Veber (Veber et al., J. Med. Chem. 2002): rotatable bonds <= 10 and TPSA <= 140.
* PAINS (Baell & Holloway, J. Med. Chem. 2010) and Brenk (Brenk et al., ChemMedChem 2008)
  structural alerts from RDKit's ``FilterCatalog``.
* Windows ``property:lo-hi``: inclusive bounds ``lo <= value <= hi``.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from rdkit import Chem
from rdkit.Chem import QED, Crippen, Descriptors, rdMolDescriptors

from molpred.chem.alerts import alert_screen
from molpred.exceptions import MolpredError

__all__ = [
    "PROPERTIES",
    "FilterConfig",
    "FilterSpecError",
    "apply_filters",
    "compute_properties",
    "list_filters",
    "parse_filters",
]

PROPERTIES: dict[str, Callable[[Chem.Mol], float]] = {
    "mw": Descriptors.MolWt,
    "clogp": Crippen.MolLogP,
    "tpsa": rdMolDescriptors.CalcTPSA,
    "hbd": rdMolDescriptors.CalcNumHBD,
    "hba": rdMolDescriptors.CalcNumHBA,
    "rotb": rdMolDescriptors.CalcNumRotatableBonds,
    "heavy_atoms": lambda m: m.GetNumHeavyAtoms(),
    "rings": rdMolDescriptors.CalcNumRings,
    "aromatic_rings": rdMolDescriptors.CalcNumAromaticRings,
    "fsp3": rdMolDescriptors.CalcFractionCSP3,
    "qed": QED.qed,
}
"""Property name -> function of one Mol; the column order of :func:`compute_properties`."""

_RULES = ("pains", "brenk", "lipinski", "veber")
_INVALID = "invalid_molecule"
_NUMBER = r"[-+]?(?:inf|(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)"
_RANGE = re.compile(rf"^\s*(?P<lo>{_NUMBER})\s*-\s*(?P<hi>{_NUMBER})\s*$")


class FilterSpecError(MolpredError, ValueError):
    """A filter specification names an unknown filter or has a malformed range."""


@dataclass(frozen=True)
class FilterConfig:
    """Which filters to apply.

    Parameters
    ----------
    pains : bool
        Reject molecules matching any PAINS (families A, B, C) alert.
    brenk : bool
        Reject molecules matching any Brenk unwanted-group alert.
    lipinski : bool
        Apply the rule of five.
    lipinski_max_violations : int
        Number of rule-of-five criteria a molecule may break and still pass.
    veber : bool
        Require rotatable bonds <= 10 and TPSA <= 140.
    windows : tuple of (str, float, float)
        ``(property, lo, hi)`` inclusive windows on :data:`PROPERTIES` columns.
    """

    pains: bool = False
    brenk: bool = False
    lipinski: bool = False
    lipinski_max_violations: int = 1
    veber: bool = False
    windows: tuple[tuple[str, float, float], ...] = ()

    def __post_init__(self) -> None:
        for prop, lo, hi in self.windows:
            if prop not in PROPERTIES:
                raise FilterSpecError(_unknown("property", prop, PROPERTIES))
            if not lo <= hi:
                raise FilterSpecError(f"empty window for {prop!r}: {lo} > {hi}")
        if self.lipinski_max_violations < 0:
            raise FilterSpecError("lipinski_max_violations must be >= 0")

    @property
    def is_empty(self) -> bool:
        """True when no filter is enabled (every valid molecule passes)."""
        return not (self.pains or self.brenk or self.lipinski or self.veber or self.windows)


def _unknown(kind: str, name: str, choices) -> str:
    close = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.5)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return f"unknown {kind} {name!r}{hint} (choose from: {', '.join(choices)})"


def parse_filters(spec: str | Sequence[str] | None) -> FilterConfig:
    """Parse a CLI filter specification.

    Parameters
    ----------
    spec : str or sequence of str or None
        Comma-separated items (or a list of items, each possibly comma-separated):
        ``pains``, ``brenk``, ``veber``, ``lipinski`` or ``lipinski:N`` (allow ``N``
        violations, default 1), and windows ``property:lo-hi`` such as ``mw:200-500``,
        ``clogp:-1-5`` or ``clogp:-2.5--0.5``. Bounds may be ``inf``/``-inf``. Names are
        case-insensitive. ``None`` or ``""`` gives an empty config.

    Returns
    -------
    FilterConfig

    Raises
    ------
    FilterSpecError
        Unknown filter or property name (with a did-you-mean hint) or malformed range.

    Examples
    --------
    >>> parse_filters("pains,lipinski,mw:200-500,clogp:-1-5").windows
    (('mw', 200.0, 500.0), ('clogp', -1.0, 5.0))
    """
    if spec is None:
        return FilterConfig()
    parts = [spec] if isinstance(spec, str) else list(spec)
    items = [p.strip() for part in parts for p in str(part).split(",") if p.strip()]
    flags: dict[str, bool] = {}
    max_viol = 1
    windows: dict[str, tuple[str, float, float]] = {}
    for item in items:
        name, sep, arg = item.partition(":")
        name = name.strip().lower()
        if name in _RULES:
            if name == "lipinski" and sep:
                if not arg.strip().isdigit():
                    raise FilterSpecError(f"lipinski:N needs an integer N >= 0, got {item!r}")
                max_viol = int(arg)
            elif sep:
                raise FilterSpecError(f"filter {name!r} takes no argument, got {item!r}")
            flags[name] = True
        elif name in PROPERTIES:
            if not sep:
                raise FilterSpecError(f"property window needs a range, e.g. '{name}:0-10'")
            m = _RANGE.match(arg)
            if m is None:
                raise FilterSpecError(
                    f"malformed range {arg!r} in {item!r}; expected LO-HI such as 200-500 or -1-5"
                )
            lo, hi = float(m["lo"]), float(m["hi"])  # float() reads "inf" and "1e3"
            if math.isnan(lo) or math.isnan(hi) or lo > hi:
                raise FilterSpecError(f"empty range in {item!r}: low bound above high bound")
            windows[name] = (name, lo, hi)  # a repeated property: the last one wins
        else:
            raise FilterSpecError(_unknown("filter", name, [*_RULES, *PROPERTIES]))
    return FilterConfig(
        pains=flags.get("pains", False),
        brenk=flags.get("brenk", False),
        lipinski=flags.get("lipinski", False),
        lipinski_max_violations=max_viol,
        veber=flags.get("veber", False),
        windows=tuple(windows.values()),
    )


def list_filters() -> list[str]:
    """Names accepted by :func:`parse_filters`: rules, then ``property:LO-HI`` per property."""
    return [*_RULES, "lipinski:N", *(f"{p}:LO-HI" for p in PROPERTIES)]


def _alerts(mol: Chem.Mol, names: tuple[str, ...]) -> dict[str, list[str]]:
    # Sorted and de-duplicated so the reason string does not depend on catalogue order.
    return alert_screen(names).alerts(mol)


def compute_properties(
    mols: Sequence[Chem.Mol | None], columns: Sequence[str] | None = None
) -> pd.DataFrame:
    """Physicochemical properties of a batch of molecules.

    Parameters
    ----------
    mols : sequence of rdkit.Chem.Mol or None
        ``n`` molecules; ``None`` (or a molecule whose descriptor fails) gives NaN.
    columns : sequence of str, optional
        Subset of :data:`PROPERTIES` to compute (default: all, in that order). QED is
        the slowest column (about half the time), so screens may drop it.

    Returns
    -------
    pandas.DataFrame
        ``n x len(columns)`` float64, index ``0..n-1``.
    """
    names = list(PROPERTIES) if columns is None else list(columns)
    for c in names:
        if c not in PROPERTIES:
            raise FilterSpecError(_unknown("property", c, PROPERTIES))
    funcs = [PROPERTIES[c] for c in names]
    values = np.full((len(mols), len(names)), np.nan, dtype=np.float64)
    for i, mol in enumerate(mols):
        if mol is None:
            continue
        for j, f in enumerate(funcs):
            try:
                values[i, j] = f(mol)
            except Exception:  # one odd molecule must not sink the batch
                pass
    return pd.DataFrame(values, columns=names)


def apply_filters(
    mols: Sequence[Chem.Mol | None],
    config: FilterConfig | str | Sequence[str],
    columns: Sequence[str] | None = None,
    *,
    report_needed: bool = True,
) -> pd.DataFrame:
    """Run the configured filters over a batch of molecules.

    Parameters
    ----------
    mols : sequence of rdkit.Chem.Mol or None
        ``n`` molecules; ``None`` entries fail with reason ``invalid_molecule``.
    config : FilterConfig or str or sequence of str
        Filters to apply; strings go through :func:`parse_filters`.
    columns : sequence of str, optional
        Property columns to report (default: all). Properties the filters need are
        reported too unless ``report_needed`` is False.
    report_needed : bool
        With ``columns`` given and ``report_needed=False``, report only ``columns``; a
        property only the rules need is then computed only where it can change the result
        (cLogP for Lipinski: only for molecules breaking exactly ``lipinski_max_violations``
        of the other three criteria). ``passes`` and ``filter_reasons`` are the same either way.

    Returns
    -------
    pandas.DataFrame
        ``n`` rows: ``passes`` (bool), ``filter_reasons`` (str, ``;``-joined, e.g.
        ``"PAINS:ene_rhod_A(235);BRENK:Michael_acceptor_1;lipinski"``, empty when the
        molecule passes), then the property columns. A NaN property fails its window.
    """
    if not isinstance(config, FilterConfig):
        config = parse_filters(config)
    rule_props = {w[0] for w in config.windows}
    if config.lipinski:
        rule_props |= {"mw", "clogp", "hbd", "hba"}
    if config.veber:
        rule_props |= {"rotb", "tpsa"}
    if columns is None:
        cols = list(PROPERTIES)
    else:
        shown = set(columns) | (rule_props if report_needed else set())
        cols = [p for p in PROPERTIES if p in shown]
    props = compute_properties(mols, cols)
    hidden = compute_properties(mols, [p for p in PROPERTIES if p in rule_props - set(cols) and p != "clogp"])
    values = {**{c: hidden[c].to_numpy() for c in hidden.columns}, **{c: props[c].to_numpy() for c in cols}}
    n = len(mols)
    valid = np.array([m is not None for m in mols], dtype=bool)
    reasons: list[list[str]] = [[] if ok else [_INVALID] for ok in valid]

    names = tuple(name for name in ("pains", "brenk") if getattr(config, name))
    if names:
        for i in np.flatnonzero(valid):
            found = _alerts(mols[i], names)
            for name in names:
                reasons[i].extend(f"{name.upper()}:{d}" for d in found[name])

    with np.errstate(invalid="ignore"):
        fails: list[tuple[str, np.ndarray]] = []
        if config.lipinski:
            broken = (values["mw"] > 500).astype(int) + (values["hbd"] > 5) + (values["hba"] > 10)
            if "clogp" not in values:
                values["clogp"] = _clogp_where_deciding(mols, broken, config.lipinski_max_violations)
            broken = broken + (values["clogp"] > 5)
            fails.append(("lipinski", broken > config.lipinski_max_violations))
        if config.veber:
            v = (values["rotb"] > 10) | (values["tpsa"] > 140)
            fails.append(("veber", v))
        for prop, lo, hi in config.windows:
            x = values[prop]
            outside = ~((x >= lo) & (x <= hi))  # NaN is outside every window
            fails.append((f"{prop}:{_fmt(lo)}-{_fmt(hi)}", outside))
    for label, mask in fails:
        for i in np.flatnonzero(mask & valid):
            reasons[i].append(label)

    out = pd.DataFrame(
        {
            "passes": np.array([not r for r in reasons], dtype=bool),
            "filter_reasons": [";".join(r) for r in reasons],
        },
        index=pd.RangeIndex(n),
    )
    return pd.concat([out, props], axis=1)


def _clogp_where_deciding(mols: Sequence[Chem.Mol | None], broken: np.ndarray, allowed: int) -> np.ndarray:
    """cLogP (``n``, float64) where it decides the rule of five; 0 elsewhere (not a violation).

    With ``broken`` violations among MW, HBD and HBA, cLogP > 5 changes the verdict only when
    ``broken == allowed``; Crippen logP is the costliest of the four descriptors.
    """
    clogp = np.zeros(len(mols))
    deciding = np.flatnonzero(broken == allowed)
    if len(deciding):
        clogp[deciding] = compute_properties([mols[i] for i in deciding], ["clogp"])["clogp"].to_numpy()
    return clogp


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else repr(float(x))
