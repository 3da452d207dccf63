"""molgraph version 2: the same molecule gives the same features (and predictions) however it is
written; enantiomers, ring sizes, radicals and metals are told apart."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from rdkit import Chem

from molpred.featurize import MolGraphFeaturizer, featurizer_from_spec
from molpred.featurize import molgraph_v2 as v2
from molpred.nn.model import ModelSpec, build_model

F2 = MolGraphFeaturizer()
F1 = MolGraphFeaturizer(version=1)

# chiral drugs (one stereocentre or several, E/Z double bonds), with their mirror images
CHIRAL_DRUGS = {
    "L-alanine": "C[C@H](N)C(=O)O",
    "(S)-ibuprofen": "CC(C)Cc1ccc([C@H](C)C(=O)O)cc1",
    "(S)-naproxen": "COc1ccc2cc([C@H](C)C(=O)O)ccc2c1",
    "(R)-thalidomide": "O=C1CC[C@@H](N2C(=O)c3ccccc3C2=O)C(=O)N1",
    "(S)-propranolol": "CC(C)NC[C@H](O)COc1cccc2ccccc12",
    "ephedrine": "CN[C@@H](C)[C@H](O)c1ccccc1",
    "tamoxifen (Z)": "CC/C(=C(\\c1ccccc1)c1ccc(OCCN(C)C)cc1)c1ccccc1",
    "sertraline": "CN[C@H]1CC[C@@H](c2ccc(Cl)c(Cl)c2)c2ccccc21",
}


def _mirror(smiles: str) -> str:
    return smiles.replace("@@", "!").replace("@", "@@").replace("!", "@")


def _random_smiles(smiles: str, n: int, seed: int = 0) -> list[str]:
    return list(Chem.MolToRandomSmilesVect(Chem.MolFromSmiles(smiles), n, randomSeed=seed))


def _canonical_rows(smiles: str, featurizer) -> tuple[np.ndarray, np.ndarray]:
    """Features with rows in canonical atom order (random SMILES permute the atoms)."""
    mol = Chem.MolFromSmiles(smiles)
    g = featurizer(mol)
    rank = np.array(Chem.CanonicalRankAtoms(mol, breakTies=True))
    order = np.argsort(rank)
    x = g.x[order]
    # bond rows keyed by the canonical ranks of their ends, sorted
    src, dst = rank[g.edge_index[0]], rank[g.edge_index[1]]
    key = np.lexsort((dst, src))
    return x, np.column_stack([src[key], dst[key], g.edge_attr[key]])


def _predict(net, smiles_list, featurizer) -> np.ndarray:
    from torch_geometric.data import Batch

    batch = Batch.from_data_list([featurizer(Chem.MolFromSmiles(s)).to_pyg() for s in smiles_list])
    with torch.no_grad():
        return net(batch).numpy()[:, 0]


@pytest.fixture(scope="module")
def dmpnn():
    torch.manual_seed(0)
    spec = ModelSpec(arch="dmpnn", d_atom=F2.d_atom, d_bond=F2.d_bond, n_tasks=1)
    return build_model(spec).eval()


@pytest.mark.parametrize("name", sorted(CHIRAL_DRUGS))
def test_random_smiles_give_identical_features_and_predictions(name, dmpnn):
    smiles = CHIRAL_DRUGS[name]
    variants = _random_smiles(smiles, 20)
    assert len(set(variants)) > 3  # really different writings
    x0, e0 = _canonical_rows(smiles, F2)
    for s in variants:
        x, e = _canonical_rows(s, F2)
        assert np.array_equal(x, x0), s
        assert np.array_equal(e, e0), s
    preds = _predict(dmpnn, [smiles, *variants], F2)
    np.testing.assert_allclose(preds, preds[0], atol=1e-5)
    # the mirror image is still a different input, with a different prediction
    if "@" in smiles:
        mirror = _predict(dmpnn, [_mirror(smiles)], F2)[0]
        assert abs(mirror - preds[0]) > 1e-6


def test_version_1_depended_on_atom_order():
    """The defect this version fixes: CW/CCW tags flip with the writing of L-alanine."""
    tags = {tuple(_canonical_rows(s, F1)[0][:, 40:42].sum(axis=0))
            for s in _random_smiles(CHIRAL_DRUGS["L-alanine"], 30)}
    assert tags == {(1.0, 0.0), (0.0, 1.0)}  # both CW and CCW for one stereocentre


def test_enantiomers_and_ez_isomers_differ():
    r = F2(Chem.MolFromSmiles("C[C@@H](N)C(=O)O")).x[1]
    s = F2(Chem.MolFromSmiles("C[C@H](N)C(=O)O")).x[1]
    cip = slice(v2._CIP_NONE, v2._CIP_NONE + 4)
    assert list(r[cip]) == [0, 1, 0, 0] and list(s[cip]) == [0, 0, 1, 0]
    e = F2(Chem.MolFromSmiles("C/C=C/C")).edge_attr[2]
    z = F2(Chem.MolFromSmiles("C/C=C\\C")).edge_attr[2]
    st = slice(v2._ST_NONE, v2._ST_NONE + 4)
    assert list(e[st]) == [0, 1, 0, 0] and list(z[st]) == [0, 0, 1, 0]
    unspecified = F2(Chem.MolFromSmiles("CC(N)C(=O)O")).x[1]
    assert list(unspecified[cip]) == [1, 0, 0, 0]


def test_cip_labels_when_parsing_left_none():
    """A molecule that lost its stored labels (e.g. rebuilt by a standardiser) gets them again."""
    mol = Chem.MolFromSmiles("C[C@H](N)C(=O)O")
    for atom in mol.GetAtoms():
        atom.ClearProp("_CIPCode")
    assert F2(mol).x[1][v2._CIP_NONE + 2] == 1  # S


def test_ring_sizes_radicals_and_metals():
    cyclopropyl = F2(Chem.MolFromSmiles("CC1CC1")).x[1]
    cyclohexyl = F2(Chem.MolFromSmiles("CC1CCCCC1")).x[1]
    assert not np.array_equal(cyclopropyl, cyclohexyl)
    col = v2._RING_COL0
    assert cyclopropyl[col + 0] == 1 and cyclopropyl[col + 3] == 0
    assert cyclohexyl[col + 3] == 1 and cyclohexyl[col + 0] == 0
    # fused atoms belong to both rings
    naphthalene_fusion = F2(Chem.MolFromSmiles("C1CC2CCC3CC3C2C1")).x
    assert (naphthalene_fusion[:, col:col + 6].sum(axis=1) >= 1).all()
    radical = F2(Chem.MolFromSmiles("[CH2]C")).x[0]
    assert radical[int(v2._ATOM_OFFSETS[4]) + 1] == 1
    pt, zn, xe = (F2(Chem.MolFromSmiles(s)).x[0] for s in ("[Pt]", "[Zn]", "[Xe]"))
    metal, other = len(v2.ELEMENTS), len(v2.ELEMENTS) + 1
    assert pt[metal] == 1 and zn[metal] == 1 and xe[other] == 1


def test_dimensions_spec_and_old_models():
    assert (F2.d_atom, F2.d_bond) == (58, 11)
    assert F2.spec() == {"name": "molgraph", "version": 2, "d_atom": 58, "d_bond": 11}
    assert featurizer_from_spec(F1.spec()) == F1  # models saved with version 1 keep it
    assert featurizer_from_spec(F2.spec()) == F2
    with pytest.raises(ValueError):
        MolGraphFeaturizer(version=7)
