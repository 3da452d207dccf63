"""Explanation tables and images for a list or a file of molecules (behind ``molpred explain``).

Output layout of :func:`explain_file` (``row`` is the 1-based position of the input row, header
not counted)::

    DIR/mol_00001.png      # one picture per explained row (and/or .svg)
    DIR/molecules.csv      # one row per input row: prediction, status, error, image paths
    DIR/atom_scores.csv    # one row per atom of every explained molecule
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from molpred.explain.attribution import AtomAttribution, atom_attributions
from molpred.types import PathType

__all__ = ["ExplanationResult", "explain_frame", "explain_file", "image_formats", "IMAGE_CHOICES"]

IMAGE_CHOICES = ("png", "svg", "both", "none")
MOLECULE_COLUMNS = ["row", "smiles", "smiles_std", "target", "prediction", "prediction_lo", "prediction_hi",
                    "in_domain", "baseline_prediction", "attribution_sum", "top_atoms", "status", "error",
                    "image_png", "image_svg"]
ID_NAMES = ("id", "name", "compound_id", "compound", "compound_name", "mol_id", "molecule_id", "title",
            "chembl_id", "molecule_chembl_id", "cid", "cas", "zinc_id", "identifier")
"""Input columns carried into ``molecules.csv`` by default (case-insensitive)."""
ATOM_COLUMNS = ["row", "smiles", "smiles_std", "atom_index", "element", "score"]


@dataclass
class ExplanationResult:
    """What :func:`explain_frame` produced.

    Attributes
    ----------
    molecules : pandas.DataFrame
        One row per input, input order; columns ``row`` (1-based), ``smiles`` (input),
        ``smiles_std``, ``target``, ``prediction``, ``baseline_prediction``,
        ``attribution_sum``, ``top_atoms`` (the three highest-scoring atoms as ``N3;O7;C1``),
        ``status``, ``error``, ``image_png``, ``image_svg`` (file names relative to the image
        directory, empty when not written).
    atoms : pandas.DataFrame
        One row per atom of each explained molecule: ``row``, ``smiles``, ``smiles_std``,
        ``atom_index`` (index in ``Chem.MolFromSmiles(smiles_std)``), ``element``, ``score``
        (target units; positive raises the prediction).
    attributions : list of AtomAttribution
        The raw per-row results (molecules and weight vectors, for further drawing).
    """

    molecules: pd.DataFrame
    atoms: pd.DataFrame
    attributions: list[AtomAttribution]


def image_formats(fmt: str) -> tuple[str, ...]:
    """``"png" | "svg" | "both" | "none"`` -> the formats to write."""
    fmt = str(fmt).lower()
    if fmt not in IMAGE_CHOICES:
        raise ValueError(f"unknown image format {fmt!r}; use one of {IMAGE_CHOICES}")
    return {"both": ("png", "svg"), "none": ()}.get(fmt, (fmt,))


def _legend(a: AtomAttribution, task: str, name: str = "", lo=None, hi=None, in_domain=None) -> list[str]:
    """Plain-text caption lines: row and name, prediction (+ interval, nM), domain flag."""
    from molpred.labels import prediction_lines

    head = f"#{a.row + 1} {name[:40]}".rstrip()
    return [head, *prediction_lines(a.target, a.prediction, lo, hi, in_domain, task)]


def _context(estimator, smiles: list, target: str) -> dict:
    """Per input row: interval bounds and domain flag from ``predict_frame`` (NaN/None if absent)."""
    frame = estimator.predict_frame(smiles)
    n = len(smiles)

    def col(name, default):
        return frame[name].tolist() if name in frame else [default] * n

    dom = [None if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA else bool(v)
           for v in col("in_domain", None)]
    return {"lo": col(f"{target}_lo", np.nan), "hi": col(f"{target}_hi", np.nan), "in_domain": dom}


def guess_id_columns(frame: pd.DataFrame) -> list[str]:
    """Columns of ``frame`` that name or identify the molecule (:data:`ID_NAMES`)."""
    return [c for c in frame.columns if str(c).strip().lower() in ID_NAMES]


def _top_atoms(a: AtomAttribution, k: int = 3) -> str:
    order = np.argsort(-a.weights, kind="stable")[:k]
    return ";".join(f"{a.mol.GetAtomWithIdx(int(i)).GetSymbol()}{int(i)}" for i in order)


def explain_frame(
    estimator,
    smiles: Sequence[str],
    target: str | int | None = None,
    image_dir: PathType | None = None,
    fmt: str = "png",
    n_steps: int = 50,
    size: tuple[int, int] = (400, 380),
    names: Sequence[str] | None = None,
) -> ExplanationResult:
    """Attributions, tables and (optionally) pictures for a list of SMILES.

    Parameters
    ----------
    estimator : fitted MolPropertyRegressor or MolPropertyClassifier
    smiles : sequence of str
    target : str or int, optional
        Required for multi-target models.
    image_dir : str or Path, optional
        Where to write ``mol_00001.png`` etc.; no pictures when ``None``.
    fmt : {"png", "svg", "both", "none"}
    n_steps : int
        Integrated-gradients quadrature points.
    size : (int, int)
        Picture size in pixels.
    names : sequence of str, optional
        An id or name per input, shown in each picture's caption.

    Returns
    -------
    ExplanationResult
        Never drops a row: invalid molecules keep their row with a status and no picture;
        a picture that fails to draw leaves ``status="ok"`` and a reason in ``error``.
    """
    from molpred.explain.drawing import draw_attribution

    formats = image_formats(fmt) if image_dir is not None else ()
    smiles = list(smiles)
    results = atom_attributions(estimator, smiles, target=target, n_steps=n_steps)
    names = ["" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v) for v in names] \
        if names is not None else [""] * len(smiles)
    ctx = _context(estimator, smiles, results[0].target) if results and any(a.ok for a in results) else None
    out_dir = Path(image_dir) if image_dir is not None else None
    if out_dir is not None and formats:
        out_dir.mkdir(parents=True, exist_ok=True)
    mol_rows, atom_rows = [], []
    for a in results:
        row = a.row + 1
        entry = {"row": row, "smiles": a.smiles, "smiles_std": a.smiles_std, "target": a.target,
                 "prediction": a.prediction,
                 "prediction_lo": ctx["lo"][a.row] if ctx else np.nan,
                 "prediction_hi": ctx["hi"][a.row] if ctx else np.nan,
                 "in_domain": ctx["in_domain"][a.row] if ctx else None,
                 "baseline_prediction": a.baseline_prediction,
                 "attribution_sum": np.nan, "top_atoms": "", "status": a.status, "error": a.error,
                 "image_png": "", "image_svg": ""}
        if a.ok:
            entry["attribution_sum"] = float(a.weights.sum())
            entry["top_atoms"] = _top_atoms(a)
            for i, atom in enumerate(a.mol.GetAtoms()):
                atom_rows.append((row, a.smiles, a.smiles_std, i, atom.GetSymbol(), float(a.weights[i])))
            for f in formats:
                name = f"mol_{row:05d}.{f}"
                try:
                    draw_attribution(a.mol, a.weights, out_dir / name, fmt=f,
                                     legend=_legend(a, estimator._task, names[a.row], entry["prediction_lo"],
                                                    entry["prediction_hi"], entry["in_domain"]), size=size)
                    entry[f"image_{f}"] = name
                except (ValueError, RuntimeError) as exc:  # one picture must not stop the batch
                    entry["error"] = f"{f} image failed: {str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__}"
        mol_rows.append(entry)
    molecules = pd.DataFrame(mol_rows, columns=MOLECULE_COLUMNS)
    atoms = pd.DataFrame(atom_rows, columns=ATOM_COLUMNS)
    return ExplanationResult(molecules, atoms, results)


def explain_file(
    estimator,
    input_path: PathType,
    out_dir: PathType,
    smiles_col: str | None = None,
    target: str | int | None = None,
    fmt: str = "png",
    max_rows: int | None = None,
    n_steps: int = 50,
    id_cols: Sequence[str] | None = None,
) -> ExplanationResult:
    """Explain the molecules of a table and write pictures plus two CSV tables to ``out_dir``.

    Parameters
    ----------
    estimator : fitted estimator
    input_path : str or Path
        CSV/TSV/SMI/SDF/Parquet (see :func:`molpred.data.tables.read_table`).
    out_dir : str or Path
        Created if needed; receives ``mol_NNNNN.<fmt>``, ``molecules.csv``, ``atom_scores.csv``.
    smiles_col : str, optional
        SMILES column (guessed when omitted).
    target : str or int, optional
    fmt : {"png", "svg", "both", "none"}
    max_rows : int, optional
        Explain only the first ``max_rows`` rows of the file (the tables then cover those rows).
    n_steps : int
    id_cols : sequence of str, optional
        Input columns carried into ``molecules.csv`` (first, in input order) and, the first
        of them, into the pictures' captions; default: columns named like an id or name
        (:data:`ID_NAMES`).

    Returns
    -------
    ExplanationResult

    Raises
    ------
    DataFileError
        Unreadable file or missing column.
    ValueError
        Unknown target or format, or ``max_rows < 1``.
    """
    from molpred.data.tables import read_table, resolve_column, write_table

    image_formats(fmt)  # fail before any work
    if max_rows is not None and int(max_rows) < 1:
        raise ValueError(f"max_rows must be >= 1, got {max_rows}")
    frame = read_table(input_path)
    col = resolve_column(frame, smiles_col, input_path)
    values = frame[col].head(int(max_rows)) if max_rows is not None else frame[col]
    smiles = ["" if (v is None or (isinstance(v, float) and np.isnan(v))) else str(v) for v in values.tolist()]
    ids = [resolve_column(frame, c, input_path, role="id column") for c in id_cols] if id_cols \
        else guess_id_columns(frame)
    ids = [c for c in ids if c != col]
    carried = frame[ids].head(len(smiles)).reset_index(drop=True)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    names = carried[ids[0]].tolist() if ids else None
    result = explain_frame(estimator, smiles, target=target, image_dir=out, fmt=fmt, n_steps=n_steps, names=names)
    if ids:
        clash = {c: f"input_{c}" for c in ids if c in result.molecules.columns}
        result.molecules = pd.concat([carried.rename(columns=clash), result.molecules], axis=1)
    write_table(result.molecules, out / "molecules.csv")
    write_table(result.atoms, out / "atom_scores.csv")
    return result
