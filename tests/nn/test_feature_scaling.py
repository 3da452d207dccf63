"""Robust scaling of molecule features: statistics on training rows, imputation, clipping, in the network."""

from __future__ import annotations

import numpy as np
import torch

from molpred.data.scaler import fit_robust_scaling
from molpred.nn.features import MoleculeFeatureScaling
from molpred.nn.model import ModelSpec, build_model


def test_robust_statistics_median_iqr_fallbacks_and_unscaled_columns():
    x = np.array([
        [0.0, 1.0, 5.0, np.nan, 0.0],
        [1.0, 2.0, 5.0, np.nan, 0.0],
        [2.0, 3.0, 5.0, np.nan, 0.0],
        [3.0, 4.0, 5.0, np.nan, 0.0],
        [100.0, np.nan, 5.0, np.nan, 3.0],
    ])
    stats = fit_robust_scaling(x, np.array([True, True, True, True, True]), clip=4.0)
    # column 0: median 2, IQR (3 - 1) / 1.349, the outlier 100 does not move them
    assert stats["center"][0] == 2.0
    np.testing.assert_allclose(stats["scale"][0], 2.0 / 1.349, rtol=1e-6)
    assert stats["center"][1] == 2.5  # NaN ignored
    assert stats["scale"][2] == 1.0  # constant column
    assert stats["center"][3] == 0.0 and stats["scale"][3] == 1.0  # NaN on every training row
    np.testing.assert_allclose(stats["scale"][4], np.std(x[:, 4]), rtol=1e-6)  # IQR 0: standard deviation
    assert (stats["clip"] == 4.0).all()
    unscaled = fit_robust_scaling(x, np.zeros(5, bool))
    assert (unscaled["center"] == 0).all() and (unscaled["scale"] == 1).all() and np.isinf(unscaled["clip"]).all()


def test_layer_imputes_median_scales_and_clips():
    layer = MoleculeFeatureScaling(3)
    layer.set_statistics(np.array([2.0, 0.0, 10.0]), np.array([2.0, 1.0, 1.0]), np.array([5.0, np.inf, 5.0]))
    out = layer(torch.tensor([[4.0, 7.0, 1e9], [float("nan"), float("nan"), -3.0]]))
    expected = torch.tensor([[1.0, 7.0, 5.0], [0.0, 0.0, -5.0]])
    torch.testing.assert_close(out, expected)
    assert not any(True for _ in layer.parameters())  # statistics are buffers, not trained


def test_network_with_features_widens_the_head_and_needs_mol_x():
    from torch_geometric.data import Batch, Data

    spec = ModelSpec(arch="dmpnn", d_atom=4, d_bond=2, n_tasks=1, hidden=8, ffn_hidden=8, d_mol=3)
    net = build_model(spec)
    assert net.head.net[1].in_features == 8 + 3
    assert {"mol_features.center", "mol_features.scale", "mol_features.clip"} <= set(net.state_dict())
    g = Data(x=torch.ones(2, 4), edge_index=torch.tensor([[0, 1], [1, 0]]), edge_attr=torch.ones(2, 2))
    with_feats = Batch.from_data_list([Data(**g.to_dict(), mol_x=torch.tensor([[1.0, 2.0, 3.0]]))])
    other = Batch.from_data_list([Data(**g.to_dict(), mol_x=torch.tensor([[1.0, 2.0, -3.0]]))])
    assert net(with_feats).shape == (1, 1)
    assert not torch.equal(net(with_feats), net(other))  # the features reach the head
    import pytest

    with pytest.raises(ValueError, match="reads molecule features"):
        net(Batch.from_data_list([g]))
    # a spec without d_mol (files written before it) builds the old network
    old = build_model(ModelSpec.from_dict({k: v for k, v in spec.to_dict().items() if k != "d_mol"}))
    assert old.mol_features is None and old.head.net[1].in_features == 8
