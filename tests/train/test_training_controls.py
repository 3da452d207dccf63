"""Training controls: losses (MSE/MAE/Huber/censored), sample and class weights, DeepChem
weights, qualified labels, and the ``molpred train`` flags that set them."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import torch

from molpred import MolPropertyClassifier, MolPropertyRegressor
from molpred.inputs import as_qualified_targets, parse_qualified
from molpred.train.fitting import class_balance_weights
from molpred.train.losses import masked_loss


# ---------------------------------------------------------------- losses
def test_losses_per_entry_values():
    out = torch.tensor([[0.0], [3.0], [1.0]])
    y = torch.tensor([[2.0], [2.0], [1.0]])
    mask = torch.ones(3, 1, dtype=torch.bool)
    assert masked_loss("regression", out, y, mask, loss="mse").item() == pytest.approx((4 + 1 + 0) / 3)
    assert masked_loss("regression", out, y, mask, loss="mae").item() == pytest.approx((2 + 1 + 0) / 3)
    assert masked_loss("regression", out, y, mask, loss="huber").item() == pytest.approx((1.5 + 0.5 + 0) / 3)
    w = torch.tensor([[0.0], [1.0], [1.0]])  # weight 0 removes the first row
    assert masked_loss("regression", out, y, mask, w, loss="mse").item() == pytest.approx(0.5)


def test_censored_loss_penalises_only_the_wrong_side_of_a_bound():
    y = torch.tensor([[2.0], [2.0]])
    mask = torch.ones(2, 1, dtype=torch.bool)
    lower = torch.tensor([[1.0], [1.0]])  # ">2": the true value is at least 2
    upper = -lower  # "<2"
    above, below = torch.tensor([[3.0], [3.0]]), torch.tensor([[1.0], [1.0]])
    assert masked_loss("regression", above, y, mask, loss="censored", qual=lower).item() == 0.0
    assert masked_loss("regression", below, y, mask, loss="censored", qual=lower).item() == pytest.approx(1.0)
    assert masked_loss("regression", below, y, mask, loss="censored", qual=upper).item() == 0.0
    assert masked_loss("regression", above, y, mask, loss="censored", qual=upper).item() == pytest.approx(1.0)
    exact = torch.zeros(2, 1)
    assert masked_loss("regression", above, y, mask, loss="censored", qual=exact).item() == pytest.approx(1.0)


# ---------------------------------------------------------------- qualified labels
@pytest.mark.parametrize("text, expected", [
    (">10 uM", (5.0, -1)), ("<5", (5.0, -1)), (">=7.5", (7.5, 1)), ("100 nM", (7.0, 0)),
    ("<1µM", (6.0, 1)), (6.2, (6.2, 0)), ("", (np.nan, 0)), ("~5", (5.0, 0)),
])
def test_parse_qualified(text, expected):
    value, qual = parse_qualified(text)
    assert qual == expected[1]
    assert (np.isnan(value) and np.isnan(expected[0])) or value == pytest.approx(expected[0])


def test_unparsable_labels_name_the_row():
    with pytest.raises(ValueError, match="row 1.*'active'"):
        as_qualified_targets(pd.Series(["5", "active", "6"]), 3)
    with pytest.raises(ValueError, match="unknown unit"):
        parse_qualified("5 kg")


def test_censored_training_respects_loose_bounds(ace):
    smiles, y = ace
    # a random third of the labels known only as loose lower bounds, 2 log units below the truth
    loose = np.random.default_rng(0).random(len(y)) < 0.33
    labels = np.where(loose, np.char.add(">", (y - 2.0).round(3).astype(str)), y.round(3).astype(str))
    clipped = np.where(loose, y - 2.0, y)
    common = dict(model="mlp", epochs=15, seed=0, applicability_domain=False)
    naive = MolPropertyRegressor(loss="mse", **common).fit(smiles, clipped).predict(smiles)
    censored_est = MolPropertyRegressor(loss="censored", **common).fit(smiles, labels.tolist())
    censored = censored_est.predict(smiles)
    assert censored_est.train_summary_["n_censored"] > 0
    # read as exact values the bounds drag predictions down; as bounds they do not
    assert np.mean(y[loose] - naive[loose]) > 0.6
    assert np.mean(y[loose] - censored[loose]) < 0.5 * np.mean(y[loose] - naive[loose])


# ---------------------------------------------------------------- weights
def test_zero_weight_rows_do_not_pull_the_model(ace):
    smiles, y = ace
    bad = np.arange(len(y)) % 2 == 0
    corrupted = np.where(bad, y + 4.0, y)
    common = dict(model="mlp", epochs=15, seed=0, applicability_domain=False)
    plain = MolPropertyRegressor(**common).fit(smiles, corrupted).predict(smiles)
    weighted = MolPropertyRegressor(**common).fit(smiles, corrupted, sample_weight=np.where(bad, 0.0, 1.0))
    err_plain = np.abs(plain[~bad] - y[~bad]).mean()
    err_weighted = np.abs(weighted.predict(smiles)[~bad] - y[~bad]).mean()
    assert err_weighted < 0.5 * err_plain
    assert weighted.train_summary_["weighted"]


def test_deepchem_weights_reach_the_loss_as_weights(ace, monkeypatch):
    dc = pytest.importorskip("deepchem")
    import molpred.train.fitting as fitting

    smiles, y = ace
    w = np.where(np.arange(len(y)) % 3 == 0, 0.25, 2.0)[:, None]
    w[0] = 0.0
    seen = {}

    def capture(est, smiles_, y_, names, val, weight=None, qual=None, **kwargs):
        seen.update(y=y_, weight=weight)

    monkeypatch.setattr(fitting, "fit_estimator", capture)
    data = dc.data.NumpyDataset(np.zeros((len(y), 1)), y[:, None], w, ids=np.array(smiles))
    MolPropertyRegressor(model="mlp").fit(data)
    assert np.isnan(seen["y"][0, 0])  # weight 0: missing, as before
    np.testing.assert_array_equal(seen["weight"][1:], w[1:])  # the other weights kept, not 0/1


def test_balanced_class_weights(ace):
    y = np.array([[1, 0], [0, np.nan], [0, 1], [0, 0]], dtype=float)
    w = class_balance_weights(y)
    np.testing.assert_allclose(w[:, 0], [2.0, 2 / 3, 2 / 3, 2 / 3])
    np.testing.assert_allclose(w[[0, 2, 3], 1], [0.75, 1.5, 0.75])
    smiles, act = ace
    labels = (act > np.quantile(act, 0.9)).astype(int)
    common = dict(model="mlp", epochs=10, seed=0, applicability_domain=False)
    plain = MolPropertyClassifier(**common).fit(smiles, labels).predict_proba(smiles)[:, 1]
    balanced = MolPropertyClassifier(class_weight="balanced", **common).fit(smiles, labels).predict_proba(smiles)[:, 1]
    assert balanced[labels == 1].mean() > plain[labels == 1].mean() + 0.15


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match="loss must be one of"):
        MolPropertyRegressor(loss="l1").fit(["CCO", "CCN"], [1.0, 2.0])
    with pytest.raises(ValueError, match="class_weight is for classifiers"):
        MolPropertyRegressor(class_weight="balanced").fit(["CCO", "CCN"], [1.0, 2.0])
    with pytest.raises(ValueError, match="non-negative"):
        MolPropertyRegressor().fit(["CCO", "CCN"], [1.0, 2.0], sample_weight=[1.0, -1.0])
    with pytest.raises(ValueError, match="targets must be numbers"):
        MolPropertyRegressor().fit(["CCO", "CCN"], ["1", ">2"])  # qualified text needs loss="censored"


# ---------------------------------------------------------------- CLI
def test_train_flags_reach_the_model(ace, tmp_path):
    from molpred.cli.main import main

    smiles, y = ace
    frame = pd.DataFrame({"smiles": smiles, "pki": y.round(3).astype(str),
                          "w": np.linspace(0.5, 1.5, len(y))})
    frame.loc[:20, "pki"] = ">" + frame.loc[:20, "pki"]
    frame.loc[21:30, "pki"] = "100 nM"
    data = tmp_path / "t.csv"
    frame.to_csv(data, index=False)
    out = tmp_path / "m"
    code = main(["train", "--data", str(data), "--target", "pki", "--model", "mlp", "--split", "random",
                 "--epochs", "2", "--lr", "3e-4", "--hidden-size", "32", "--depth", "1", "--dropout", "0.2",
                 "--patience", "1", "--val-fraction", "0.2", "--no-standardize", "--weight-col", "w",
                 "--loss", "censored", "--out", str(out)])
    assert code == 0
    cfg = json.loads((out / "model.json").read_text())
    params = cfg["params"]
    assert (params["lr"], params["hidden_size"], params["depth"], params["dropout"], params["patience"]) == \
        (3e-4, 32, 1, 0.2, 1)
    assert params["standardize"] is False and params["loss"] == "censored" and params["val_fraction"] == 0.2
    assert cfg["model_spec"]["hidden"] == 32 and cfg["train_summary"]["weighted"]
    sizes = json.loads((out / "metrics.json").read_text())["sizes"]
    assert sizes == {"train": 168, "val": 48, "test": 24}
    assert main(["evaluate", str(out), str(data), "--target", "pki"]) == 0  # qualified labels read, not scored
    assert main(["train", "--data", str(data), "--target", "pki", "--split-fractions", "0.5,0.5",
                 "--out", str(tmp_path / "x")]) == 2


def test_class_weight_flag(ace, tmp_path):
    from molpred.cli.main import main

    smiles, y = ace
    data = tmp_path / "c.csv"
    pd.DataFrame({"smiles": smiles, "active": (y > np.quantile(y, 0.85)).astype(int)}).to_csv(data, index=False)
    out = tmp_path / "c"
    assert main(["train", "--data", str(data), "--target", "active", "--task", "classification", "--model", "mlp",
                 "--epochs", "2", "--class-weight", "balanced", "--split-fractions", "0.7,0.15,0.15",
                 "--out", str(out)]) == 0
    cfg = json.loads((out / "model.json").read_text())
    assert cfg["params"]["class_weight"] == "balanced" and cfg["train_summary"]["weighted"]
    assert json.loads((out / "metrics.json").read_text())["sizes"]["train"] == 168


def test_flag_mapping_passes_only_given_controls():
    from molpred.cli.main import build_parser
    from molpred.cli.model_cmds import training_controls

    base = ["train", "--data", "x.csv", "--target", "y", "--out", "m"]
    assert training_controls(build_parser().parse_args(base)) == {}
    args = build_parser().parse_args(base + ["--kernel", "minmax", "--patience", "0", "--split-fractions", "0.6,0.2,0.2"])
    assert training_controls(args) == {"kernel": "minmax", "patience": 0, "fractions": (0.6, 0.2, 0.2)}
    with pytest.raises(ValueError, match="disagree"):
        training_controls(build_parser().parse_args(base + ["--split-fractions", "0.6,0.2,0.2", "--val-fraction", "0.1"]))


# ---------------------------------------------------------------- learning-rate schedule
def test_warmup_longer_than_the_run_keeps_the_rate_rising():
    from molpred.train.loop import TrainConfig, _lr_lambda

    default = _lr_lambda(TrainConfig(epochs=50, warmup_epochs=2), steps_per_epoch=10)
    assert default(0) == pytest.approx(0.1) and default(20) == pytest.approx(1.0)
    assert default(499) == pytest.approx(0.1, rel=0.01)  # decayed to lr / 10 at the last step
    molpal = _lr_lambda(TrainConfig(epochs=50, warmup_epochs=100), steps_per_epoch=10)
    rates = [molpal(s) for s in range(500)]
    assert np.all(np.diff(rates) > 0)  # no peak, no decay within the run
    assert rates[250] == pytest.approx(0.1 + 0.9 * 250 / 1000) and rates[-1] < 0.55


def test_warmup_epochs_reach_training_and_are_validated(ace, monkeypatch):
    import molpred.train.fitting as fitting

    seen = []
    real = fitting.fit_network
    monkeypatch.setattr(fitting, "fit_network", lambda *a, **k: seen.append(a[4].warmup_epochs) or real(*a, **k))
    smiles, y = ace
    MolPropertyRegressor(model="dmpnn", epochs=1, warmup_epochs=7.5, hidden_size=32, device="cpu",
                         calibration_fraction=0.0, applicability_domain=False).fit(smiles[:60], y[:60])
    assert seen == [7.5]
    with pytest.raises(ValueError, match="warmup_epochs must be a number >= 0"):
        MolPropertyRegressor(warmup_epochs=-1).fit(smiles[:60], y[:60])
