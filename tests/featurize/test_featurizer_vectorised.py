"""The vectorised molgraph v2 reader gives bit-identical features to the per-atom version it
replaced (frozen in ``molgraph_v2_reference.py``), on real molecules and odd ones."""

from __future__ import annotations

import gzip
import itertools

import numpy as np
import pytest
from rdkit import Chem

from molpred.chem.standardize import to_mol
from molpred.featurize import MolGraphFeaturizer
from molpred.featurize import molgraph_v2 as v2
from molpred.featurize.atom_arrays import read_arrays

from . import molgraph_v2_reference as ref

# isotopes, radicals, metals, big charges, hypervalence, dummy atoms, ring sizes 3-9, stereo
ODD = ["c1cc[nH]c1[13CH3]", "[2H]OC([2H])([2H])[2H]", "[CH2]C", "[CH]C", "[O]", "C[C@H](N)C(=O)O",
       "C/C=C/C", "C/C=C\\C", "F/C=C/F", "[Fe+2]", "[NH4+]", "[C-]#[O+]", "[O-2].[Ca+2]", "[N-3]", "F[S](F)(F)(F)(F)F",
       "[Na+].[Cl-]", "[Pt+2].[Cl-].[Cl-]", "*CC", "C1CC1", "C1CCC1", "C1CCCCCC1", "C1CCCCCCC1", "C1CCCCCCCC1",
       "C=C=C", "C#CC#N", "[O-][N+](=O)c1ccccc1", "C[Si](C)(C)[Se]C", "B(O)(O)c1ccccc1", "[U]", "O", "[H][H]",
       "C[C@@H]1CC[C@H](C)CC1", "c1ccc2c(c1)[nH]c1ccccc12", "C[S+](C)[O-]", "N=[N+]=[N-]"]


def _real_sample() -> list[str]:
    """150 MoleculeACE molecules spread over its 30 targets and 150 MOSES molecules."""
    import molpred

    ace = []
    for name in molpred.datasets.list_datasets():
        if name.startswith("moleculeace/"):
            ace += list(molpred.datasets.load_moleculeace(name.split("/", 1)[1]).smiles[::97][:5])
    with gzip.open(molpred.datasets.find_data_dir() / "moses" / "moses_train.csv.gz", "rt") as fh:
        next(fh)
        moses = [line.strip() for line in itertools.islice(fh, 0, 150_000, 1000)]
    return ace + moses


def _reference_graph(mol):
    x, bond_attr = ref.features(mol)
    ends = np.array([(b.GetBeginAtomIdx(), b.GetEndAtomIdx()) for b in mol.GetBonds()], np.int64).reshape(-1, 2)
    edge_index = np.stack([ends.repeat(2, axis=0)[:, 0], ends.repeat(2, axis=0)[:, 1]])
    edge_index[:, 1::2] = edge_index[::-1, 1::2]
    return x, edge_index, np.repeat(bond_attr, 2, axis=0)


def _assert_identical(mol):
    got = MolGraphFeaturizer()(mol)
    x, edge_index, edge_attr = _reference_graph(mol)
    for a, b in ((got.x, x), (got.edge_index, edge_index), (got.edge_attr, edge_attr)):
        assert a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b), Chem.MolToSmiles(mol)


@pytest.fixture(scope="module")
def real_mols():
    smiles = _real_sample()
    assert len(smiles) >= 250
    return [to_mol(s) for s in smiles]


def test_real_molecules_get_bit_identical_features(real_mols):
    for mol in real_mols:
        _assert_identical(mol)


@pytest.mark.parametrize("smiles", ODD)
def test_odd_molecules_get_bit_identical_features(smiles):
    for mol in (Chem.MolFromSmiles(s) for s in (smiles, *Chem.MolToRandomSmilesVect(Chem.MolFromSmiles(smiles), 3, randomSeed=1))):
        if mol.GetNumAtoms():
            _assert_identical(mol)
            xa, xb = v2.atom_features(mol), ref.atom_features(mol)
            assert np.array_equal(xa, xb) and np.array_equal(v2.bond_features(mol), ref.bond_features(mol))


def test_arrays_equal_rdkit_accessors(real_mols):
    for mol in real_mols[::10] + [Chem.MolFromSmiles(s) for s in ODD]:
        arr = read_arrays(mol)
        atoms, bonds = list(mol.GetAtoms()), list(mol.GetBonds())
        assert arr.degree.tolist() == [a.GetDegree() for a in atoms]
        assert arr.aromatic.tolist() == [a.GetIsAromatic() for a in atoms]
        assert arr.in_ring.tolist() == [a.IsInRing() for a in atoms]
        assert arr.mass.tolist() == [a.GetMass() for a in atoms]
        assert arr.bond_in_ring.tolist() == [b.IsInRing() for b in bonds]
