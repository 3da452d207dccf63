"""Similarity-map pictures of attributions: valid PNG/SVG files, odd molecules, grids."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image
from rdkit import Chem

from molpred.explain.drawing import attribution_grid, draw_attribution, render_attribution

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def mol():
    return Chem.MolFromSmiles("CN1CCN(c2ccc(C(=O)Nc3ccccc3N)cc2)CC1")


def _weights(mol):
    return [1.0 if a.GetSymbol() == "N" else -0.2 for a in mol.GetAtoms()]


def test_png_and_svg_files(mol, tmp_path):
    png = draw_attribution(mol, _weights(mol), tmp_path / "sub" / "a.png", legend="pKi = 7.1")
    assert png.read_bytes().startswith(PNG_MAGIC)
    assert Image.open(png).size == (400, 380)
    svg = draw_attribution(mol, _weights(mol), tmp_path / "a.svg", fmt="svg", legend="pKi = 7.1")
    text = svg.read_text()
    assert "<svg" in text and text.rstrip().endswith("</svg>")


def test_colours_follow_the_sign(mol):
    """Orange appears where weights are positive and blue where negative."""
    def colour_counts(weights):
        png = render_attribution(mol, weights, "png", scale=False)  # the map alone, no colour scale
        img = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=int)
        r, b = img[..., 0], img[..., 2]
        return int(((r - b) > 60).sum()), int(((b - r) > 60).sum())

    n = mol.GetNumAtoms()
    # (atom labels add a little colour of their own: blue N, red O)
    orange, blue = colour_counts(np.ones(n))
    assert orange > 10 * blue
    orange, blue = colour_counts(-np.ones(n))
    assert blue > 10 * orange


def test_odd_molecules_draw(tmp_path):
    one_atom = Chem.MolFromSmiles("N")
    assert render_attribution(one_atom, [0.7], "png", legend="x").startswith(PNG_MAGIC)
    assert "<svg" in render_attribution(one_atom, [-0.7], "svg")
    ethane = Chem.MolFromSmiles("CC")
    assert render_attribution(ethane, [0.0, 0.0], "png").startswith(PNG_MAGIC)
    assert render_attribution(ethane, [np.nan, 1.0], "png").startswith(PNG_MAGIC)


def test_bad_arguments(mol):
    with pytest.raises(ValueError, match="one weight per atom"):
        render_attribution(mol, [1.0, 2.0])
    with pytest.raises(ValueError, match="one weight per atom"):
        render_attribution(None, [1.0])
    with pytest.raises(ValueError, match="image format"):
        render_attribution(mol, _weights(mol), fmt="jpg")


def test_grid_keeps_positions(mol):
    ethanol = Chem.MolFromSmiles("CCO")
    grid = attribution_grid(
        [mol, None, ethanol, ethanol, mol],
        [_weights(mol), None, [0.1, 0.2, -0.5], [1.0], _weights(mol)],  # 4th: wrong length -> blank
        ["a", "failed", "c", "d", "e"],
        mols_per_row=3, sub_size=(200, 180),
    )
    assert grid.size == (600, 360)
    pixels = np.asarray(grid.convert("L"))
    assert pixels[:, 200:400][:180].min() < 128  # the failed slot still shows its legend
    assert pixels[180:, 400:].min() == 255  # nothing after the last molecule
    with pytest.raises(ValueError):
        attribution_grid([mol], [], None)


def test_caption_is_plain_text_with_a_colour_scale(mol):
    """Issue 21: RDKit read captions as atom-label markup; now they are plain text, and the
    picture has a colour scale from minus to plus the largest absolute weight."""
    caption = ["#3 cpd_<7>", "pKi 7.1 [6.2, 8.0]", "Ki 79 nM [10 nM, 630 nM]", "in domain"]
    svg = render_attribution(mol, _weights(mol), "svg", legend=caption)
    for line in caption:
        escaped = line.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        assert f">{escaped}</text>" in svg  # one text element per line, verbatim
    assert "linearGradient" in svg and ">-1 lowers</text>" in svg and ">+1 raises</text>" in svg
    img = np.asarray(Image.open(io.BytesIO(render_attribution(mol, _weights(mol), "png", legend=caption))).convert("RGB"),
                     dtype=int)
    assert img.shape[:2] == (380, 400)
    bar = img[-40:, 80:320]  # the scale: blue at its left end, orange at its right end
    left, right = bar[:, :20].reshape(-1, 3), bar[:, -20:].reshape(-1, 3)
    assert ((left[:, 2] - left[:, 0]) > 60).any() and ((right[:, 0] - right[:, 2]) > 60).any()
