"""Fingerprint records are uint8 counts; the MLP's float input is their log1p, looked up."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from rdkit import Chem

from molpred.data.packed import PackedGraphs, pack_records
from molpred.featurize import FingerprintFeaturizer
from molpred.featurize.fingerprint import LOG1P_COUNTS, FingerprintCountsFeaturizer, log1p_counts
from molpred.featurize.molecule_features import MorganCountFeatures
from molpred.nn.model import FingerprintEncoder


@pytest.fixture(scope="module")
def mols(esol):
    return [Chem.MolFromSmiles(s) for s in esol["smiles"].iloc[:300]]


def _float_log1p(counts: np.ndarray) -> np.ndarray:
    """What ``FingerprintFeaturizer`` stored before its records became uint8."""
    return np.log1p(counts.astype(np.float32))


def test_a_packed_fingerprint_set_is_uint8_and_a_quarter_of_float32(mols):
    feat = FingerprintFeaturizer()
    packed = pack_records([feat(m) for m in mols], feat)
    fp = packed.graph_attrs["fp"]
    assert fp.dtype == np.uint8 and fp.shape == (len(mols), 2048)
    assert fp.max() > 1  # counts, not bits
    as_float = PackedGraphs.pack_fingerprints([type(r)(_float_log1p(r.fp)) for r in packed.unpack()], 2048)
    assert as_float.graph_attrs["fp"].dtype == np.float32
    assert 4 * fp.nbytes == as_float.graph_attrs["fp"].nbytes
    # the same counts as the MinMax-kernel learners' featurizer at the same width
    raw = FingerprintCountsFeaturizer(n_bits=2048)
    assert np.array_equal(pack_records([raw(m) for m in mols], raw).graph_attrs["fp"], fp)


def test_empty_sets_are_uint8_so_concatenation_keeps_counts(mols):
    feat = FingerprintFeaturizer()
    empty = pack_records([], feat)
    assert empty.graph_attrs["fp"].dtype == np.uint8 and empty.graph_attrs["fp"].shape == (0, 2048)
    joined = PackedGraphs.concat([empty, pack_records([feat(m) for m in mols[:3]], feat)])
    assert joined.graph_attrs["fp"].dtype == np.uint8


def test_the_network_input_is_float32_log1p_bit_for_bit(mols):
    counts = pack_records([FingerprintFeaturizer()(m) for m in mols], FingerprintFeaturizer()).graph_attrs["fp"]
    expected = _float_log1p(counts)
    assert np.array_equal(log1p_counts(counts).view(np.uint32), expected.view(np.uint32))
    every = np.arange(256, dtype=np.uint8)
    assert np.array_equal(LOG1P_COUNTS.view(np.uint32), _float_log1p(every).view(np.uint32))
    enc = FingerprintEncoder(2048, 8)
    got = enc.network_input(torch.from_numpy(counts))
    assert got.dtype == torch.float32
    assert torch.equal(got.view(torch.int32), torch.from_numpy(expected).view(torch.int32))
    # a float input is the network input already (integrated gradients scales it)
    x = torch.from_numpy(expected)
    assert enc.network_input(x) is x
    assert torch.equal(enc(torch.from_numpy(counts)), enc(x))
    with pytest.raises(TypeError, match="uint8"):
        enc.network_input(torch.from_numpy(counts.astype(np.int64)))
    assert "log1p_table" not in enc.state_dict()  # model files hold the same tensors as before


def test_morgan_count_molecule_features_stay_float_log1p(mols):
    feat = MorganCountFeatures()
    for m in mols[:20]:
        got = feat(m)
        assert got.dtype == np.float32
        assert np.array_equal(got, _float_log1p(FingerprintFeaturizer()(m).fp))
