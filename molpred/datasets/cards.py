"""Data cards: what molpred knows about each named data set, read from ``registry.json``.

Also where files are looked for: the bundled ``datasets/`` folder and the download cache.
"""

from __future__ import annotations

import difflib
import json
import os
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from molpred.exceptions import DataFileError

__all__ = ["DatasetCard", "XYData", "KINDS", "list_datasets", "card", "datasets_dir", "cache_dir",
           "checkout_data_dir", "data_dirs", "find_data_dir", "ENV_DATA_DIR", "ENV_DATASETS_DIR", "ENV_CACHE_DIR"]

ENV_DATA_DIR = "MOLPRED_DATA_DIR"
ENV_DATASETS_DIR = "MOLPRED_DATASETS_DIR"
ENV_CACHE_DIR = "MOLPRED_CACHE_DIR"
KINDS = ("moleculenet", "tdc", "admet", "molpal", "moleculeace")

# datasets directory -> {lower-case name: card}
_REGISTRIES: dict[Path, dict[str, DatasetCard]] = {}


@dataclass(frozen=True)
class DatasetCard:
    """What molpred knows about one named data set (one entry of ``registry.json``).

    Attributes
    ----------
    name, kind : str
        Registry name (e.g. ``"esol"``, ``"tdc/herg"``, ``"moleculeace/CHEMBL204_Ki"``) and
        family, one of :data:`KINDS`.
    source : str
        ``"local"`` (resolved from a data directory or the cache) or ``"bundled"``
        (shipped in ``datasets/`` of the source tree).
    subdir, file, sep : str
        The file is ``<dir>/<subdir>/<file>``; ``sep`` is its field delimiter.
    smiles_column : str
        Column holding the SMILES.
    targets : tuple of str
        Label columns, in the order :func:`load_xy` returns them.
    task_type : str
        ``"regression"`` or ``"classification"``.
    units : str
        Units (or label meaning) of the targets.
    objective : str or None
        ``"minimize"``/``"maximize"`` when the data set is an optimisation target
        (docking scores, potency), else None.
    n_rows, n_bytes : int
        Data rows (without the header) and file size of the reference copy.
    columns : tuple of str
        Every column of the file, in file order.
    sha256 : str
        Checksum of the reference copy.
    url, url_sha256, url_note : str or None
        Online download, the checksum of what it serves when known (else a download is
        verified by schema: same columns and row count) and how that was established.
    license, origin, description, notes, citation : str
        Provenance and meaning, copied from the data's provenance records.
    """

    name: str
    kind: str
    source: str
    subdir: str
    file: str
    sep: str
    smiles_column: str
    targets: tuple[str, ...]
    task_type: str
    units: str
    objective: str | None
    n_rows: int
    n_bytes: int
    columns: tuple[str, ...]
    sha256: str
    url: str | None
    url_sha256: str | None
    url_note: str
    license: str
    origin: str
    description: str
    notes: str
    citation: str

    @property
    def relpath(self) -> str:
        """``<subdir>/<file>``, the file's path below a data directory."""
        return f"{self.subdir}/{self.file}"

    def to_dict(self) -> dict[str, Any]:
        """Return the card as JSON-ready plain types (tuples become lists)."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DatasetCard:
        """Build a card from :meth:`to_dict` output; unknown or missing keys raise."""
        names = {f.name for f in fields(cls)}
        if set(data) != names:
            raise DataFileError(f"bad data card {data.get('name')!r}: keys differ by "
                                f"{sorted(set(data) ^ names)}")
        tuples = {"targets", "columns"}
        return cls(**{k: tuple(v) if k in tuples else v for k, v in data.items()})


class XYData(NamedTuple):
    """Inputs and labels of a data set, as returned by :func:`load_xy`."""

    smiles: list[str]
    """n SMILES as shipped (not canonicalised; "" where the cell was empty)."""
    y: np.ndarray
    """n x t float64 labels, NaN where missing."""
    target_names: list[str]
    """t column names, in the order of ``y``'s columns."""


def datasets_dir() -> Path:
    """Return the bundled ``datasets/`` folder (``MOLPRED_DATASETS_DIR`` overrides it)."""
    env = os.environ.get(ENV_DATASETS_DIR)
    if env:
        return Path(env).expanduser()
    import molpred

    return Path(molpred.__file__).resolve().parents[1] / "datasets"


