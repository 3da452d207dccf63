"""Named data sets with data cards, checksums and an offline-first loader.

Every data set molpred knows by name has a :class:`DatasetCard` (file, SMILES and target
columns, task type, units, row count, licence, origin, sha256, download URL) stored in
``datasets/registry.json``. Files are found, in order, in ``data_dir`` (or the directory
named by the environment variable ``MOLPRED_DATA_DIR``) and then in the user cache
(``~/.cache/molpred``, or ``MOLPRED_CACHE_DIR``), at ``<dir>/<subdir>/<file>``, e.g.
``moleculenet/delaney-processed.csv``. The 30 MoleculeACE sets are bundled in
``datasets/moleculeace/`` of the source tree (``MOLPRED_DATASETS_DIR`` overrides where that
folder is). Every file is checked against its sha256 before use.

Examples
--------
>>> from molpred import datasets
>>> datasets.list_datasets("moleculenet")[:3]
['esol', 'freesolv', 'lipophilicity']
>>> datasets.card("esol").n_rows
1128
>>> frame = datasets.load("esol")  # doctest: +SKIP
>>> smiles, y, names = datasets.load_xy("tox21")  # doctest: +SKIP
"""

from __future__ import annotations

import csv
import difflib
import gzip
import hashlib
import http.client
import json
import os
import shutil
import tempfile
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from molpred.exceptions import DataFileError
from molpred.types import PathType

if TYPE_CHECKING:  # pandas is imported where frames are built: listing cards stays fast
    import pandas as pd

__all__ = [
    "DatasetCard",
    "XYData",
    "KINDS",
    "list_datasets",
    "card",
    "path",
    "load",
    "load_xy",
    "load_moleculeace",
    "datasets_dir",
    "cache_dir",
]

ENV_DATA_DIR = "MOLPRED_DATA_DIR"
ENV_DATASETS_DIR = "MOLPRED_DATASETS_DIR"
ENV_CACHE_DIR = "MOLPRED_CACHE_DIR"
KINDS = ("moleculenet", "tdc", "admet", "molpal", "moleculeace")
DOWNLOAD_TIMEOUT = 60.0  # seconds without data before a download is abandoned
_CHUNK = 1 << 20

# (resolved path, size, mtime_ns) -> sha256 hex digest, so repeated loads do not re-hash
_HASHES: dict[tuple[str, int, int], str] = {}
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


def _sha256(file: Path) -> str:
    """Streaming sha256 of ``file``, memoised on (path, size, mtime)."""
    st = file.stat()
    key = (str(file.resolve()), st.st_size, st.st_mtime_ns)
    if key not in _HASHES:
        digest = hashlib.sha256()
        with open(file, "rb") as fh:
            while chunk := fh.read(_CHUNK):
                digest.update(chunk)
        _HASHES[key] = digest.hexdigest()
    return _HASHES[key]


def _sidecar(file: Path) -> Path:
    return file.with_name(file.name + ".sha256")


def _accepted_hashes(c: DatasetCard, file: Path) -> set[str]:
    """Checksums ``file`` may have: the card's, plus (for a cached download verified by
    schema) the one recorded next to it when it was downloaded."""
    accepted = {c.sha256, *([c.url_sha256] if c.url_sha256 else [])}
    side = _sidecar(file)
    if file.resolve().parent.parent == cache_dir().resolve() and side.is_file():
        recorded = side.read_text(encoding="utf-8").split()
        accepted.update(recorded[:1])
    return accepted


def _verify(c: DatasetCard, file: Path) -> None:
    digest = _sha256(file)
    if digest not in _accepted_hashes(c, file):
        raise DataFileError(
            f"checksum mismatch for data set {c.name!r}: {file} has sha256 {digest[:16]}..., "
            f"expected {c.sha256[:16]}... (the file is modified or corrupt; restore it, or "
            f"delete it and load with download=True)"
        )


def _schema_problem(c: DatasetCard, file: Path) -> str | None:
    """Describe how ``file`` differs from the card's columns and row count (None if not)."""
    opener = gzip.open if file.name.endswith(".gz") else open
    try:
        with opener(file, "rt", newline="", encoding="utf-8") as fh:
            reader = csv.reader(fh, delimiter=c.sep)
            header = next(reader, [])
            n_rows = sum(1 for _ in reader)
    except (OSError, UnicodeDecodeError, csv.Error, EOFError) as exc:
        return f"unreadable as delimited text ({exc.__class__.__name__}: {exc})"
    if set(header) != set(c.columns):
        diff = sorted(set(header) ^ set(c.columns))[:5]
        return f"columns differ from the card (e.g. {diff})"
    if n_rows != c.n_rows:
        return f"{n_rows} data rows, the card says {c.n_rows}"
    return None


