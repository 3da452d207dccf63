"""Text -> standardised RDKit Mol, with a precise reason for every failure.

Standardisation follows RDKit's MolStandardize: cleanup (normalise functional groups,
disconnect metals, reionise), keep the parent fragment (largest organic fragment, so salts
and solvents go), neutralise charges, and optionally canonicalise the tautomer.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from enum import Enum

from rdkit import Chem, RDLogger, rdBase
from rdkit.Chem.MolStandardize import rdMolStandardize

from molpred.exceptions import (
    EmptyMoleculeError,
    InvalidSmilesError,
    MoleculeError,
    StandardizationError,
    UnsupportedMoleculeError,
)

RDLogger.DisableLog("rdApp.*")

__all__ = [
    "Status",
    "StandardizeConfig",
    "MolRecord",
    "to_mol",
    "to_mol_record",
    "standardize_many",
    "canonical_smiles",
    "rdkit_reason",
]


class Status(str, Enum):
    """Per-molecule outcome recorded in every output table's ``status`` column."""

    OK = "ok"
    INVALID_SMILES = "invalid_smiles"
    EMPTY = "empty"
    STANDARDIZATION_FAILED = "standardization_failed"
    UNSUPPORTED = "unsupported"

    def __str__(self) -> str:  # pragma: no cover - trivial
        return self.value


@dataclass(frozen=True)
class StandardizeConfig:
    """How molecules are standardised. Saved with every model so predictions match training.

    Parameters
    ----------
    cleanup : bool
        Run ``rdMolStandardize.Cleanup`` (normalise groups, disconnect metals, reionise).
    parent_fragment : bool
        Keep only the largest organic fragment (removes salts, counter-ions and solvents).
    neutralize : bool
        Neutralise charges where a neutral form exists (``Uncharger``).
    tautomer : bool
        Replace the molecule by RDKit's canonical tautomer (slow; off by default).
    max_heavy_atoms : int or None
        Molecules with more heavy atoms are ``unsupported``. ``None`` (default): no limit;
        large molecules (peptides, macrocycles) are scored and the applicability-domain
        columns say how far they are from the training set. Models saved with the old
        default (150) keep it, so they predict as before.
    max_smiles_length : int
        Longer strings are rejected before parsing, so hostile input cannot stall a batch.
    require_carbon : bool
        Molecules without carbon (inorganic salts, water, metals) are ``unsupported``. Off by
        default: they can be featurised, so they are scored and flagged by the domain check.
    keep_metal_complexes : bool
        Keep the bonds of a metal complex or organometallic (a transition, post-transition or
        f-block metal bonded to its ligands: cisplatin, oxaliplatin, auranofin): RDKit's
        ``MetalDisconnector`` is skipped for such molecules, so the parent fragment is the
        complex, not its largest ligand (which turned cisplatin into ammonia). Salts of alkali
        and alkaline-earth metals are disconnected as before. Model files saved before this
        option existed load with it off, so they predict as before.

    Notes
    -----
    Whatever happens to these options, a molecule with no heavy atom left after
    standardisation (``[H][H]``, ``[H+]``) is ``unsupported``: it has no atom to build a
    graph from.
    """

    cleanup: bool = True
    parent_fragment: bool = True
    neutralize: bool = True
    tautomer: bool = False
    max_heavy_atoms: int | None = None
    max_smiles_length: int = 2000
    require_carbon: bool = False
    keep_metal_complexes: bool = True

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> StandardizeConfig:
        """The config saved by :meth:`to_dict`; options a file predates take their old behaviour."""
        known = {k: d[k] for k in cls.__dataclass_fields__ if k in d}
        known.setdefault("keep_metal_complexes", False)  # files written before the option
        return cls(**known)


