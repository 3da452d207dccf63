from __future__ import annotations

import pytest
import torch
from rdkit import Chem
from torch_geometric.data import Batch

from molpred.featurize import FingerprintFeaturizer, MolGraphFeaturizer
from molpred.nn import ModelSpec, build_model, list_models

SMILES = ["CCO", "c1ccccc1C(=O)O", "C", "CC(C)Cc1ccc(C(C)C(=O)O)cc1"]


def _batch(featurizer, smiles=SMILES):
    return Batch.from_data_list([featurizer(Chem.MolFromSmiles(s)).to_pyg() for s in smiles])


def _spec(arch, **kw):
    feat = FingerprintFeaturizer() if arch == "mlp" else MolGraphFeaturizer()
    return feat, ModelSpec(arch=arch, d_atom=feat.d_atom, d_bond=feat.d_bond, n_tasks=3, hidden=32, depth=3, **kw)


@pytest.mark.parametrize("arch", list_models())
def test_forward_shapes(arch):
    feat, spec = _spec(arch, readout="none" if arch in ("mlp", "attentivefp") else "mean")
    model = build_model(spec).eval()
    out = model(_batch(feat))
    assert out.shape == (4, 3) and torch.isfinite(out).all()
    mve = build_model(ModelSpec(**{**spec.to_dict(), "mve": True})).eval()
    out = mve(_batch(feat))
    assert out.shape == (4, 3, 2) and (out[..., 1] > 0).all()


@pytest.mark.parametrize("arch", ["dmpnn", "gine", "attentivefp"])
def test_atom_order_does_not_change_prediction(arch):
    feat, spec = _spec(arch, readout="none" if arch == "attentivefp" else "sum")
    torch.manual_seed(0)
    model = build_model(spec).eval()
    mol = Chem.MolFromSmiles("CC(C)Cc1ccc(C(C)C(=O)O)cc1")
    order = list(range(mol.GetNumAtoms()))[::-1]
    shuffled = Chem.RenumberAtoms(mol, order)
    a = model(Batch.from_data_list([feat(mol).to_pyg()]))
    b = model(Batch.from_data_list([feat(shuffled).to_pyg()]))
    assert torch.allclose(a, b, atol=1e-5)


def test_dmpnn_batching_equals_single():
    feat, spec = _spec("dmpnn")
    torch.manual_seed(0)
    model = build_model(spec).eval()
    together = model(_batch(feat))
    alone = torch.cat([model(_batch(feat, [s])) for s in SMILES])
    assert torch.allclose(together, alone, atol=1e-5)


def test_dmpnn_training_and_inference_paths_agree_with_the_definition():
    """Training subtracts the reverse bond out of place, inference in place: same numbers, and
    the gradient is that of the D-MPNN written out bond by bond."""
    feat, spec = _spec("dmpnn")
    torch.manual_seed(0)
    enc = build_model(spec).eval().encoder
    data = _batch(feat)
    with torch.no_grad():
        inferred = enc(data.x, data.edge_index, data.edge_attr)
    x = data.x.clone().requires_grad_(True)
    trained = enc(x, data.edge_index, data.edge_attr)
    assert torch.equal(trained.detach(), inferred)

    # the definition: m(u->v) = sum of h(w->u) over bonds into u, except the reverse bond v->u
    src, dst = data.edge_index.tolist()
    x_ref = data.x.clone().requires_grad_(True)
    h0 = enc.W_i(torch.cat([x_ref[src], data.edge_attr], dim=1))
    h = torch.relu(h0)
    for _ in range(enc.depth - 1):
        m = torch.stack([sum((h[j] for j in range(len(src)) if dst[j] == src[e] and src[j] != dst[e]),
                             torch.zeros(h.shape[1])) for e in range(len(src))])
        h = torch.relu(h0 + enc.W_h(m))
    into = torch.stack([sum((h[e] for e in range(len(src)) if dst[e] == a), torch.zeros(h.shape[1]))
                        for a in range(x_ref.shape[0])])
    reference = torch.relu(enc.W_o(torch.cat([x_ref, into], dim=1)))
    assert torch.allclose(trained, reference, atol=1e-5)
    (g,) = torch.autograd.grad(trained.square().sum(), x)
    (g_ref,) = torch.autograd.grad(reference.square().sum(), x_ref)
    assert torch.allclose(g, g_ref, atol=1e-4)


def test_unknown_model_suggests():
    feat, spec = _spec("dmpnn")
    with pytest.raises(ValueError, match="did you mean 'dmpnn'"):
        build_model(ModelSpec(**{**spec.to_dict(), "arch": "dmpn"}))


def _encoder_only_dropout(model):
    """Silence the head's dropout, so any MC spread must come from the encoder."""
    for m in model.head.modules():
        if isinstance(m, torch.nn.Dropout):
            m.p = 0.0
    return model


@pytest.mark.parametrize("arch", list_models())
def test_mc_dropout_reaches_every_encoder(arch):
    from molpred.inference.forward import predict_network

    feat, spec = _spec(arch, readout="none" if arch in ("mlp", "attentivefp") else "mean", dropout=0.3)
    torch.manual_seed(0)
    model = _encoder_only_dropout(build_model(spec))
    data = [feat(Chem.MolFromSmiles(s)).to_pyg() for s in SMILES]
    plain = [predict_network(model, data, torch.device("cpu")) for _ in range(2)]
    assert (plain[0] == plain[1]).all()  # eval mode is deterministic
    torch.manual_seed(1)
    mc = [predict_network(model, data, torch.device("cpu"), dropout=True) for _ in range(2)]
    assert abs(mc[0] - mc[1]).max() > 1e-4, f"MC dropout passes are identical for {arch}"
    after = predict_network(model, data, torch.device("cpu"))
    assert (after == plain[0]).all()  # the next plain prediction is deterministic again


def test_mc_dropout_freezes_batchnorm():
    from molpred.inference.forward import predict_network

    feat, spec = _spec("gine", readout="mean", dropout=0.3)
    torch.manual_seed(0)
    model = build_model(spec)
    norms = [m for m in model.modules() if isinstance(m, torch.nn.BatchNorm1d)]
    assert norms
    before = [(n.running_mean.clone(), n.num_batches_tracked.clone()) for n in norms]
    data = [feat(Chem.MolFromSmiles(s)).to_pyg() for s in SMILES]
    predict_network(model, data, torch.device("cpu"), dropout=True)
    for n, (mean, count) in zip(norms, before):
        assert not n.training
        assert torch.equal(n.running_mean, mean) and torch.equal(n.num_batches_tracked, count)
