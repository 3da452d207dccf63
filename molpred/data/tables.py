"""Read and write molecule tables: CSV, TSV, SMILES (.smi), SDF, Parquet, gzip variants.

The format is chosen by file extension. Every reader returns a DataFrame with the file's
rows in file order; failures are :class:`molpred.exceptions.DataFileError` with one line
that says what is wrong.
"""

from __future__ import annotations

import difflib
import gzip
from pathlib import Path

import pandas as pd

from molpred.exceptions import DataFileError
from molpred.types import PathType

__all__ = ["detect_format", "read_table", "write_table", "resolve_column", "READ_FORMATS", "WRITE_FORMATS"]

READ_FORMATS = ("csv", "tsv", "smi", "sdf", "parquet")
WRITE_FORMATS = ("csv", "parquet")
_EXT = {".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".txt": "tsv", ".smi": "smi", ".smiles": "smi",
        ".sdf": "sdf", ".sd": "sdf", ".mol": "sdf", ".parquet": "parquet", ".pq": "parquet"}


def detect_format(path: PathType) -> tuple[str, bool]:
    """Return ``(format, gzipped)`` from the file name, e.g. ``lib.smi.gz -> ("smi", True)``."""
    p = Path(path)
    suffixes = [s.lower() for s in p.suffixes]
    gz = bool(suffixes) and suffixes[-1] in (".gz", ".gzip")
    if gz:
        suffixes = suffixes[:-1]
    ext = suffixes[-1] if suffixes else ""
    if ext not in _EXT:
        raise DataFileError(
            f"{p.name}: unknown file type {ext or '(none)'!r}; use one of "
            ".csv .tsv .smi .sdf .parquet (optionally .gz)"
        )
    return _EXT[ext], gz


def _check_exists(p: Path) -> None:
    if not p.exists():
        raise DataFileError(f"{p}: no such file")
    if p.is_dir():
        raise DataFileError(f"{p}: is a directory, expected a file")
    if p.stat().st_size == 0:
        raise DataFileError(f"{p}: file is empty")


def _read_smi(p: Path, gz: bool) -> pd.DataFrame:
    """SMILES file: first token is the SMILES, the rest of the line a name.

    Every line is a row, as in the screening reader (:mod:`molpred.screen.reader`): a blank
    line is a row with an empty SMILES (status ``empty`` downstream), so output row ``i`` is
    input line ``i``. Only a first line whose first token is ``smiles``/``smi`` is a header.
    """
    opener = gzip.open if gz else open
    smiles, names = [], []
    with opener(p, "rt", encoding="utf-8-sig", errors="replace") as fh:
        for line in fh:
            parts = line.rstrip("\r\n").split(None, 1)
            smiles.append(parts[0] if parts else "")
            names.append(parts[1].strip() if len(parts) > 1 else "")
    if smiles and smiles[0].lower() in ("smiles", "smi"):
        smiles, names = smiles[1:], names[1:]
    frame = pd.DataFrame({"smiles": smiles})
    if any(names):
        frame["name"] = names
    return frame


def _read_sdf(p: Path, gz: bool) -> pd.DataFrame:
    """SDF: one row per record with its SMILES (empty when RDKit cannot read it) and properties."""
    from rdkit import Chem

    opener = gzip.open if gz else open
    rows = []
    with opener(p, "rb") as fh:
        for mol in Chem.ForwardSDMolSupplier(fh, sanitize=True, removeHs=True):
            if mol is None:
                rows.append({"smiles": ""})
                continue
            row = {"smiles": Chem.MolToSmiles(mol)}
            if mol.HasProp("_Name"):
                row["name"] = mol.GetProp("_Name")
            row.update(mol.GetPropsAsDict(includePrivate=False, includeComputed=False))
            rows.append(row)
    return pd.DataFrame(rows)


def read_table(path: PathType) -> pd.DataFrame:
    """Read a molecule table.

    Parameters
    ----------
    path : str or Path
        ``.csv``, ``.tsv``/``.tab``, ``.smi``, ``.sdf``, ``.parquet``, each optionally ``.gz``.

    Returns
    -------
    pandas.DataFrame
        One row per record, file order. SMILES files give columns ``smiles`` (+ ``name``);
        SDF files ``smiles``, ``name`` and the SD properties.

    Raises
    ------
    DataFileError
        Missing, empty, unreadable or unknown-format file.
    """
    p = Path(path)
    fmt, gz = detect_format(p)
    _check_exists(p)
    try:
        # skip_blank_lines=False: a blank line is a row (all missing), never silently dropped
        if fmt == "csv":
            frame = pd.read_csv(p, compression="gzip" if gz else None, skip_blank_lines=False)
        elif fmt == "tsv":
            frame = pd.read_csv(p, sep="\t", compression="gzip" if gz else None, skip_blank_lines=False)
        elif fmt == "smi":
            frame = _read_smi(p, gz)
        elif fmt == "sdf":
            frame = _read_sdf(p, gz)
        else:
            frame = pd.read_parquet(p)
    except pd.errors.EmptyDataError as exc:
        raise DataFileError(f"{p}: file has no rows or header") from exc
    except (pd.errors.ParserError, UnicodeDecodeError, OSError, EOFError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataFileError(f"{p}: cannot read as {fmt}{' (gzip)' if gz else ''}: {first}") from exc
    if len(frame) == 0:
        raise DataFileError(f"{p}: file has a header but no rows")
    return frame


def resolve_column(frame: pd.DataFrame, name: str | None, path: PathType = "", role: str = "column") -> str:
    """Return the column to use, or raise a DataFileError that lists the columns and guesses.

    ``name=None`` picks a SMILES-like column (``smiles``, ``SMILES``, ``Drug``, ``canonical_smiles``).
    """
    cols = [str(c) for c in frame.columns]
    where = f"{path}: " if path else ""
    if name is None:
        for cand in ("smiles", "SMILES", "Smiles", "canonical_smiles", "Drug", "mol", "smi"):
            if cand in cols:
                return cand
        raise DataFileError(f"{where}no SMILES column found among {cols[:10]}; pass --smiles-col")
    if name in cols:
        return name
    hint = ""
    close = difflib.get_close_matches(name, cols, n=1)
    if len(cols) == 1 and any(d in cols[0] for d in (",", "\t", ";", "|")):
        hint = "; the file seems to use a different delimiter than its extension says"
    elif close:
        hint = f"; did you mean {close[0]!r}?"
    raise DataFileError(f"{where}{role} {name!r} not found (columns: {cols[:10]}){hint}")


def write_table(frame: pd.DataFrame, path: PathType) -> Path:
    """Write ``frame`` as CSV or Parquet (by extension, ``.csv.gz`` allowed); returns the path."""
    p = Path(path)
    fmt, gz = detect_format(p)
    if fmt not in WRITE_FORMATS:
        raise DataFileError(f"{p.name}: can write only .csv or .parquet, not .{fmt}")
    p.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "csv":
        frame.to_csv(p, index=False, compression="gzip" if gz else None)
    else:
        frame.to_parquet(p, index=False)
    return p