@dataclass
class MolRecord:
    """The outcome of standardising one input.

    Attributes
    ----------
    mol : rdkit.Chem.Mol or None
        The standardised molecule, ``None`` when ``status != "ok"``.
    smiles : str or None
        Canonical SMILES of ``mol``.
    status : str
        One of :class:`Status` values.
    error : str
        Empty when ok, otherwise a one-line reason.
    """

    mol: Chem.Mol | None
    smiles: str | None
    status: str
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.status == Status.OK.value


_CARBON = Chem.MolFromSmarts("[#6]")  # one C++ call instead of a Python loop over the atoms

# Every atom or group that one of the MolStandardize steps used here can act on. Cleanup is
# RemoveHs, MetalDisconnector, Normalizer, Reionizer, AssignStereochemistry(cleanIt, force)
# (RDKit MolStandardize.cpp, cleanupInPlace). For a molecule with none of these:
# - RemoveHs: no H atoms in the graph, so it only re-sanitises;
# - MetalDisconnector: its patterns all start at a metal; none is in the allowed elements;
# - Normalizer: every default transform needs a charged atom except nitro-like
#   [N,P,As,Sb;X3](=[O,S,Se,Te])=[O,S,Se,Te], aromatic n=O, N#N (azide, diazo) and
#   sulfoxide [S;X3]=O, all listed below (it also splits and recombines fragments, hence
#   one fragment only);
# - Reionizer: its charge corrections need an isolated Li/Na/K/Mg/Ca/Cl atom and its proton
#   moves need an ionised (negatively charged) group;
# - LargestFragmentChooser: one fragment; Uncharger: acts only on charged atoms.
# So Cleanup + fragment choice + uncharging reduce to AssignStereochemistry on such "plain"
# molecules (97% of drug-like libraries): RemoveHs's re-sanitisation is a no-op on a molecule
# that MolFromSmiles has just sanitised, and so is the final SanitizeMol, which therefore
# runs on the full path only. About 4x faster; checked atom for atom and property for property against the full path on
# 202,475 molecules (MoleculeACE, MoleculeNet, TDC, Enamine, generated) and in
# tests/chem/test_standardize_fast_path.py.
_NEEDS_STANDARDIZER = Chem.MolFromSmarts(
    "[#1,!+0,D0,!#5&!#6&!#7&!#8&!#9&!#14&!#15&!#16&!#17&!#34&!#35&!#53,"
    "$([#7,#15,#33,#51](=[#8,#16,#34,#52])=[#8,#16,#34,#52]),$([#7]#[#7]),$(n=[#8]),$([#16X3]=[#8])]"
)


# A bond from a metal that forms coordination complexes or organometallics (Al, Sc-Zn, Ga,
# Y-Cd, In, Sn, La-Lu, Hf-Hg, Tl, Pb, Bi, Ac-Lr) to any other atom. Alkali and alkaline-earth
# metals are left out on purpose: "CC(=O)O[Na]" is a salt written with a bond.
_METALS = (13, *range(21, 32), *range(39, 51), *range(57, 84), *range(89, 104))
_COMPLEX_BOND = Chem.MolFromSmarts("[" + ",".join(f"#{z}" for z in _METALS) + "]~[*]")


def _cleanup_keeping_metals(mol: Chem.Mol) -> Chem.Mol:
    """``rdMolStandardize.Cleanup`` without its ``MetalDisconnector`` step."""
    mol = Chem.RemoveHs(mol)
    mol = rdMolStandardize.Normalize(mol)
    mol = rdMolStandardize.Reionize(mol)
    Chem.AssignStereochemistry(mol, cleanIt=True, force=True)
    return mol


def _is_plain(mol: Chem.Mol) -> bool:
    """True when Cleanup, LargestFragmentChooser and Uncharger provably leave ``mol`` as it is."""
    return not mol.HasSubstructMatch(_NEEDS_STANDARDIZER) and len(Chem.GetMolFrags(mol)) == 1


