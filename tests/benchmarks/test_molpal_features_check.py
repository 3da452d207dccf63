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


def test_xavier_init_zeroes_biases_and_redraws_matrices():
    import torch

    from benchmarks.molpal_features_check import xavier_init
    from molpred.nn.model import ModelSpec, build_model

    torch.manual_seed(0)
    net = build_model(ModelSpec(arch="dmpnn", d_atom=133, d_bond=14, n_tasks=1))
    before = {n: p.detach().clone() for n, p in net.named_parameters()}
    xavier_init(net)
    for name, p in net.named_parameters():
        if p.dim() == 1:
            assert not p.any(), name
        else:  # Xavier normal: std sqrt(2 / (fan_in + fan_out)), not PyTorch's uniform default
            assert not torch.equal(p, before[name])
            want = (2.0 / sum(p.shape)) ** 0.5
            assert abs(float(p.std()) / want - 1) < 0.2, name


def test_fixed_order_repeats_the_first_draw_per_size():
    import torch

    from benchmarks.molpal_features_check import fixed_order
    from molpred.train.loop import _epoch_order

    order = fixed_order(_epoch_order)
    gen = torch.Generator().manual_seed(0)
    first = order(50, gen)
    assert sorted(first.tolist()) == list(range(50))
    assert all(np.array_equal(order(50, gen), first) for _ in range(3))  # every epoch of one fit
    assert len(order(60, gen)) == 60  # the next round's fit draws its own order
    # the wrapped function still consumes the generator as the shuffling one did
    ref = torch.Generator().manual_seed(0)
    for _ in range(4):  # the first draw and three more epochs
        _epoch_order(50, ref)
    _epoch_order(60, ref)
    assert torch.equal(gen.get_state(), ref.get_state())


def test_summary_groups_last_rounds_by_variant(tmp_path):
    import json

    from benchmarks.molpal_features_check import summary, variant_fields

    rows = []
    for seed, score in [(0, 0.6), (1, 0.7)]:
        for rnd in range(6):
            rows.append({"library": "10k", "seed": seed, "round": rnd, "top100_scores": score * rnd / 5,
                         **variant_fields("chemprop1", xavier=True, fixed=seed == 0)})
    path = tmp_path / "check.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    out = summary(path)
    assert len(out) == 2  # fixed order on seed 0 only: two variants
    assert {tuple(r["scores_pct"]) for r in out} == {(60.0,), (70.0,)}
    assert all(r["init"].startswith("xavier") and r["features"] == "chemprop v1 atom/bond" for r in out)
