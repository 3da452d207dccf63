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
_LEGEND_HEIGHT = 36  # legend strip of a blank grid panel
_LINE_HEIGHT = 17  # one legend line under a map
_SCALE_HEIGHT = 30  # colour scale and its labels


def _check_format(fmt: str) -> str:
    fmt = str(fmt).lower().lstrip(".")
    if fmt not in FORMATS:
        raise ValueError(f"unknown image format {fmt!r}; use one of {FORMATS}")
    return fmt


def _drawer(fmt: str, size: tuple[int, int]):
    from rdkit.Chem.Draw import rdMolDraw2D

    width, height = int(size[0]), int(size[1])
    cls = rdMolDraw2D.MolDraw2DCairo if fmt == "png" else rdMolDraw2D.MolDraw2DSVG
    d2d = cls(width, height)
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


def _legend_lines(legend) -> list[str]:
    if not legend:
        return []
    lines = legend if isinstance(legend, (list, tuple)) else str(legend).split("\n")
    return [str(line) for line in lines if str(line).strip()]


def _strip_height(n_lines: int, scale: bool) -> int:
    """Pixels under the map: one text line each, plus the colour scale with its labels."""
    return (_LINE_HEIGHT * n_lines + (_SCALE_HEIGHT if scale else 0) + (6 if n_lines or scale else 0))


def _scale_labels(top: float) -> tuple[str, str, str]:
    t = f"{top:.2g}" if top > 0 else "0"
    return f"-{t} lowers", "0", f"+{t} raises"


def _colour(f: float) -> tuple[int, int, int]:
    """Colour of the map at ``f`` in [-1, 1] (blue - white - orange, as the similarity map)."""
    base = RAISES_COLOUR if f > 0 else LOWERS_COLOUR
    a = min(abs(f), 1.0)
    return tuple(int(round(255 * (1.0 - a * (1.0 - c)))) for c in base)


def _png_with_strip(map_png: bytes, size: tuple[int, int], lines: list[str], top: float | None) -> bytes:
    """The map with plain text lines and (``top`` given) a colour scale drawn under it by PIL."""
    from PIL import Image, ImageDraw

    width, height = int(size[0]), int(size[1])
    img = Image.new("RGB", (width, height), "white")
    panel = Image.open(io.BytesIO(map_png)).convert("RGB")
    img.paste(panel, (0, 0))
    draw = ImageDraw.Draw(img)
    font = _font(13)
    y = panel.size[1] + 3
    for line in lines:
        draw.text((width / 2, y + _LINE_HEIGHT / 2), line, fill="black", font=font, anchor="mm")
        y += _LINE_HEIGHT
    if top is not None:
        bar_w, x0 = int(width * 0.6), int(width * 0.2)
        for k in range(bar_w):
            draw.line([(x0 + k, y + 3), (x0 + k, y + 12)], fill=_colour(2.0 * k / max(bar_w - 1, 1) - 1.0))
        draw.rectangle([x0, y + 3, x0 + bar_w - 1, y + 12], outline=(120, 120, 120))
        small = _font(11)
        left, mid, right = _scale_labels(top)
        draw.text((x0, y + 15), left, fill="black", font=small, anchor="lt")
        draw.text((width / 2, y + 15), mid, fill="black", font=small, anchor="mt")
        draw.text((x0 + bar_w, y + 15), right, fill="black", font=small, anchor="rt")
    out = io.BytesIO()
    img.save(out, format="PNG")
    return out.getvalue()