class _Standardizer:
    """Holds the RDKit standardisation objects, built once per process.

    ``fast=True`` skips the MolStandardize calls for molecules they provably do not change
    (see ``_is_plain``); the result is identical. ``fast=False`` always runs them.
    """

    def __init__(self, config: StandardizeConfig, fast: bool = True):
        self.config = config
        self.fast = fast
        self._chooser = rdMolStandardize.LargestFragmentChooser(preferOrganic=True)
        self._uncharger = rdMolStandardize.Uncharger()
        self._tautomers = rdMolStandardize.TautomerEnumerator() if config.tautomer else None

    def __call__(self, mol: Chem.Mol) -> Chem.Mol:
        """Standardise a sanitised ``mol`` (modified in place on the fast path; use the result)."""
        cfg = self.config
        plain = self.fast and _is_plain(mol)
        if cfg.cleanup:
            if plain:  # all that Cleanup changes in a plain molecule
                Chem.AssignStereochemistry(mol, cleanIt=True, force=True)
            elif cfg.keep_metal_complexes and mol.HasSubstructMatch(_COMPLEX_BOND):
                mol = _cleanup_keeping_metals(mol)
            else:
                mol = rdMolStandardize.Cleanup(mol)
        if cfg.parent_fragment and not plain and len(Chem.GetMolFrags(mol)) > 1:
            mol = self._chooser.choose(mol)
        if cfg.neutralize and not plain:
            mol = self._uncharger.uncharge(mol)
        if self._tautomers is not None:
            mol = self._tautomers.Canonicalize(mol)
        if not plain or self._tautomers is not None:
            # A plain molecule was sanitised by MolFromSmiles a moment ago and only had its
            # stereo flags cleaned since: sanitising again (a third of the parse + standardise
            # time) changed nothing on 249,429 plain molecules (canonical SMILES, graph
            # features, Morgan bits; MoleculeACE, TDC, MoleculeNet, Enamine 50k, generated).
            Chem.SanitizeMol(mol)
        return mol


_CACHE: dict[StandardizeConfig, _Standardizer] = {}


def _standardizer(config: StandardizeConfig) -> _Standardizer:
    if config not in _CACHE:
        _CACHE[config] = _Standardizer(config)
    return _CACHE[config]


def _is_missing(smiles: object) -> bool:
    if smiles is None:
        return True
    if isinstance(smiles, float) and math.isnan(smiles):
        return True
    return isinstance(smiles, str) and not smiles.strip()


def to_mol(smiles: str, config: StandardizeConfig | None = None) -> Chem.Mol:
    """Parse and standardise one SMILES string.

    Parameters
    ----------
    smiles : str
        Input SMILES. Surrounding whitespace is ignored.
    config : StandardizeConfig, optional
        Standardisation settings; defaults to ``StandardizeConfig()``.

    Returns
    -------
    rdkit.Chem.Mol
        The standardised molecule.

    Raises
    ------
    EmptyMoleculeError
        ``smiles`` is empty, missing or NaN.
    InvalidSmilesError
        RDKit cannot parse it (syntax, valence, aromaticity), or it is not text.
    StandardizationError
        MolStandardize failed on a parsed molecule.
    UnsupportedMoleculeError
        No heavy atoms; or, when the config asks for it, more than ``config.max_heavy_atoms``
        or no carbon.

    Examples
    --------
    >>> Chem.MolToSmiles(to_mol("CC(=O)[O-].[Na+]"))
    'CC(=O)O'
    """
    config = config or StandardizeConfig()
    if _is_missing(smiles):
        raise EmptyMoleculeError("empty SMILES")
    if not isinstance(smiles, str):
        raise InvalidSmilesError(f"expected a SMILES string, got {type(smiles).__name__}")
    text = smiles.strip()
    if len(text) > config.max_smiles_length:
        raise InvalidSmilesError(
            f"SMILES is {len(text)} characters long (limit {config.max_smiles_length})"
        )
    if "\x00" in text or any(c.isspace() for c in text):
        raise InvalidSmilesError(f"SMILES contains whitespace or control characters: {text[:60]!r}")
    mol = Chem.MolFromSmiles(text)
    if mol is None:
        raise InvalidSmilesError(f"RDKit could not parse SMILES {text[:80]!r}: {rdkit_reason(text)}")
    if mol.GetNumAtoms() == 0:
        raise EmptyMoleculeError("SMILES has no atoms")
    try:
        mol = _standardizer(config)(mol)
    except Exception as exc:  # RDKit raises several unrelated types here
        raise StandardizationError(f"standardisation failed: {exc}".splitlines()[0]) from exc
    n_heavy = mol.GetNumHeavyAtoms()
    if n_heavy == 0:
        raise UnsupportedMoleculeError("no heavy atoms after standardisation")
    if config.require_carbon and not mol.HasSubstructMatch(_CARBON):
        raise UnsupportedMoleculeError("no carbon atoms (inorganic); not a drug-like molecule")
    if config.max_heavy_atoms is not None and n_heavy > config.max_heavy_atoms:
        raise UnsupportedMoleculeError(
            f"{n_heavy} heavy atoms (limit {config.max_heavy_atoms})"
        )
    return mol


