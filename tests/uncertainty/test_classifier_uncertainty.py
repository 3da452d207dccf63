"""Calibrated probabilities and conformal prediction sets for classifiers, on real BBBP data.

One fingerprint MLP is trained through ``train_table`` with a scaffold split on 800 BBBP
molecules; the calibration set is a separate scaffold hold-out of the training
part. We check the ``<t>_set`` column, the metrics ``evaluate_table`` reports (ECE, Brier,
set size, coverage), that calibration makes probabilities at least as well calibrated on
the calibration molecules, and a save/load round trip.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from molpred import load
from molpred.workflow import evaluate_table, train_table

COVERAGE = 0.9


@pytest.fixture(scope="module", autouse=True)
def one_torch_thread():
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def bbbp(data_dir) -> pd.DataFrame:
    frame = pd.read_csv(data_dir / "moleculenet" / "BBBP.csv")
    return frame.sample(n=800, random_state=0).reset_index(drop=True)


@pytest.fixture(scope="module")
def trained(bbbp):
    outcome = train_table(bbbp, "smiles", ["p_np"], task="classification", split="scaffold", model="mlp",
                          seed=0, epochs=15, patience=5, device="cpu",
                          coverage=COVERAGE)
    return outcome


@pytest.fixture(scope="module")
def test_part(bbbp, trained):
    from molpred.chem.standardize import StandardizeConfig, to_mol_record
    from molpred.data.splits import make_split

    records = [to_mol_record(s, StandardizeConfig()) for s in bbbp["smiles"]]
    ok = np.flatnonzero([r.ok for r in records])
    part = make_split("scaffold", [records[i].mol for i in ok], bbbp, (0.8, 0.1, 0.1), 0)
    return bbbp.iloc[ok[part.test]].reset_index(drop=True)


def test_calibration_set_is_a_scaffold_holdout(trained):
    est = trained.estimator
    assert est.calibration_split == "scaffold"  # train_table follows its --split
    summary = est.train_summary_
    assert summary["calibration_set"] == "held out (scaffold)"
    assert 45 <= summary["n_calibration"] <= 80  # 10% of ~640 training molecules
    assert est.prob_calibrator_ is not None and est.prob_calibrator_.method == "platt"
    assert len(est.set_predictors_) == 1


def test_set_column_and_evaluate_metrics(trained, test_part):
    est = trained.estimator
    metrics, preds = evaluate_table(est, test_part, "smiles", ["p_np"])
    assert len(preds) == len(test_part)
    assert set(preds["p_np_set"].dropna()) <= {"{0}", "{1}", "{0,1}", "{}"}
    ok = preds["status"] == "ok"
    assert preds.loc[ok, "p_np_set"].notna().all() and preds.loc[~ok, "p_np_set"].isna().all()
    # the set column agrees with the probabilities: {1} only when p is high, {0} when low
    p = preds["p_np"].to_numpy(float)
    ones = (preds["p_np_set"] == "{1}").to_numpy()
    zeros = (preds["p_np_set"] == "{0}").to_numpy()
    assert ones.any() and zeros.any()
    assert p[ones].min() > p[zeros].max()
    u = metrics["uncertainty"]["p_np"]
    for key in ("ece", "brier", "set_coverage", "mean_set_size", "nominal_coverage"):
        assert u[key] is not None, key
    assert u["probabilities"] == "calibrated (platt)"
    assert 0.0 <= u["ece"] < 0.25 and 0.0 < u["brier"] < 0.25
    # LAC sets are empty when neither class is plausible enough; rare at 90% coverage
    assert 0.8 <= u["mean_set_size"] <= 2.0 and u["share_empty"] < 0.2, u
    # ~100 scaffold-split test molecules: sampling and the scaffold shift move coverage
    assert 0.75 <= u["set_coverage"] <= 1.0, u
    # the label inside the set, computed by hand from the column
    y = test_part["p_np"].to_numpy()
    inside = [str(int(lab)) in s.strip("{}").split(",") for lab, s in zip(y[ok], preds.loc[ok, "p_np_set"])]
    assert np.mean(inside) == pytest.approx(u["set_coverage"])


def test_predict_proba_is_calibrated_output(trained, test_part):
    from molpred.predict import member_outputs

    est = trained.estimator
    smiles = test_part["smiles"].tolist()[:30]
    proba = est.predict_proba(smiles)
    fs, _, _ = est._predict_raw(smiles)
    raw = member_outputs(est, fs.data, calibrated=False)[0]
    np.testing.assert_allclose(proba[fs.index, 1], est.prob_calibrator_.transform(raw)[:, 0], rtol=1e-6)
    assert not np.allclose(raw[:, 0], proba[fs.index, 1])  # Platt changed something
    np.testing.assert_allclose(proba.sum(axis=1)[fs.index], 1.0)


def test_classifier_save_load_keeps_sets(trained, test_part, tmp_path):
    est = trained.estimator
    smiles = test_part["smiles"].tolist()
    before = est.predict_frame(smiles)
    est.save(tmp_path / "m")
    again = load(tmp_path / "m")
    after = again.predict_frame(smiles)
    np.testing.assert_allclose(after["p_np"].to_numpy(float), before["p_np"].to_numpy(float), rtol=1e-6)
    assert after["p_np_set"].equals(before["p_np_set"])
