"""Morgan (ECFP) fingerprints as packed numpy arrays and fast Tanimoto similarity."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from rdkit import Chem, DataStructs
from rdkit.Chem import rdFingerprintGenerator

__all__ = ["morgan_fingerprints", "morgan_bitvects", "count_fingerprints", "COUNT_FINGERPRINTS", "tanimoto_matrix",
           "bulk_tanimoto_max"]

_GENERATORS: dict[tuple[int, int], object] = {}


def _generator(radius: int, n_bits: int):
    key = (radius, n_bits)
    if key not in _GENERATORS:
        _GENERATORS[key] = rdFingerprintGenerator.GetMorganGenerator(radius=radius, fpSize=n_bits)
    return _GENERATORS[key]


def morgan_bitvects(mols: Sequence[Chem.Mol], radius: int = 2, n_bits: int = 2048) -> list:
    """RDKit ExplicitBitVect fingerprints (ECFP4 with ``radius=2``)."""
    gen = _generator(radius, n_bits)
    return [gen.GetFingerprint(m) for m in mols]


def morgan_fingerprints(
    mols: Sequence[Chem.Mol], radius: int = 2, n_bits: int = 2048, counts: bool = False
) -> np.ndarray:
    """Binary (or count) Morgan fingerprints.

    Parameters
    ----------
    mols : sequence of rdkit.Chem.Mol
        Valid molecules (``None`` is not allowed).
    radius : int
        Morgan radius; 2 gives ECFP4.
    n_bits : int
        Folded length.
    counts : bool
        Count fingerprints instead of bits.

    Returns
    -------
    numpy.ndarray
        ``n_mols x n_bits``, ``uint8``.
    """
    return _as_uint8(_generator(radius, n_bits), mols, n_bits, counts)


def _as_uint8(gen, mols: Sequence[Chem.Mol], n_bits: int, counts: bool) -> np.ndarray:
    """``n_mols x n_bits`` uint8 from an RDKit fingerprint generator (counts capped at 255)."""
    out = np.empty((len(mols), n_bits), dtype=np.uint8)
    for i, m in enumerate(mols):
        if counts:
            out[i] = np.minimum(gen.GetCountFingerprintAsNumPy(m), 255)
        else:
            out[i] = gen.GetFingerprintAsNumPy(m)  # uint8 0/1 already
    return out


COUNT_FINGERPRINTS = ("ecfp4", "atompair", "torsion")
"""Kinds of :func:`count_fingerprints`: Morgan radius 2, RDKit atom pairs (distances 1-30, its
default), RDKit topological torsions (paths of 4 atoms)."""

_COUNT_GENERATORS: dict[tuple[str, int], object] = {}


def _count_generator(kind: str, n_bits: int):
    key = (kind, n_bits)
    if key not in _COUNT_GENERATORS:
        make = {"ecfp4": lambda: _generator(2, n_bits),
                "atompair": lambda: rdFingerprintGenerator.GetAtomPairGenerator(fpSize=n_bits),
                "torsion": lambda: rdFingerprintGenerator.GetTopologicalTorsionGenerator(fpSize=n_bits)}
        if kind not in make:
            raise ValueError(f"unknown count fingerprint {kind!r} (known: {', '.join(COUNT_FINGERPRINTS)})")
        _COUNT_GENERATORS[key] = make[kind]()
    return _COUNT_GENERATORS[key]


def count_fingerprints(mols: Sequence[Chem.Mol], kind: str, n_bits: int = 2048) -> np.ndarray:
    """Folded count fingerprints of one kind (:data:`COUNT_FINGERPRINTS`), capped at 255.

    Parameters
    ----------
    mols : sequence of rdkit.Chem.Mol
        Valid molecules.
    kind : {"ecfp4", "atompair", "torsion"}
    n_bits : int
        Folded length.

    Returns
    -------
    numpy.ndarray
        ``n_mols x n_bits``, ``uint8``.
    """
    return _as_uint8(_count_generator(kind, n_bits), mols, n_bits, counts=True)


def tanimoto_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Tanimoto similarity between two sets of binary fingerprints.

    Parameters
    ----------
    a : numpy.ndarray
        ``n_a x n_bits`` binary fingerprints (any numeric dtype, values 0/1).
    b : numpy.ndarray
        ``n_b x n_bits``.

    Returns
    -------
    numpy.ndarray
        ``n_a x n_b`` float32 similarities in [0, 1]; two empty fingerprints give 0.
    """
    a = np.asarray(a, dtype=np.float32)
    b = np.asarray(b, dtype=np.float32)
    inter = a @ b.T
    union = a.sum(1)[:, None] + b.sum(1)[None, :] - inter
    with np.errstate(divide="ignore", invalid="ignore"):
        sim = np.where(union > 0, inter / np.maximum(union, 1e-12), 0.0)
    return sim.astype(np.float32)


def bulk_tanimoto_max(queries: Sequence, references: Sequence) -> np.ndarray:
    """Maximum Tanimoto similarity of each query bit vector to any reference (RDKit BulkTanimoto)."""
    out = np.zeros(len(queries), dtype=np.float32)
    for i, q in enumerate(queries):
        out[i] = max(DataStructs.BulkTanimotoSimilarity(q, references)) if references else 0.0
    return out