def _search_dirs(c: DatasetCard, data_dir: PathType | None) -> list[tuple[str, Path]]:
    dirs: list[tuple[str, Path]] = []
    if data_dir is not None:
        dirs.append(("data_dir argument", Path(data_dir).expanduser()))
    if c.source == "bundled":
        return [*dirs, (f"bundled datasets/, {ENV_DATASETS_DIR}", datasets_dir())]
    if data_dir is None and os.environ.get(ENV_DATA_DIR):
        dirs.append((ENV_DATA_DIR, Path(os.environ[ENV_DATA_DIR]).expanduser()))
    return [*dirs, ("cache", cache_dir())]


def path(name: str, data_dir: PathType | None = None, verify: bool = True,
         download: bool = False) -> Path:
    """Find the file of data set ``name``, check its sha256 and return its path.

    Parameters
    ----------
    name : str
        Registered name (see :func:`card` for the accepted spellings).
    data_dir : path-like, optional
        Directory holding ``<subdir>/<file>``; defaults to ``$MOLPRED_DATA_DIR``. The user
        cache is searched after it.
    verify : bool, default True
        Check the file's sha256 (hashed once per process per path, size and mtime).
    download : bool, default False
        If the file is nowhere, download it from ``card.url`` into the cache (verified by
        sha256 when the URL's checksum is known, else by columns and row count).

    Raises
    ------
    DataFileError
        Unknown name, file not found (the message lists where it looked and how to fix
        it), checksum mismatch, or a failed download.
    """
    c = card(name)
    looked = []
    for label, root in _search_dirs(c, data_dir):
        file = root / c.subdir / c.file
        if file.is_file():
            if verify:
                _verify(c, file)
            return file
        state = "" if root.is_dir() else ", directory does not exist"
        looked.append(f"{file} ({label}{state})")
    if download and c.url:
        return _download(c)
    if c.source == "bundled":
        fix = (f"set {ENV_DATASETS_DIR} to the datasets/ folder of a molpred source checkout "
               f"or pass data_dir=")
    else:
        fix = (f"set {ENV_DATA_DIR} to the directory holding {c.subdir}/ (or pass data_dir=), "
               f"or pass download=True to fetch {c.url} into {cache_dir()}")
    raise DataFileError(f"data set {c.name!r} ({c.relpath}) not found; looked in: "
                        f"{'; '.join(looked)}. Fix: {fix}")


def _download(c: DatasetCard) -> Path:
    """Fetch ``c.url`` into the cache: temp file, verify, then atomic rename."""
    assert c.url is not None
    dest = cache_dir() / c.subdir / c.file
    gunzip = c.url.endswith(".gz") and not c.file.endswith(".gz")
    tmp: Path | None = None
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{c.file}.", suffix=".part", dir=dest.parent)
        tmp = Path(tmp_name)
        request = urllib.request.Request(c.url, headers={"User-Agent": "molpred"})
        with os.fdopen(fd, "wb") as out, \
                urllib.request.urlopen(request, timeout=DOWNLOAD_TIMEOUT) as response:
            shutil.copyfileobj(gzip.GzipFile(fileobj=response) if gunzip else response,
                               out, _CHUNK)
        digest = _sha256(tmp)
        known = {c.sha256, *([c.url_sha256] if c.url_sha256 else [])}
        if digest not in known:
            if c.url_sha256:
                raise DataFileError(
                    f"checksum mismatch for data set {c.name!r} downloaded from {c.url}: sha256 "
                    f"{digest[:16]}..., expected {c.url_sha256[:16]}...")
            problem = _schema_problem(c, tmp)
            if problem:
                raise DataFileError(f"data set {c.name!r} downloaded from {c.url} does not match "
                                    f"its card: {problem}")
            # trust on first use: record what was verified by schema, to catch later damage
            _sidecar(dest).write_text(f"{digest}  {dest.name}\n", encoding="utf-8")
        os.replace(tmp, dest)
        tmp = None
    except DataFileError:
        raise
    except (urllib.error.URLError, http.client.HTTPException, OSError, EOFError,
            ValueError) as exc:
        plain_url_error = isinstance(exc, urllib.error.URLError) and not isinstance(
            exc, urllib.error.HTTPError)  # an HTTPError's str() carries the status code
        reason = exc.reason if plain_url_error else exc
        raise DataFileError(f"could not download data set {c.name!r} from {c.url}: "
                            f"{exc.__class__.__name__}: {reason}") from None
    finally:
        if tmp is not None:
            tmp.unlink(missing_ok=True)
    return dest


