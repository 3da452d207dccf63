"""Molecule-level features: golden values, NaN safety, names, specs, and the graph records that carry them."""

from __future__ import annotations

import numpy as np
import pytest
from rdkit import Chem
from rdkit.Chem import Descriptors

from molpred.exceptions import ModelFileError
from molpred.featurize import MolGraphFeaturizer, featurizer_from_spec
from molpred.featurize.molecule_features import (
    MoleculeFeatures,
    MorganCountFeatures,
    RDKit2DFeatures,
    WithMoleculeFeatures,
    check_feature_names,
    list_molecule_features,
    with_molecule_features,
)
from molpred.pretrain.descriptors import descriptor_names


def test_names_and_did_you_mean():
    assert list_molecule_features() == ["morgan_count", "rdkit2d"]
    assert check_feature_names(None) == () and check_feature_names([]) == ()
    assert check_feature_names("rdkit2d") == ("rdkit2d",)
    with pytest.raises(ValueError, match=r"unknown molecule feature 'rdkit_2d'; did you mean 'rdkit2d'\?"):
        check_feature_names(["morgan_count", "rdkit_2d"])
    with pytest.raises(ValueError, match="listed twice"):
        check_feature_names(["rdkit2d", "rdkit2d"])
    with pytest.raises(ValueError, match="must be names"):
        check_feature_names([3])


def test_morgan_count_is_log1p_of_counts():
    mol = Chem.MolFromSmiles("CCCCCC")  # hexane: CH3 environment twice, CH2 four times
    v = MorganCountFeatures()(mol)
    assert v.shape == (2048,) and v.dtype == np.float32
    counts = np.expm1(v).round().astype(int)
    assert sorted(counts[counts > 0])[-2:] == [2, 4]  # radius-0 CH3 (x2) and CH2 (x4) environments


def test_rdkit2d_golden_values_and_order():
    feats = RDKit2DFeatures()
    assert list(feats.names) == descriptor_names() and feats.dim == 202
    mol = Chem.MolFromSmiles("CCO")
    v = feats(mol)
    assert v.dtype == np.float32
    names = list(feats.names)
    assert v[names.index("MolWt")] == pytest.approx(Descriptors.MolWt(mol), rel=1e-6)  # 46.069
    assert v[names.index("NumHDonors")] == 1 and v[names.index("HeavyAtomCount")] == 3


def test_rdkit2d_unknown_descriptor_and_overflow_become_nan():
    feats = RDKit2DFeatures(names=("MolWt", "NoSuchDescriptor"))
    v = feats(Chem.MolFromSmiles("CCO"))
    assert np.isfinite(v[0]) and np.isnan(v[1])


def test_a_failing_block_gives_nan_not_an_error():
    class Broken:
        name, dim, scaled = "rdkit2d", 3, True

        def __call__(self, mol):
            raise RuntimeError("boom")

        def spec(self):
            return {"name": "rdkit2d", "names": ["a", "b", "c"]}

    feats = MoleculeFeatures(("morgan_count", "rdkit2d"), blocks=(MorganCountFeatures(n_bits=16), Broken()))
    v = feats(Chem.MolFromSmiles("CCO"))
    assert v.shape == (19,) and np.isfinite(v[:16]).all() and np.isnan(v[16:]).all()
    assert feats.scaled_mask.tolist() == [False] * 16 + [True] * 3


def test_spec_round_trip_and_invalid_specs():
    feats = MoleculeFeatures(("morgan_count", "rdkit2d"))
    assert feats.d_mol == 2048 + 202
    again = MoleculeFeatures.from_spec(feats.spec())
    mol = Chem.MolFromSmiles("c1ccccc1O")
    np.testing.assert_array_equal(feats(mol), again(mol))
    bad = feats.spec() | {"d_mol": 7}
    with pytest.raises(ModelFileError, match="width 2250"):
        MoleculeFeatures.from_spec(bad)
    with pytest.raises(ModelFileError, match="unknown molecule feature"):
        MoleculeFeatures.from_spec(feats.spec() | {"names": ["morgan_count", "maccs"]})
    with pytest.raises(ModelFileError, match="invalid molecule-feature settings"):
        MoleculeFeatures.from_spec({"names": ["rdkit2d"], "blocks": [{"name": "rdkit2d", "names": "MolWt"}], "d_mol": 1})
    huge = feats.spec()
    huge["blocks"][0] = {"name": "morgan_count", "radius": 2, "n_bits": 10**9}
    with pytest.raises(ModelFileError, match="out of range"):
        MoleculeFeatures.from_spec(huge)
    with pytest.raises(ModelFileError, match="invalid molecule-feature settings"):
        MoleculeFeatures.from_spec({"names": ["rdkit2d"], "blocks": ["rdkit2d"], "d_mol": 202})


def test_graph_records_carry_mol_x_into_pyg_batches():
    from torch_geometric.data import Batch

    feat = with_molecule_features(MolGraphFeaturizer(), ["rdkit2d"])
    assert isinstance(feat, WithMoleculeFeatures) and (feat.d_atom, feat.d_bond, feat.d_mol) == (58, 11, 202)
    assert with_molecule_features(MolGraphFeaturizer(), None) == MolGraphFeaturizer()  # no wrapper without features
    graphs = [feat(Chem.MolFromSmiles(s)).to_pyg() for s in ("CCO", "c1ccccc1", "CC(=O)O")]
    assert graphs[0].mol_x.shape == (1, 202)
    batch = Batch.from_data_list(graphs)
    assert tuple(batch.mol_x.shape) == (3, 202)  # n_graphs x d_mol
    np.testing.assert_array_equal(batch.mol_x[1].numpy(), graphs[1].mol_x[0].numpy())
    # the saved spec rebuilds the same featurizer; a spec without the key means no features
    assert featurizer_from_spec(feat.spec()) == feat
    assert featurizer_from_spec(MolGraphFeaturizer().spec()) == MolGraphFeaturizer()