def cache_dir() -> Path:
    """Return the download cache: ``MOLPRED_CACHE_DIR``, else ``$XDG_CACHE_HOME/molpred``,
    else ``~/.cache/molpred``."""
    env = os.environ.get(ENV_CACHE_DIR)
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "molpred"


def checkout_data_dir() -> Path:
    """``shared/data`` beside the source checkout molpred runs from (``<checkout>/../shared/data``).

    A project layout (several checkouts or worktrees next to one shared data folder); the
    folder need not exist.
    """
    import molpred

    return Path(molpred.__file__).resolve().parents[2] / "shared" / "data"


def data_dirs() -> list[tuple[str, Path]]:
    """Where local (not bundled) data sets are looked for, in order, as ``(label, path)``:

    1. ``$MOLPRED_DATA_DIR`` (when set);
    2. the download cache, :func:`cache_dir`;
    3. ``../shared/data`` beside a source checkout, :func:`checkout_data_dir`.
    """
    dirs = []
    if os.environ.get(ENV_DATA_DIR):
        dirs.append((ENV_DATA_DIR, Path(os.environ[ENV_DATA_DIR]).expanduser()))
    dirs.append(("cache", cache_dir()))
    dirs.append(("../shared/data beside the checkout", checkout_data_dir()))
    return dirs


def find_data_dir(subpath: str = "") -> Path:
    """The first of :func:`data_dirs` that holds ``subpath`` (e.g. ``"molpal"``), else the first
    of them (so a "not found" message names where the data were expected).

    Examples
    --------
    >>> find_data_dir("molpal")  # doctest: +SKIP
    PosixPath('.../shared/data')
    """
    dirs = [d for _, d in data_dirs()]
    for d in dirs:
        if (d / subpath).exists():
            return d
    return dirs[0]


def _registry() -> dict[str, DatasetCard]:
    """The cards, keyed by lower-case name (cached per datasets directory)."""
    root = datasets_dir()
    if root not in _REGISTRIES:
        file = root / "registry.json"
        try:
            raw = json.loads(file.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise DataFileError(
                f"cannot read the data set registry {file} ({exc.__class__.__name__}); set "
                f"{ENV_DATASETS_DIR} to the datasets/ folder of a molpred source checkout"
            ) from None
        cards = [DatasetCard.from_dict(d) for d in raw["datasets"]]
        _REGISTRIES[root] = {c.name.lower(): c for c in cards}
    return _REGISTRIES[root]


def list_datasets(kind: str | None = None) -> list[str]:
    """Return the registered data set names, in registry order.

    Parameters
    ----------
    kind : str, optional
        Only names of this family: one of ``"moleculenet"``, ``"tdc"``, ``"admet"``,
        ``"molpal"``, ``"moleculeace"``.

    Raises
    ------
    ValueError
        If ``kind`` is not a known family (with a did-you-mean suggestion).
    """
    if kind is not None and kind.lower() not in KINDS:
        close = difflib.get_close_matches(kind.lower(), KINDS, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise ValueError(f"unknown data set kind {kind!r}{hint} (known: {', '.join(KINDS)})")
    return [c.name for c in _registry().values() if kind is None or c.kind == kind.lower()]


def card(name: str) -> DatasetCard:
    """Return the card of data set ``name``.

    Names are case-insensitive; the part after the family prefix is enough when it is
    unique (``"chembl204_ki"`` finds ``"moleculeace/CHEMBL204_Ki"``, ``"herg"`` finds
    ``"tdc/herg"``; ``"clintox"`` is the MoleculeNet set, ``"tdc/clintox"`` the TDC one).

    Raises
    ------
    DataFileError
        If no data set has that name; the message suggests the closest names.
    """
    reg = _registry()
    key = str(name).strip().lower()
    if key in reg:
        return reg[key]
    if "/" not in key:
        hits = [c for k, c in reg.items() if k.split("/", 1)[-1] == key]
        if len(hits) == 1:
            return hits[0]
    short = {k.split("/", 1)[-1]: c.name for k, c in reg.items()}
    choices = {**{k: c.name for k, c in reg.items()}, **short}
    close = dict.fromkeys(choices[m] for m in difflib.get_close_matches(key, choices, n=3))
    hint = f"; did you mean {', '.join(map(repr, close))}?" if close else ""
    raise DataFileError(f"unknown data set {name!r}{hint} "
                        f"(molpred.datasets.list_datasets() lists all {len(reg)})")