def _svg_with_strip(map_svg: str, size: tuple[int, int], panel_h: int, lines: list[str], top: float | None) -> str:
    """The map SVG nested in a taller SVG with plain (escaped) text lines and a colour scale."""
    from xml.sax.saxutils import escape

    width, height = int(size[0]), int(size[1])
    inner = map_svg[map_svg.index("<svg"):]  # drop the XML declaration
    parts = [f"<?xml version='1.0' encoding='utf-8'?>\n<svg xmlns='http://www.w3.org/2000/svg' "
             f"xmlns:xlink='http://www.w3.org/1999/xlink' width='{width}px' height='{height}px' "
             f"viewBox='0 0 {width} {height}'>",
             f"<rect x='0' y='0' width='{width}' height='{height}' fill='white'/>", inner]
    y = panel_h + 3
    for line in lines:
        parts.append(f"<text x='{width / 2}' y='{y + _LINE_HEIGHT / 2 + 4}' font-family='sans-serif' "
                     f"font-size='13' text-anchor='middle'>{escape(line)}</text>")
        y += _LINE_HEIGHT
    if top is not None:
        bar_w, x0 = int(width * 0.6), int(width * 0.2)
        hexes = ["#{:02x}{:02x}{:02x}".format(*_colour(f)) for f in (-1.0, 0.0, 1.0)]
        parts.append("<defs><linearGradient id='attribution-scale'>"
                     f"<stop offset='0' stop-color='{hexes[0]}'/><stop offset='0.5' stop-color='{hexes[1]}'/>"
                     f"<stop offset='1' stop-color='{hexes[2]}'/></linearGradient></defs>")
        parts.append(f"<rect x='{x0}' y='{y + 3}' width='{bar_w}' height='10' fill='url(#attribution-scale)' "
                     "stroke='#787878'/>")
        for x, anchor, text in zip((x0, width / 2, x0 + bar_w), ("start", "middle", "end"), _scale_labels(top)):
            parts.append(f"<text x='{x}' y='{y + 25}' font-family='sans-serif' font-size='11' "
                         f"text-anchor='{anchor}'>{escape(text)}</text>")
    parts.append("</svg>\n")
    return "\n".join(parts)


def _font(size: int):
    from PIL import ImageFont

    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1 has one bitmap size
        return ImageFont.load_default()


def render_attribution(
    mol,
    weights: Sequence[float],
    fmt: str = "png",
    legend: str | Sequence[str] = "",
    size: tuple[int, int] = (400, 380),
    contour_lines: int = 10,
    scale: bool = True,
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
    legend : str or sequence of str
        Plain text under the molecule, one line per item (or per ``"\\n"``); never read as
        RDKit atom-label markup.
    size : (int, int)
        Width and height in pixels, legend strip included.
    contour_lines : int
        Number of contour lines of the map.
    scale : bool
        Draw the colour scale: blue to white to orange, from minus to plus the largest
        absolute weight (target units), the range the map's colours span.

    Returns
    -------
    bytes or str
        PNG bytes for ``"png"``, SVG text for ``"svg"``.

    Raises
    ------
    ValueError
        ``len(weights)`` differs from the number of atoms, or an unknown format.
    """
    from rdkit.Chem.Draw import SimilarityMaps

    fmt = _check_format(fmt)
    w = np.asarray(weights, dtype=np.float64).ravel()
    if mol is None or len(w) != mol.GetNumAtoms():
        n = None if mol is None else mol.GetNumAtoms()
        raise ValueError(f"need one weight per atom: {len(w)} weights for {n} atoms")
    w = np.nan_to_num(w, nan=0.0, posinf=0.0, neginf=0.0)
    lines = _legend_lines(legend)
    width, height = int(size[0]), int(size[1])
    panel_h = max(50, height - _strip_height(len(lines), scale))
    d2d = _drawer(fmt, (width, panel_h))
    if mol.GetNumConformers() == 0:  # lay out bridged ring systems without crossing bonds
        from molpred.chem.depict import depict

        mol = depict(mol)
    if mol.GetNumAtoms() >= 2:
        SimilarityMaps.GetSimilarityMapFromWeights(
            mol, [float(v) for v in w], draw2d=d2d,
            colorMap=[LOWERS_COLOUR, _ZERO_COLOUR, RAISES_COLOUR], contourLines=contour_lines,
        )
    else:
        _draw_plain(d2d, mol, w)
    d2d.FinishDrawing()
    image = d2d.GetDrawingText()
    if not lines and not scale:
        return image
    top = float(np.max(np.abs(w))) if scale else None
    if fmt == "png":
        return _png_with_strip(image, (width, height), lines, top)
    return _svg_with_strip(image, (width, height), panel_h, lines, top)


def draw_attribution(
    mol,
    weights: Sequence[float],
    path: PathType,
    fmt: str = "png",
    legend: str | Sequence[str] = "",
    size: tuple[int, int] = (400, 380),
    scale: bool = True,
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
    legend : str or sequence of str
        Plain-text lines under the molecule.
    size : (int, int)
    scale : bool
        Draw the colour scale.

    Returns
    -------
    Path
        The written file.
    """
    image = render_attribution(mol, weights, fmt, legend, size, scale=scale)
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
