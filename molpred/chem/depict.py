"""2D coordinates for pictures: RDKit's depictor with ring templates.

Bridged and caged ring systems (tropanes, cubanes, adamantanes) come out with crossing bonds
and overlapping atoms from the default layout and, less often, from CoordGen; RDKit's ring
templates (``Compute2DCoords(useRingTemplates=True)``) draw them as chemists do. Compared
side by side on the quickstart's out-of-domain hits (benchmarks/results/quickstart/README.md).
"""

from __future__ import annotations

from rdkit import Chem
from rdkit.Chem import rdDepictor

__all__ = ["depict"]


def depict(mol: Chem.Mol) -> Chem.Mol:
    """A copy of ``mol`` with 2D coordinates from ring templates (CoordGen if that fails).

    Parameters
    ----------
    mol : rdkit.Chem.Mol

    Returns
    -------
    rdkit.Chem.Mol
        Same atoms in the same order, one 2D conformer.
    """
    out = Chem.Mol(mol)
    out.RemoveAllConformers()
    try:
        rdDepictor.Compute2DCoords(out, useRingTemplates=True)
    except (RuntimeError, ValueError):  # pragma: no cover - a template the depictor rejects
        prefer = rdDepictor.GetPreferCoordGen()
        rdDepictor.SetPreferCoordGen(True)
        try:
            rdDepictor.Compute2DCoords(out)
        finally:
            rdDepictor.SetPreferCoordGen(prefer)
    return out
