"""Pictures of atom attributions: RDKit similarity maps as PNG or SVG, and grids of them.

Atoms that raise the prediction are drawn orange, atoms that lower it blue (a colour pair
that stays distinct for colour-blind readers); white is zero. Each picture is scaled to its own
largest absolute weight, so colours compare atoms within a molecule, not across molecules.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from molpred.types import PathType

__all__ = ["draw_attribution", "render_attribution", "attribution_grid", "RAISES_COLOUR", "LOWERS_COLOUR", "FORMATS"]

FORMATS = ("png", "svg")
RAISES_COLOUR = (0.90, 0.45, 0.05)  # orange: atom raises the prediction
LOWERS_COLOUR = (0.15, 0.45, 0.80)  # blue: atom lowers the prediction
_ZERO_COLOUR = (1.0, 1.0, 1.0)
_LEGEND_HEIGHT = 36


def _check_format(fmt: str) -> str:
    fmt = str(fmt).lower().lstrip(".")
    if fmt not in FORMATS:
        raise ValueError(f"unknown image format {fmt!r}; use one of {FORMATS}")
    return fmt


def _drawer(fmt: str, size: tuple[int, int], legend: bool):
    from rdkit.Chem.Draw import rdMolDraw2D

    width, height = int(size[0]), int(size[1])
    cls = rdMolDraw2D.MolDraw2DCairo if fmt == "png" else rdMolDraw2D.MolDraw2DSVG
    # the map goes into a panel above a strip reserved for the legend text
    d2d = cls(width, height, width, max(50, height - _LEGEND_HEIGHT)) if legend else cls(width, height)
    d2d.drawOptions().fixedBondLength = max(width, height) / 10  # small molecules stay small
    return d2d


def _draw_plain(d2d, mol, weights: np.ndarray) -> None:
    """Fallback for molecules a similarity map cannot show (one atom): coloured atom circles."""
    from rdkit.Chem.Draw import rdMolDraw2D

    mol = rdMolDraw2D.PrepareMolForDrawing(mol, addChiralHs=False)
    top = float(np.max(np.abs(weights))) if len(weights) else 0.0
    colours = {}
    for i, w in enumerate(weights):
        if top > 0 and w != 0:
            base = RAISES_COLOUR if w > 0 else LOWERS_COLOUR
            f = abs(float(w)) / top
            colours[i] = tuple(1.0 - f * (1.0 - c) for c in base)
    d2d.DrawMolecule(mol, highlightAtoms=list(colours), highlightAtomColors=colours, highlightBonds=[])


def render_attribution(
    mol,
    weights: Sequence[float],
    fmt: str = "png",
    legend: str = "",
    size: tuple[int, int] = (400, 380),
    contour_lines: int = 10,
) -> bytes | str:
    """Draw a similarity map of ``weights`` on ``mol`` and return the image.

    Parameters
    ----------
    mol : rdkit.Chem.Mol
        The (standardised) molecule the weights belong to.
    weights : sequence of float
        ``n_atoms`` attributions; positive raises the prediction (orange), negative lowers it
        (blue).
    fmt : {"png", "svg"}
    legend : str
        Text under the molecule (e.g. the prediction); empty for none.
    size : (int, int)
        Width and height in pixels, legend strip included.
    contour_lines : int
        Number of contour lines of the map.

    Returns
    -------
    bytes or str
        PNG bytes for ``"png"``, SVG text for ``"svg"``.

    Raises
    ------
    ValueError
        ``len(weights)`` differs from the number of atoms, or an unknown format.
    """
    from rdkit import Geometry
    from rdkit.Chem.Draw import SimilarityMaps

    fmt = _check_format(fmt)
    w = np.asarray(weights, dtype=np.float64).ravel()
    if mol is None or len(w) != mol.GetNumAtoms():
        n = None if mol is None else mol.GetNumAtoms()
        raise ValueError(f"need one weight per atom: {len(w)} weights for {n} atoms")
    w = np.nan_to_num(w, nan=0.0, posinf=0.0, neginf=0.0)
    d2d = _drawer(fmt, size, bool(legend))
    if mol.GetNumAtoms() >= 2:
        SimilarityMaps.GetSimilarityMapFromWeights(
            mol, [float(v) for v in w], draw2d=d2d,
            colorMap=[LOWERS_COLOUR, _ZERO_COLOUR, RAISES_COLOUR], contourLines=contour_lines,
        )
    else:
        _draw_plain(d2d, mol, w)
    if legend:
        d2d.SetFontSize(15)
        d2d.DrawString(str(legend), Geometry.Point2D(size[0] / 2, size[1] - _LEGEND_HEIGHT / 2), rawCoords=True)
    d2d.FinishDrawing()
    return d2d.GetDrawingText()


def draw_attribution(
    mol,
    weights: Sequence[float],
    path: PathType,
    fmt: str = "png",
    legend: str = "",
    size: tuple[int, int] = (400, 380),
) -> Path:
    """Write the attribution picture of one molecule to ``path``.

    Parameters
    ----------
    mol : rdkit.Chem.Mol
    weights : sequence of float
        ``n_atoms`` attributions.
    path : str or Path
        Output file (parent directories are created).
    fmt : {"png", "svg"}
    legend : str
    size : (int, int)

    Returns
    -------
    Path
        The written file.
    """
    image = render_attribution(mol, weights, fmt, legend, size)
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(image, str):
        p.write_text(image, encoding="utf-8")
    else:
        p.write_bytes(image)
    return p


def _blank_panel(size: tuple[int, int], text: str):
    from PIL import Image, ImageDraw, ImageFont

    img = Image.new("RGB", size, "white")
    if text:
        try:
            font = ImageFont.load_default(size=14)
        except TypeError:  # Pillow < 10.1 has one bitmap size
            font = ImageFont.load_default()
        ImageDraw.Draw(img).text((size[0] / 2, size[1] - _LEGEND_HEIGHT / 2), text, fill="black",
                                 font=font, anchor="mm")
    return img


def attribution_grid(
    mols: Sequence,
    weights_list: Sequence[Sequence[float] | None],
    legends: Sequence[str] | None = None,
    mols_per_row: int = 4,
    sub_size: tuple[int, int] = (300, 290),
):
    """A grid of attribution pictures (e.g. the top hits of a screen).

    Parameters
    ----------
    mols : sequence of rdkit.Chem.Mol or None
    weights_list : sequence of (sequence of float or None)
        Per molecule ``n_atoms`` attributions; ``None`` (or a ``None`` molecule) draws a blank
        panel with the legend, so positions stay aligned with the inputs.
    legends : sequence of str, optional
    mols_per_row : int
    sub_size : (int, int)
        Size of one panel in pixels.

    Returns
    -------
    PIL.Image.Image
        RGB image; ``.save("grid.png")`` writes it.
    """
    from PIL import Image

    if len(mols) != len(weights_list):
        raise ValueError(f"{len(mols)} molecules but {len(weights_list)} weight vectors")
    legends = list(legends) if legends is not None else [""] * len(mols)
    if len(legends) != len(mols):
        raise ValueError(f"{len(mols)} molecules but {len(legends)} legends")
    per_row = max(1, int(mols_per_row))
    n_rows = max(1, -(-len(mols) // per_row))
    width, height = int(sub_size[0]), int(sub_size[1])
    grid = Image.new("RGB", (per_row * width if len(mols) >= per_row else max(1, len(mols)) * width,
                             n_rows * height), "white")
    for i, (mol, w, text) in enumerate(zip(mols, weights_list, legends)):
        try:
            png = render_attribution(mol, w, "png", text, (width, height)) if mol is not None and w is not None else None
        except ValueError:  # weights that do not fit the molecule: keep the slot, show the legend
            png = None
        panel = Image.open(io.BytesIO(png)).convert("RGB") if png is not None else _blank_panel((width, height), text)
        grid.paste(panel, ((i % per_row) * width, (i // per_row) * height))
    return grid