_LOG_STAMP = re.compile(r"^\[[0-9:]+\]\s*")


def rdkit_reason(text: str) -> str:
    """RDKit's own reason for rejecting ``text`` ("unclosed ring", "Explicit valence ...").

    Called only after a failed parse, so valid rows pay nothing: the SMILES is parsed again
    with RDKit's error log captured (:class:`rdkit.rdBase.CaptureErrorLog` works while the
    log is disabled) and the first message is kept, without its time stamp, its
    "SMILES Parse Error:" prefix and the repeated input.

    Examples
    --------
    >>> rdkit_reason("C1CC")
    'unclosed ring'
    >>> rdkit_reason("CC(C)(C)(C)(C)C")
    'Explicit valence for atom # 1 C, 6, is greater than permitted'
    """
    with rdBase.CaptureErrorLog() as log:
        mol = Chem.MolFromSmiles(text)
    if mol is not None:  # pragma: no cover - parsed after all
        return "no error"
    lines = [_LOG_STAMP.sub("", line).strip() for line in log.messages.splitlines()]
    lines = [line for line in lines if line]
    if not lines:
        return "no reason given by RDKit"
    first = lines[0].removeprefix("SMILES Parse Error:").strip()
    first = re.sub(r"\s+for input: '.*'$", "", first)
    first = re.sub(r"\s+while parsing: .*$", "", first)
    return first[:160]


def canonical_smiles(mol: Chem.Mol) -> str:
    """Canonical isomeric SMILES of ``mol``."""
    return Chem.MolToSmiles(mol)


def to_mol_record(smiles: object, config: StandardizeConfig | None = None) -> MolRecord:
    """Like :func:`to_mol` but never raises: failures become a status and a reason."""
    try:
        mol = to_mol(smiles, config)  # type: ignore[arg-type]
    except MoleculeError as exc:
        return MolRecord(None, None, exc.status, str(exc))
    except Exception as exc:  # noqa: BLE001 - a batch must never crash on one row
        return MolRecord(None, None, Status.STANDARDIZATION_FAILED.value, f"unexpected: {exc}")
    return MolRecord(mol, canonical_smiles(mol), Status.OK.value, "")


def standardize_many(
    smiles: Iterable[object] | Sequence[object],
    config: StandardizeConfig | None = None,
    progress: bool = False,
) -> list[MolRecord]:
    """Standardise a batch; one :class:`MolRecord` per input, in input order.

    Parameters
    ----------
    smiles : iterable of str
        Input SMILES; ``None``/NaN/empty entries become ``status="empty"``.
    config : StandardizeConfig, optional
    progress : bool
        Show a tqdm progress bar.

    Returns
    -------
    list of MolRecord
        ``len(result) == len(smiles)``.
    """
    items = list(smiles)
    if progress:
        from tqdm.auto import tqdm

        items_iter = tqdm(items, desc="standardise", unit="mol")
    else:
        items_iter = items
    return [to_mol_record(s, config) for s in items_iter]
