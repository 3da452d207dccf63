"""The activity-cliff triplet term (issue 18, item 6): its values, its gradient, its effect, its settings."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from molpred import MolPropertyClassifier, MolPropertyRegressor
from molpred.train.losses import cliff_triplet_loss


def _col(values) -> torch.Tensor:
    return torch.tensor(values, dtype=torch.float32).reshape(-1, 1)


def test_triplet_costs_by_hand():
    y, mask = _col([0.0, 0.1, 2.0]), torch.ones(3, 1, dtype=torch.bool)
    # all three embeddings equal: anchors 0 and 1 each have one (positive, negative) triplet,
    # costing the difference of their label gaps (2.0 - 0.1 and 1.9 - 0.1); anchor 2 has no positive
    same = torch.zeros(3, 2)
    assert float(cliff_triplet_loss(same, y, mask, 0.2, 1.0)) == pytest.approx((1.9 + 1.8) / 2, abs=1e-4)
    # the cliff partner far enough away costs nothing
    apart = torch.tensor([[0.0, 0.0], [0.0, 0.0], [3.0, 4.0]])
    assert float(cliff_triplet_loss(apart, y, mask, 0.2, 1.0)) == 0.0
    # nothing within `lower` of anything: no positive, no triplet
    assert float(cliff_triplet_loss(same, y, mask, 0.05, 1.0)) == 0.0


def test_unlabelled_rows_and_per_task_thresholds():
    z = torch.zeros(4, 2)
    y = torch.tensor([[0.0, 0.0], [0.1, 0.0], [2.0, 0.0], [2.05, 0.0]])
    mask = torch.tensor([[True, False], [True, False], [True, False], [False, False]])
    # the fourth row is unlabelled: it may not act as a positive of the third
    assert float(cliff_triplet_loss(z, y, mask, 0.2, 1.0)) == pytest.approx(1.85, abs=1e-4)
    # a threshold pair per task: task 0 with lower 0.05 has no positives left
    assert float(cliff_triplet_loss(z, y, mask, [0.05, 0.2], [1.0, 1.0])) == 0.0


def test_gradient_is_finite_and_pushes_the_cliff_apart():
    z = torch.zeros(3, 2, requires_grad=True)
    with torch.no_grad():
        z[2, 0] = 0.1  # the negative sits close to the anchors
    cliff_triplet_loss(z, _col([0.0, 0.1, 2.0]), torch.ones(3, 1, dtype=torch.bool), 0.2, 1.0).backward()
    assert torch.isfinite(z.grad).all()
    assert z.grad[2, 0] < 0  # descending the loss moves the negative further out along +x


def _triplet_cost(est, smiles, y) -> float:
    """The cliff term over all of ``smiles`` in the trained network's embedding (scaled labels)."""
    from molpred.data.featurized import featurize_smiles
    from molpred.inference.forward import as_batches

    fs = featurize_smiles(smiles, est.featurizer_, est.std_config_)
    net = est.members_[0].eval()
    with torch.no_grad():
        z = torch.cat([net.embed(b) for b in as_batches(fs.graphs)])
    scale = float(est.scaler_.std[0])
    labels = _col(y[fs.index] / scale)
    return float(cliff_triplet_loss(z, labels, torch.ones_like(labels, dtype=torch.bool), 0.2 / scale, 1.0 / scale))


def test_training_with_the_term_separates_cliffs_and_still_fits(ace, tmp_path):
    smiles, y = ace
    # every epoch trains (no early stopping) so the comparison is of the two objectives only
    common = dict(model="mlp", epochs=25, seed=0, device="cpu", applicability_domain=False,
                  val_fraction=0.0, calibration_fraction=0.0)
    plain = MolPropertyRegressor(**common).fit(smiles, y)
    aware = MolPropertyRegressor(cliff_weight=1.0, **common).fit(smiles, y)
    assert _triplet_cost(aware, smiles, y) < 0.75 * _triplet_cost(plain, smiles, y)  # 0.62 vs 0.96 when written
    # the regression is still learnt
    assert np.sqrt(np.mean((aware.predict(smiles) - y) ** 2)) < 0.3 * np.std(y)
    # a normal model file: the settings are kept and the loaded model predicts the same
    aware.save(tmp_path / "m")
    params = json.loads((tmp_path / "m" / "model.json").read_text())["params"]
    assert (params["cliff_weight"], params["cliff_lower"], params["cliff_upper"]) == (1.0, 0.2, 1.0)
    import molpred

    assert np.allclose(molpred.load(tmp_path / "m").predict(smiles[:20]), aware.predict(smiles[:20]), atol=1e-6)


def test_bad_cliff_settings_are_refused():
    x, y = ["CCO", "CCN", "CCC"], [1.0, 2.0, 3.0]
    with pytest.raises(ValueError, match="cliff_weight must be a number >= 0"):
        MolPropertyRegressor(cliff_weight=-0.1).fit(x, y)
    with pytest.raises(ValueError, match="0 <= cliff_lower <= cliff_upper"):
        MolPropertyRegressor(cliff_weight=0.1, cliff_lower=1.5, cliff_upper=1.0).fit(x, y)
    with pytest.raises(ValueError, match="regression setting"):
        MolPropertyClassifier(cliff_weight=0.1).fit(x, [0, 1, 1])
    with pytest.raises(ValueError, match="does not take cliff_weight"):
        MolPropertyRegressor(model="gp", cliff_weight=0.1).fit(x, y)


def test_cliff_flags_reach_the_estimator():
    from molpred.cli.main import build_parser
    from molpred.cli.model_cmds import training_controls

    args = build_parser().parse_args(["train", "--data", "x.csv", "--target", "y", "--out", "m",
                                      "--cliff-weight", "0.1", "--cliff-upper", "1.5"])
    assert training_controls(args) == {"cliff_weight": 0.1, "cliff_upper": 1.5}
