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


def test_unknown_model_suggests():
    feat, spec = _spec("dmpnn")
    with pytest.raises(ValueError, match="did you mean 'dmpnn'"):
        build_model(ModelSpec(**{**spec.to_dict(), "arch": "dmpn"}))
