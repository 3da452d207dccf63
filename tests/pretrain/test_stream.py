"""Pretraining batches: packed once per shard, equal to collating each molecule's graph."""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch
from safetensors.torch import load_file
from torch_geometric.data import Batch

from molpred.chem.standardize import StandardizeConfig, to_mol_record
from molpred.data.batching import GraphBatcher
from molpred.featurize import MolGraphFeaturizer
from molpred.pretrain import pretrain
from molpred.pretrain.stream import ShardStream, featurize_shard, visits


def test_packed_shard_batches_equal_collated_single_graphs(moses_slice):
    smiles = pd.read_csv(moses_slice).iloc[:60, 0].tolist()
    smiles[5], smiles[17] = "not a smiles", "C1CC"  # rows that must be left out, not shift the others
    rng = np.random.default_rng(0)
    targets = rng.normal(size=(len(smiles), 7)).astype(np.float32)
    targets[rng.random(targets.shape) < 0.2] = np.nan
    feat, std = MolGraphFeaturizer(), StandardizeConfig()
    shard = featurize_shard(smiles, targets, feat, std)
    assert shard.position[5] == -1 and shard.position[17] == -1 and len(shard.graphs) == 58
    rows = rng.permutation(len(smiles))[:25]
    batch = GraphBatcher(shard.graphs).batch(shard.positions(rows))
    singles = []
    for i in rows:
        rec = to_mol_record(smiles[i], std)
        if rec.ok:
            mask = ~np.isnan(targets[i])
            singles.append(feat(rec.mol).to_pyg(y=torch.from_numpy(np.where(mask, targets[i], 0)[None]),
                                                mask=torch.from_numpy(mask[None])))
    ref = Batch.from_data_list(singles)
    assert batch.num_graphs == ref.num_graphs == len([r for r in rows if r not in (5, 17)])
    for key in ("x", "edge_index", "edge_attr", "batch", "y", "mask"):
        assert torch.equal(getattr(batch, key), getattr(ref, key)), key


def test_visits_cover_every_shard_once_per_epoch_and_resume_mid_epoch():
    full = list(visits(4, seed=3, epoch=0, pos=0, epochs=2))
    assert [v.epoch for v in full] == [0] * 4 + [1] * 4
    assert sorted(v.shard for v in full[:4]) == sorted(v.shard for v in full[4:]) == [0, 1, 2, 3]
    assert list(visits(4, seed=3, epoch=1, pos=2, epochs=2)) == full[6:]


def test_next_shard_featurised_in_a_worker_gives_the_same_shards(moses_slice, tmp_path):
    from molpred.pretrain.cache import build_descriptor_cache, shard_paths
    from molpred.pretrain.descriptors import descriptor_names
    from molpred.pretrain.scaling import DescriptorScaler

    build_descriptor_cache(moses_slice, tmp_path / "cache", None, 120, 40, 1)
    shards = shard_paths(tmp_path / "cache", 120)
    names = descriptor_names()
    scaler = DescriptorScaler.fit(pd.concat([pd.read_parquet(p) for p in shards])[names].to_numpy(np.float32), names)
    args = (shards, names, scaler, MolGraphFeaturizer(), StandardizeConfig())
    plan = list(visits(len(shards), 0, 0, 0, 2))
    here, there = ShardStream(*args, n_jobs=1), ShardStream(*args, n_jobs=2)
    try:
        for (va, a), (vb, b) in zip(here.iterate(plan), there.iterate(plan), strict=True):
            assert va == vb and np.array_equal(a.position, b.position)
            assert np.array_equal(a.graphs.graph_attrs["y"], b.graphs.graph_attrs["y"])
            assert np.array_equal(a.graphs.edge_index, b.graphs.edge_index)
    finally:
        there.close()


def test_run_with_a_featurising_worker_ends_with_the_same_weights(moses_slice, tmp_path):
    args = dict(hidden_size=16, epochs=2, batch_size=16, chunk_size=60, exclude_benchmarks=False,
                max_molecules=120, log_every=5)
    pretrain(moses_slice, tmp_path / "one", n_jobs=1, **args)
    pretrain(moses_slice, tmp_path / "two", n_jobs=2, **args)
    a, b = load_file(str(tmp_path / "one" / "encoder.safetensors")), load_file(str(tmp_path / "two" / "encoder.safetensors"))
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
