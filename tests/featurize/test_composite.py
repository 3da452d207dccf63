"""The composite featurizer of ``model="auto"`` gives each member exactly its own featurizer's records."""

from __future__ import annotations

import pytest
import torch
from rdkit import Chem

from molpred.data.packed import pack_records
from molpred.exceptions import ModelFileError
from molpred.featurize.composite import CompositeFeaturizer, part_view
from molpred.featurize.registry import featurizer_from_spec, get_featurizer


def test_each_part_view_equals_the_part_alone():
    parts = tuple(get_featurizer(n) for n in ("molgraph", "morgan_counts", "morgan_raw_counts"))
    composite = CompositeFeaturizer(parts)
    mols = [Chem.MolFromSmiles(s) for s in ("CC(=O)Nc1ccc(O)cc1", "C[C@H](N)C(=O)O")]
    data = pack_records([composite(m) for m in mols], composite)
    for feat in parts:
        alone = pack_records([feat(m) for m in mols], feat).to_data_list()
        view = part_view(data, feat.name).to_data_list()
        for a, v in zip(alone, view, strict=True):
            keys = set(a.keys()) - {"num_nodes"}  # a view may state num_nodes explicitly
            assert keys == set(v.keys()) - {"num_nodes"}, feat.name
            for key in keys:
                assert torch.equal(a[key], v[key]), (feat.name, key)
            assert a.num_nodes == v.num_nodes


def test_spec_round_trip_and_refusals():
    composite = CompositeFeaturizer((get_featurizer("morgan_raw_counts"), get_featurizer("morgan_counts")))
    assert featurizer_from_spec(composite.spec()) == composite
    spec = composite.spec()
    spec["parts"][0]["n_bits"] = 4096
    with pytest.raises(ModelFileError):
        featurizer_from_spec(spec)
    with pytest.raises(ModelFileError, match="parts"):
        featurizer_from_spec({"name": "composite", "version": 1, "parts": []})
    with pytest.raises(ValueError, match="distinct"):
        CompositeFeaturizer((get_featurizer("morgan_counts"), get_featurizer("morgan_counts")))
