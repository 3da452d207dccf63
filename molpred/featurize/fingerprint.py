"""Mol -> Morgan fingerprint record: counts for the fingerprint MLP, bits for kernel/tree learners.

Every record holds uint8 (counts capped at 255, or 0/1 bits): 2 kB per molecule at 2,048 bits,
a quarter of the float32 it would take, while the records are shipped from screening workers
and kept for training. The fingerprint MLP reads ``log1p`` of the counts; its encoder
(:class:`molpred.nn.model.FingerprintEncoder`) looks them up in :data:`LOG1P_COUNTS` when a
batch enters the network, giving the float32 values this featurizer once stored, bit for bit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from rdkit import Chem

from molpred.chem.fingerprints import COUNT_FINGERPRINTS, count_fingerprints, morgan_fingerprints

__all__ = ["FingerprintFeaturizer", "FingerprintBitsFeaturizer", "FingerprintCountsFeaturizer",
           "MultiCountsFeaturizer", "FingerprintRecord",
           "LOG1P_COUNTS", "log1p_counts"]

LOG1P_COUNTS = np.log1p(np.arange(256, dtype=np.float32))
"""``256`` float32: ``LOG1P_COUNTS[c]`` is ``np.log1p(np.float32(c))``, the MLP input of count ``c``."""
LOG1P_COUNTS.flags.writeable = False


def log1p_counts(counts: np.ndarray) -> np.ndarray:
    """``log1p`` of uint8 Morgan counts by table look-up (equal to ``np.log1p(counts.astype(np.float32))``).

    Parameters
    ----------
    counts : numpy.ndarray
        Any shape (``n_bits``, or ``n_mols x n_bits``), uint8.

    Returns
    -------
    numpy.ndarray
        Same shape, float32.
    """
    if counts.dtype != np.uint8:
        raise TypeError(f"log1p_counts reads uint8 counts, got {counts.dtype}")
    return LOG1P_COUNTS[counts]


@dataclass(frozen=True)
class FingerprintRecord:
    """A molecule as a fingerprint.

    Attributes
    ----------
    fp : numpy.ndarray
        ``n_bits`` uint8: Morgan counts capped at 255 (``morgan_counts``, ``morgan_raw_counts``)
        or 0/1 bits (``morgan_bits``).
    mol_x : numpy.ndarray, optional
        ``d_mol`` float32 molecule-level features (:mod:`molpred.featurize.molecule_features`).
    """

    fp: np.ndarray
    mol_x: np.ndarray | None = None

    def to_pyg(self, **attrs):
        """A PyG ``Data`` with ``fp`` of shape ``1 x n_bits``, uint8 (batches stack to ``n x n_bits``)."""
        import torch
        from torch_geometric.data import Data

        if self.mol_x is not None:
            attrs = {"mol_x": torch.from_numpy(np.asarray(self.mol_x, np.float32)[None, :]), **attrs}
        return Data(fp=torch.from_numpy(self.fp[None, :]), num_nodes=1, **attrs)


class _MorganFeaturizer:
    """What every Morgan featurizer shares: ``d_atom`` = ``n_bits``, no bond features, its spec.

    Subclasses are frozen dataclasses with the fields ``name``, ``version``, ``radius``, ``n_bits``.
    """

    name: str
    version: int
    radius: int
    n_bits: int

    @property
    def d_atom(self) -> int:
        return self.n_bits

    @property
    def d_bond(self) -> int:
        return 0

    def spec(self) -> dict:
        return {"name": self.name, "version": self.version, "radius": self.radius, "n_bits": self.n_bits,
                "d_atom": self.d_atom, "d_bond": self.d_bond}


def _check_mol(mol) -> None:
    if mol is None or mol.GetNumAtoms() == 0:
        raise ValueError("cannot featurise an empty or missing molecule")


def _counts(mol, radius: int, n_bits: int) -> FingerprintRecord:
    """The record of both count featurizers: ``n_bits`` uint8 counts, capped at 255."""
    _check_mol(mol)
    return FingerprintRecord(morgan_fingerprints([mol], radius, n_bits, counts=True)[0])


@dataclass(frozen=True)
class FingerprintFeaturizer(_MorganFeaturizer):
    """ECFP count fingerprint (``radius`` 2 = ECFP4) featurizer, the fingerprint MLP's input.

    Records hold ``n_bits`` uint8 counts (capped at 255); the network reads their ``log1p``
    (:data:`LOG1P_COUNTS`), looked up as batches enter it.
    """

    name: str = "morgan_counts"
    version: int = 1
    radius: int = 2
    n_bits: int = 2048

    def __call__(self, mol: Chem.Mol) -> FingerprintRecord:
        return _counts(mol, self.radius, self.n_bits)


@dataclass(frozen=True)
class FingerprintBitsFeaturizer(_MorganFeaturizer):
    """Binary ECFP featurizer (``radius`` 2 = ECFP4, 1,024 bits as in the MoleculeACE SVM).

    The input of the Tanimoto-kernel and tree learners (:mod:`molpred.learners`); records
    hold ``n_bits`` uint8 0/1.
    """

    name: str = "morgan_bits"
    version: int = 1
    radius: int = 2
    n_bits: int = 1024

    def __call__(self, mol: Chem.Mol) -> FingerprintRecord:
        _check_mol(mol)
        return FingerprintRecord(morgan_fingerprints([mol], self.radius, self.n_bits)[0])


@dataclass(frozen=True)
class FingerprintCountsFeaturizer(FingerprintBitsFeaturizer):
    """Raw ECFP counts (uint8, capped at 255), the input of the MinMax-kernel learners.

    The records of :class:`FingerprintFeaturizer`, at 1,024 bits by default.
    """

    name: str = "morgan_raw_counts"

    def __call__(self, mol: Chem.Mol) -> FingerprintRecord:
        return _counts(mol, self.radius, self.n_bits)


@dataclass(frozen=True)
class MultiCountsFeaturizer(_MorganFeaturizer):
    """ECFP4, atom-pair and topological-torsion counts side by side: the ``kernel="multi"`` input.

    Records hold ``3 * n_bits`` uint8 counts (capped at 255), one block of ``n_bits`` per kind
    in the order of :data:`molpred.chem.fingerprints.COUNT_FINGERPRINTS`; the kernel averages
    the MinMax similarities of the three blocks (:func:`molpred.learners.kernel.multi_kernel`).
    ``radius`` is the Morgan block's (2, ECFP4) and is saved with the spec like the others'.
    """

    name: str = "multi_raw_counts"
    version: int = 1
    radius: int = 2
    n_bits: int = 2048

    def __post_init__(self):
        if self.radius != 2:
            raise ValueError(f"multi_raw_counts has a fixed ECFP4 block (radius 2), got radius={self.radius}")

    @property
    def d_atom(self) -> int:
        return len(COUNT_FINGERPRINTS) * self.n_bits

    def __call__(self, mol: Chem.Mol) -> FingerprintRecord:
        _check_mol(mol)
        return FingerprintRecord(np.concatenate([count_fingerprints([mol], kind, self.n_bits)[0]
                                                 for kind in COUNT_FINGERPRINTS]))
