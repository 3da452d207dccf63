from __future__ import annotations

import numpy as np
import pytest
from rdkit import Chem

from molpred.exceptions import ModelFileError
from molpred.featurize import FingerprintFeaturizer, MolGraphFeaturizer, featurizer_from_spec

F = MolGraphFeaturizer(version=1)  # golden values of version 1, kept bit for bit


def _onehot_slots(vec):
    return list(np.flatnonzero(vec[:-3]))


def test_dimensions_and_spec():
    assert (F.d_atom, F.d_bond) == (46, 14)
    assert F.spec() == {"name": "molgraph", "version": 1, "d_atom": 46, "d_bond": 14}


def test_golden_atom_features_ethanol_oxygen():
    g = F(Chem.MolFromSmiles("CCO"))
    o = g.x[2]
    # element O is slot 4 (H B C N O ...); degree 1 -> 14+1; charge 0 -> 21+2; 1 H -> 27+1;
    # SP3 -> 33+3; no chirality -> 40+2; not aromatic, not in ring, mass 15.999/100
    assert _onehot_slots(o) == [4, 15, 23, 28, 36, 42]
    assert o[-3] == 0 and o[-2] == 0 and o[-1] == pytest.approx(0.15999, abs=1e-4)


def test_golden_atom_features_aromatic_nitrogen_and_chirality():
    g = F(Chem.MolFromSmiles("c1ccncc1"))
    n = g.x[3]
    assert n[3] == 1  # nitrogen
    assert n[-3] == 1 and n[-2] == 1  # aromatic, in ring
    assert n[33 + 2] == 1  # SP2
    chiral = F(Chem.MolFromSmiles("N[C@@H](C)C(=O)O")).x[1]
    assert chiral[40] + chiral[41] == 1  # CW or CCW set


def test_other_slots_for_unusual_atoms():
    g = F(Chem.MolFromSmiles("[Pt]"))
    assert g.x[0][13] == 1  # element "other"
    charged = F(Chem.MolFromSmiles("[N+3]")).x[0]
    assert charged[21 + 5] == 1  # charge outside -2..2 -> other


def test_bond_features_and_reverse_pairing():
    g = F(Chem.MolFromSmiles("C=CC#N"))
    assert g.edge_index.shape == (2, 6)
    # edges 2k and 2k+1 are the same bond in opposite directions
    assert np.array_equal(g.edge_index[:, 0::2], g.edge_index[::-1, 1::2])
    assert np.array_equal(g.edge_attr[0::2], g.edge_attr[1::2])
    assert g.edge_attr[0, 1] == 1  # double
    assert g.edge_attr[4, 2] == 1  # triple
    benzene = F(Chem.MolFromSmiles("c1ccccc1"))
    assert benzene.edge_attr[:, 3].all() and benzene.edge_attr[:, -1].all()  # aromatic, ring
    assert benzene.edge_attr[:, -2].all()  # conjugated


def test_stereo_bond():
    g = F(Chem.MolFromSmiles("C/C=C/C"))
    stereo = g.edge_attr[2, 5:12]
    assert stereo.sum() == 1 and stereo[0] == 0  # some stereo flag other than NONE


def test_single_atom_has_no_edges_and_to_pyg():
    g = F(Chem.MolFromSmiles("C"))
    assert g.edge_index.shape == (2, 0) and g.edge_attr.shape == (0, 14)
    d = g.to_pyg()
    assert d.x.shape == (1, 46) and d.edge_index.dtype.is_floating_point is False


def test_empty_mol_raises():
    with pytest.raises(ValueError):
        F(None)


def test_fingerprint_featurizer():
    fp = FingerprintFeaturizer()(Chem.MolFromSmiles("CCO"))
    assert fp.fp.shape == (2048,) and fp.fp.max() > 0
    assert fp.to_pyg().fp.shape == (1, 2048)


def test_spec_mismatch_is_refused():
    assert featurizer_from_spec(F.spec()) == F
    with pytest.raises(ModelFileError):
        featurizer_from_spec({**F.spec(), "version": 99})
    with pytest.raises(ModelFileError):
        featurizer_from_spec({"name": "nope"})
