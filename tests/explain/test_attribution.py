"""Integrated-gradients atom attributions: they find the atoms a synthetic target depends on."""

from __future__ import annotations

import copy
import warnings

import numpy as np
import pandas as pd
import pytest
from rdkit import Chem

torch = pytest.importorskip("torch")

from molpred.estimators import MolPropertyClassifier, MolPropertyRegressor  # noqa: E402
from molpred.exceptions import NotFittedError  # noqa: E402
from molpred.explain import AtomAttribution, atom_attributions  # noqa: E402

DATA = "datasets/moleculeace/CHEMBL204_Ki.csv"


def _n_count(smiles: str) -> int:
    return sum(a.GetSymbol() == "N" for a in Chem.MolFromSmiles(smiles).GetAtoms())


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    # two OpenMP threads on a shared two-core machine make scatter_add several times slower
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def smiles_n():
    frame = pd.read_csv(DATA)
    smiles = frame["smiles"].tolist()[:300]
    return smiles, np.array([_n_count(s) for s in smiles], dtype=float)


@pytest.fixture(scope="module")
def n_model(smiles_n):
    """D-MPNN trained on y = number of nitrogen atoms (sum readout: the target is a count)."""
    smiles, y = smiles_n
    est = MolPropertyRegressor(model="dmpnn", hidden_size=64, ffn_hidden_size=64, readout="sum",
                               epochs=40, batch_size=16, lr=3e-3, seed=0, device="cpu")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.fit(smiles[:250], y[:250])
    return est


@pytest.fixture(scope="module")
def n_explanations(n_model, smiles_n):
    smiles, _ = smiles_n
    return atom_attributions(n_model, smiles[250:], n_steps=128)  # completeness within 3%: enough steps


