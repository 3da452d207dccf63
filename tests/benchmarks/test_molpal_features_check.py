"""The features check of molpal.md computes Chemprop v1's atom and bond features."""

from __future__ import annotations

import numpy as np
from rdkit import Chem

from benchmarks.molpal_features_check import ChempropV1


def test_chemprop_v1_features_of_alanine():
    mol = Chem.MolFromSmiles("C[C@H](N)C(=O)O")
    g = ChempropV1()(mol)
    assert g.x.shape == (6, 133) and g.edge_attr.shape == (10, 14) and g.edge_index.shape == (2, 10)
    # six one-hot families, no aromatic atom, mass / 100 (C 12.011, N 14.007, O 15.999)
    np.testing.assert_allclose(g.x.sum(1), 6 + np.array([12.011, 12.011, 14.007, 12.011, 15.999, 15.999]) / 100,
                               rtol=1e-6)
    assert g.x[0, 5] == 1 and g.x[2, 6] == 1  # atomic number - 1: carbon column 5, nitrogen 6
    chiral = 100 + 1 + 7 + 6  # after atomic number (101), degree (7), charge (6): chiral tag 0-3 + other
    assert g.x[1, chiral + int(mol.GetAtomWithIdx(1).GetChiralTag())] == 1 and g.x[0, chiral] == 1
    double = mol.GetBondBetweenAtoms(3, 4).GetIdx()
    assert g.edge_attr[2 * double, 2] == 1 and g.edge_attr[2 * double, 7] == 1  # double bond, stereo none
    assert (g.edge_attr[:, 0] == 0).all()  # every row is a real bond
