"""Named data sets with data cards, checksums and an offline-first loader.

Every data set molpred knows by name has a :class:`DatasetCard` (file, SMILES and target
columns, task type, units, row count, licence, origin, sha256, download URL) stored in
``datasets/registry.json``. Files are found, in order, in ``data_dir`` (or the directory
named by the environment variable ``MOLPRED_DATA_DIR``), then in the user cache
(``~/.cache/molpred``, or ``MOLPRED_CACHE_DIR``), then in ``../shared/data`` beside a source
checkout, at ``<dir>/<subdir>/<file>``, e.g. ``moleculenet/delaney-processed.csv``. The 30 MoleculeACE sets are bundled in
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

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from molpred.datasets import files
from molpred.datasets.cards import (
    ENV_CACHE_DIR,
    ENV_DATA_DIR,
    ENV_DATASETS_DIR,
    KINDS,
    DatasetCard,
    XYData,
    cache_dir,
    card,
    checkout_data_dir,
    data_dirs,
    datasets_dir,
    find_data_dir,
    list_datasets,
)
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
    "data_dirs",
    "find_data_dir",
    "checkout_data_dir",
    "ENV_DATA_DIR",
    "ENV_DATASETS_DIR",
    "ENV_CACHE_DIR",
]


def _search_dirs(c: DatasetCard, data_dir: PathType | None) -> list[tuple[str, Path]]:
    dirs: list[tuple[str, Path]] = []
    if data_dir is not None:
        dirs.append(("data_dir argument", Path(data_dir).expanduser()))
    if c.source == "bundled":
        return [*dirs, (f"bundled datasets/, {ENV_DATASETS_DIR}", datasets_dir())]
    if data_dir is not None:
        return [*dirs, ("cache", cache_dir())]
    return [*dirs, *data_dirs()]  # MOLPRED_DATA_DIR, the cache, ../shared/data beside a checkout


def path(name: str, data_dir: PathType | None = None, verify: bool = True,
         download: bool = False) -> Path:
    """Find the file of data set ``name``, check its sha256 and return its path.

    Parameters
    ----------
    name : str
        Registered name (see :func:`card` for the accepted spellings).
    data_dir : path-like, optional
        Directory holding ``<subdir>/<file>``; the user cache is searched after it. Without
        it: ``$MOLPRED_DATA_DIR``, then the cache, then ``../shared/data`` beside a source
        checkout (:func:`data_dirs`).
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
                files.verify(c, file)
            return file
        state = "" if root.is_dir() else ", directory does not exist"
        looked.append(f"{file} ({label}{state})")
    if download and c.url:
        return files.download(c)
    if c.source == "bundled":
        fix = (f"set {ENV_DATASETS_DIR} to the datasets/ folder of a molpred source checkout "
               f"or pass data_dir=")
    else:
        fix = (f"set {ENV_DATA_DIR} to the directory holding {c.subdir}/ (or pass data_dir=), "
               f"or pass download=True to fetch {c.url} into {cache_dir()}")
    raise DataFileError(f"data set {c.name!r} ({c.relpath}) not found; looked in: "
                        f"{'; '.join(looked)}. Fix: {fix}")


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