def _tiny(cls=MolPropertyRegressor, **params):
    frame = pd.read_csv(DATA)
    smiles = frame["smiles"].tolist()[300:340]
    y = np.array([_n_count(s) for s in smiles], dtype=float)
    if cls is MolPropertyClassifier:
        y = (y >= np.median(y)).astype(float)
    defaults = dict(hidden_size=32, ffn_hidden_size=32, epochs=2, batch_size=16, seed=0, device="cpu")
    defaults.update(params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return cls(**defaults).fit(smiles, y), smiles[:6]


def _assert_complete(expl: list[AtomAttribution], rel: float = 0.03, abs_tol: float = 0.02) -> None:
    for a in expl:
        delta = a.prediction - a.baseline_prediction
        assert abs(a.completeness_gap) <= rel * abs(delta) + abs_tol, (a.smiles, a.completeness_gap, delta)


def test_attribution_mass_falls_on_nitrogens(n_explanations):
    n_means, other_means, top_precision, top1 = [], [], [], []
    for a in n_explanations:
        assert a.ok
        is_n = np.array([atom.GetSymbol() == "N" for atom in a.mol.GetAtoms()])
        n_means.append(a.weights[is_n].mean())
        other_means.append(a.weights[~is_n].mean())
        ranked = np.argsort(-a.weights)
        top_precision.append(is_n[ranked[: is_n.sum()]].mean())
        top1.append(is_n[ranked[0]])
    # each nitrogen adds one unit to the target; other atoms add nothing
    assert np.mean(n_means) - np.mean(other_means) > 0.25
    assert np.mean(top1) >= 0.8  # the top atom is a nitrogen in most molecules
    assert np.mean(top_precision) >= 0.7  # the k top atoms (k = number of N) are mostly nitrogens


def test_completeness_and_prediction(n_model, n_explanations, smiles_n):
    smiles, _ = smiles_n
    _assert_complete(n_explanations)
    pred = n_model.predict(smiles[250:])
    np.testing.assert_allclose([a.prediction for a in n_explanations], pred, rtol=1e-4, atol=1e-4)
    # attributions are in target units: the scaler's std is applied (it is far from 1 here)
    assert n_model.scaler_.std[0] > 1.5
    deltas = np.array([a.prediction - a.baseline_prediction for a in n_explanations])
    sums = np.array([a.weights.sum() for a in n_explanations])
    assert np.corrcoef(deltas, sums)[0, 1] > 0.999


def test_more_steps_close_the_gap(n_model, smiles_n):
    smiles, _ = smiles_n
    few = atom_attributions(n_model, smiles[250:260], n_steps=2)
    many = atom_attributions(n_model, smiles[250:260], n_steps=64)
    assert np.mean([abs(a.completeness_gap) for a in many]) < np.mean([abs(a.completeness_gap) for a in few])


def test_atoms_follow_standardised_smiles(n_explanations):
    for a in n_explanations[:10]:
        reparsed = Chem.MolFromSmiles(a.smiles_std)
        assert [x.GetSymbol() for x in reparsed.GetAtoms()] == [x.GetSymbol() for x in a.mol.GetAtoms()]
        assert len(a.weights) == a.mol.GetNumAtoms()


def test_invalid_rows_are_kept(n_model):
    inputs = ["not a smiles", "", "CCN", "C1CC", "[H][H]", None, "c1ccccc1N"]
    out = atom_attributions(n_model, inputs)
    assert [a.row for a in out] == list(range(len(inputs)))
    assert [a.ok for a in out] == [False, False, True, False, False, False, True]
    bad = out[0]
    assert bad.status == "invalid_smiles" and bad.weights is None and np.isnan(bad.prediction)
    assert np.isnan(bad.completeness_gap)
    assert out[2].weights.shape == (3,)
    assert atom_attributions(n_model, []) == []


def test_single_string_is_one_input(n_model):
    out = atom_attributions(n_model, "CCN")
    assert len(out) == 1 and out[0].ok


def test_argument_errors(n_model):
    with pytest.raises(ValueError, match="did you mean 'integrated_gradients'"):
        atom_attributions(n_model, ["CCN"], method="integrated_gradient")
    with pytest.raises(ValueError, match="unknown target"):
        atom_attributions(n_model, ["CCN"], target="pKi")
    with pytest.raises(ValueError, match="out of range"):
        atom_attributions(n_model, ["CCN"], target=3)
    with pytest.raises(ValueError, match="n_steps"):
        atom_attributions(n_model, ["CCN"], n_steps=0)
    with pytest.raises(NotFittedError):
        atom_attributions(MolPropertyRegressor(), ["CCN"])


def test_ensemble_averages_members():
    est, smiles = _tiny(ensemble=2)
    both = atom_attributions(est, smiles, n_steps=16)
    singles = []
    for member in est.members_:
        one = copy.copy(est)
        one.members_ = [member]
        singles.append(atom_attributions(one, smiles, n_steps=16))
    for k, a in enumerate(both):
        np.testing.assert_allclose(a.weights, (singles[0][k].weights + singles[1][k].weights) / 2, atol=1e-6)
        assert a.prediction == pytest.approx((singles[0][k].prediction + singles[1][k].prediction) / 2)
    _assert_complete(both)


@pytest.mark.parametrize("arch", ["gine", "attentivefp", "mlp"])
def test_other_architectures_are_complete(arch):
    est, smiles = _tiny(model=arch, epochs=3)
    out = atom_attributions(est, smiles)
    assert all(a.ok and len(a.weights) == a.mol.GetNumAtoms() for a in out)
    _assert_complete(out, rel=0.05, abs_tol=0.05)
    np.testing.assert_allclose([a.prediction for a in out], est.predict(smiles), rtol=1e-4, atol=1e-4)


def test_classifier_attributes_probability():
    est, smiles = _tiny(MolPropertyClassifier)
    out = atom_attributions(est, smiles)
    proba = est.predict_proba(smiles)[:, 1]
    np.testing.assert_allclose([a.prediction for a in out], proba, rtol=1e-4, atol=1e-5)
    assert all(0.0 <= a.baseline_prediction <= 1.0 for a in out)
    _assert_complete(out, abs_tol=0.01)


def test_mean_variance_head_explains_the_mean():
    est, smiles = _tiny(uncertainty="mve")
    out = atom_attributions(est, smiles)
    np.testing.assert_allclose([a.prediction for a in out], est.predict(smiles), rtol=1e-4, atol=1e-4)
    _assert_complete(out)