def load(name: str, data_dir: PathType | None = None, verify: bool = True,
         download: bool = False) -> pd.DataFrame:
    """Load data set ``name`` as a DataFrame with exactly the file's columns.

    Parameters are those of :func:`path`. Empty cells are NaN; SMILES are as shipped
    (not canonicalised; a few do not parse in RDKit, see the card's notes).

    Returns
    -------
    pandas.DataFrame
        ``card.n_rows`` rows x ``len(card.columns)`` columns.

    Raises
    ------
    DataFileError
        As :func:`path`, or if the file cannot be parsed or lacks the card's columns.
    """
    import pandas as pd

    c = card(name)
    file = path(name, data_dir=data_dir, verify=verify, download=download)
    try:
        frame = pd.read_csv(file, sep=c.sep)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, OSError,
            EOFError) as exc:
        raise DataFileError(f"cannot parse {file} as data set {c.name!r}: "
                            f"{exc.__class__.__name__}: {exc}") from None
    missing = [col for col in (c.smiles_column, *c.targets) if col not in frame.columns]
    if missing:
        raise DataFileError(f"{file} lacks column(s) {missing} of data set {c.name!r}")
    return frame


def load_xy(name: str, targets: list[str] | None = None, data_dir: PathType | None = None,
            verify: bool = True, download: bool = False) -> XYData:
    """Load SMILES and labels of data set ``name``, ready for ``fit(smiles, y)``.

    Rows whose SMILES RDKit cannot parse are kept: the estimators record them with a
    status instead of dropping them silently.

    Parameters
    ----------
    name : str
        Registered name.
    targets : list of str, optional
        Subset of ``card(name).targets``, in the order wanted; default all of them.
    data_dir, verify, download
        As in :func:`path`.

    Returns
    -------
    XYData
        ``(smiles, y, target_names)``: n SMILES, float64 ``y`` of shape n x t (NaN =
        missing label) and the t target names.

    Examples
    --------
    >>> smiles, y, names = load_xy("clintox")  # doctest: +SKIP
    >>> y.shape, names  # doctest: +SKIP
    ((1484, 2), ['FDA_APPROVED', 'CT_TOX'])
    """
    c = card(name)
    wanted = list(c.targets) if targets is None else list(targets)
    unknown = [t for t in wanted if t not in c.targets]
    if unknown or not wanted:
        raise DataFileError(f"data set {c.name!r} has targets {list(c.targets)}, not {unknown}")
    import pandas as pd

    frame = load(name, data_dir=data_dir, verify=verify, download=download)
    try:
        y = frame[wanted].apply(pd.to_numeric).to_numpy(dtype=np.float64)
    except (ValueError, TypeError) as exc:
        raise DataFileError(f"non-numeric labels in data set {c.name!r}: {exc}") from None
    smiles = [s if isinstance(s, str) else "" for s in frame[c.smiles_column].tolist()]
    return XYData(smiles, y, wanted)


def load_moleculeace(target: str, split: str | None = None, data_dir: PathType | None = None,
                     verify: bool = True) -> pd.DataFrame:
    """Load one MoleculeACE benchmark set with its shipped train/test split.

    Parameters
    ----------
    target : str
        ``"CHEMBL204_Ki"``, ``"moleculeace/CHEMBL204_Ki"`` or any case of these.
    split : {"train", "test"}, optional
        Only the rows of this split (index reset); default all rows.
    data_dir, verify
        As in :func:`path`.

    Returns
    -------
    pandas.DataFrame
        Columns ``smiles``, ``exp_mean [nM]``, ``y`` (= -log10(value in nM)),
        ``cliff_mol`` (0/1) and ``split`` ("train"/"test").
    """
    key = target if str(target).lower().startswith("moleculeace/") else f"moleculeace/{target}"
    c = card(key)
    if split not in (None, "train", "test"):
        raise ValueError(f"split must be None, 'train' or 'test', not {split!r}")
    frame = load(c.name, data_dir=data_dir, verify=verify)
    if split is not None:
        frame = frame[frame["split"] == split].reset_index(drop=True)
    return frame
