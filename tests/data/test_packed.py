"""Packed graphs: subsets, per-graph matrices, and batches equal to PyG's collation."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from rdkit import Chem
from torch_geometric.data import Batch

from molpred.data.batching import GraphBatcher
from molpred.data.featurized import featurize_smiles
from molpred.data.packed import PackedGraphs
from molpred.featurize import FingerprintFeaturizer, MolGraphFeaturizer

SMILES = ["CCO", "c1ccccc1C(=O)O", "C", "FC(F)(F)c1ccc(Br)cn1", "N#CC#N", "O=S(=O)(N)c1ccccc1", "C[C@H](N)C(=O)O"]


def _packed():
    f = MolGraphFeaturizer()
    graphs = [f(Chem.MolFromSmiles(s)) for s in SMILES]
    return graphs, PackedGraphs.pack(graphs, f.d_atom, f.d_bond)


def _same_graph(g, h):
    for a, b in ((g.x, h.x), (g.edge_index, h.edge_index), (g.edge_attr, h.edge_attr)):
        assert a.dtype == b.dtype and np.array_equal(a, b)


def test_take_and_slice_select_exactly_those_graphs():
    graphs, packed = _packed()
    order = [5, 0, 2, 2, 6]
    for g, h in zip([graphs[i] for i in order], packed.take(order).unpack()):
        _same_graph(g, h)
    for g, h in zip(graphs[2:5], packed.slice(2, 5).unpack()):
        _same_graph(g, h)
    assert len(packed.take([])) == 0 and len(packed.slice(3, 3)) == 0


def test_per_graph_matrices_follow_their_graphs():
    _, packed = _packed()
    mol_x = np.arange(len(SMILES) * 3, dtype=np.float32).reshape(-1, 3)
    withx = packed.with_attrs(mol_x=mol_x)
    assert "mol_x" not in packed.graph_attrs  # a copy; the original is unchanged
    assert np.array_equal(withx.take([4, 1]).graph_attrs["mol_x"], mol_x[[4, 1]])
    batch = GraphBatcher(withx).batch([6, 0, 3])
    assert torch.equal(batch.mol_x, torch.from_numpy(mol_x[[6, 0, 3]]))
    padded = GraphBatcher(withx).batch([6, 0, 3], bucket=16)  # one filler graph with a zero row
    assert padded.num_graphs == 4 and padded.mol_x.shape == (4, 3) and not padded.mol_x[3].any()
    with pytest.raises(ValueError, match="n_graphs x d"):
        packed.with_attrs(mol_x=mol_x[:2])
    with pytest.raises(ValueError, match="unknown per-graph attribute 'molx'"):
        packed.with_attrs(molx=mol_x)


@pytest.mark.parametrize("index", [[0, 1, 2, 3, 4, 5, 6], [3, 4, 5], [6, 2, 0, 5], [1]])
def test_batches_equal_pyg_collation_in_any_order(index):
    graphs, packed = _packed()
    y = np.arange(len(SMILES) * 2, dtype=np.float32).reshape(-1, 2)
    mask = y % 3 != 0
    ours = GraphBatcher(packed.with_attrs(y=y, mask=mask)).batch(index)
    ref = Batch.from_data_list([graphs[i].to_pyg(y=torch.from_numpy(y[i:i + 1]), mask=torch.from_numpy(mask[i:i + 1]))
                                for i in index])
    assert ours.num_graphs == ref.num_graphs == len(index)
    for key in ("x", "edge_index", "edge_attr", "batch", "ptr", "y", "mask"):
        assert getattr(ours, key).dtype == getattr(ref, key).dtype, key
        assert torch.equal(getattr(ours, key), getattr(ref, key)), key


def test_fingerprints_pack_and_batch_like_their_data_objects():
    f = FingerprintFeaturizer()
    fs = featurize_smiles(SMILES + ["not a smiles"], f)
    assert fs.graphs.is_fingerprint and len(fs.graphs) == len(SMILES)
    ours = GraphBatcher(fs.graphs).batch([4, 1, 2])
    ref = Batch.from_data_list([f(Chem.MolFromSmiles(SMILES[i])).to_pyg() for i in (4, 1, 2)])
    for key in ("fp", "batch", "ptr"):
        assert torch.equal(getattr(ours, key), getattr(ref, key)), key
    assert ours.num_graphs == 3
    back = PackedGraphs.from_data(fs.data)  # Data objects -> packed again
    assert np.array_equal(back.graph_attrs["fp"], fs.graphs.graph_attrs["fp"])


def test_from_data_round_trip_of_graphs():
    graphs, packed = _packed()
    again = PackedGraphs.from_data(packed.to_data_list())
    for g, h in zip(graphs, again.unpack()):
        _same_graph(g, h)
    with pytest.raises(ValueError, match="empty"):
        PackedGraphs.from_data([])


def test_prediction_batches_are_made_once_for_all_members_and_passes(monkeypatch):
    import molpred
    from molpred.predict import member_outputs

    est = molpred.load(__file__.rsplit("/tests/", 1)[0] + "/tests/data/pipeline_reference/gine_dropout")
    fs = featurize_smiles(SMILES * 50, est.featurizer_, est.std_config_)  # 350 molecules: 2 batches of 256
    calls = []
    real = GraphBatcher.batch
    monkeypatch.setattr(GraphBatcher, "batch", lambda self, *a, **k: calls.append(1) or real(self, *a, **k))
    mean, std = member_outputs(est, fs.graphs)
    assert est.mc_samples == 3 and mean.shape == std.shape == (350, 1)
    assert len(calls) == 2  # not 2 per MC pass
    assert np.all(std > 0)  # the passes did sample different dropout masks
