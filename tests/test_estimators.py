from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.base import clone

from molpred import MolPropertyClassifier, MolPropertyRegressor
from molpred.exceptions import NotFittedError

from .conftest import ESOL_TARGET


def test_sklearn_params_and_clone():
    est = MolPropertyRegressor(model="gine", epochs=7, seed=3)
    params = est.get_params()
    assert params["model"] == "gine" and params["epochs"] == 7
    est.set_params(epochs=2)
    twin = clone(est)
    assert twin.get_params() == est.get_params() and twin is not est
    assert not hasattr(twin, "members_")


def test_unfitted_predict_raises():
    with pytest.raises(NotFittedError):
        MolPropertyRegressor().predict(["CCO"])


@pytest.mark.parametrize(
    "kwargs, match",
    [({"model": "dmpn"}, "did you mean"), ({"uncertainty": "ensemble"}, "ensemble >= 2"),
     ({"coverage": 1.5}, "coverage")],
)
def test_bad_params_raise_on_fit(kwargs, match):
    with pytest.raises(ValueError, match=match):
        MolPropertyRegressor(**kwargs).fit(["CCO", "CCC"], [1.0, 2.0])


def test_bad_inputs_raise_clearly():
    with pytest.raises(TypeError, match="single string"):
        MolPropertyRegressor().fit("CCO", [1.0])
    with pytest.raises(ValueError, match="must be numbers"):
        MolPropertyRegressor().fit(["CCO", "CCC"], ["a", "b"])
    with pytest.raises(ValueError, match="2 molecules but 3"):
        MolPropertyRegressor().fit(["CCO", "CCC"], [1, 2, 3])
    with pytest.raises(ValueError, match="0 or 1"):
        MolPropertyClassifier().fit(["CCO", "CCC"], [0, 2])
    with pytest.raises(ValueError, match="fewer than 2 usable"):
        with pytest.warns(UserWarning):
            MolPropertyRegressor(epochs=1).fit(["xx", "yy", "CCO"], [1, 2, 3])


def test_predict_shapes_and_invalid_rows(small_regressor):
    pred = small_regressor.predict(["CCO", "garbage", "c1ccccc1"])
    assert pred.shape == (3,) and np.isnan(pred[1]) and np.isfinite(pred[[0, 2]]).all()
    frame = small_regressor.predict_frame(pd.Series(["CCO", None, "C1CC", "[H][H]"]))
    assert frame["status"].tolist() == ["ok", "empty", "invalid_smiles", "unsupported"]
    assert list(frame.columns[:3]) == ["smiles", "smiles_std", "logS"]
    assert frame["error"].iloc[0] == "" and "parse" in frame["error"].iloc[2]
    assert {"logS_lo", "logS_hi", "max_sim_train", "in_domain"} <= set(frame.columns)
    ok = frame.iloc[0]
    assert ok["logS_lo"] < ok["logS"] < ok["logS_hi"]


def test_same_seed_same_model(esol):
    sub = esol.iloc[:80]
    kw = dict(model="dmpnn", hidden_size=32, epochs=2, seed=5)
    a = MolPropertyRegressor(**kw).fit(sub["smiles"], sub[ESOL_TARGET]).predict(sub["smiles"][:10])
    b = MolPropertyRegressor(**kw).fit(sub["smiles"], sub[ESOL_TARGET]).predict(sub["smiles"][:10])
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_multitask_with_missing_labels(data_dir):
    tox = pd.read_csv(data_dir / "moleculenet" / "tox21.csv").iloc[:200]
    tasks = ["NR-AR", "NR-AhR", "SR-MMP"]
    assert tox[tasks].isna().any().any()
    est = MolPropertyClassifier(model="mlp", epochs=3).fit(tox["smiles"], tox[tasks])
    proba = est.predict_proba(tox["smiles"][:5])
    assert proba.shape == (5, 3) and ((proba >= 0) & (proba <= 1)).all()
    assert est.target_names_ == tasks
    labels = est.predict(["CCO", "bad"])
    assert labels.shape == (2, 3) and (labels[1] == -1).all()


def test_single_task_classifier_predict_proba(data_dir):
    bbbp = pd.read_csv(data_dir / "moleculenet" / "BBBP.csv").iloc[:150]
    est = MolPropertyClassifier(model="mlp", epochs=3).fit(bbbp["smiles"], bbbp["p_np"])
    proba = est.predict_proba(bbbp["smiles"][:4])
    assert proba.shape == (4, 2)
    np.testing.assert_allclose(proba.sum(1), 1.0)
    assert set(np.unique(est.predict(bbbp["smiles"][:20]))) <= {0, 1}


def test_deepchem_interop(esol):
    from molpred.interop import DeepChemModel, dc, to_deepchem_dataset

    sub = esol.iloc[:120]
    ds = to_deepchem_dataset(sub["smiles"].tolist(), sub[ESOL_TARGET].to_numpy())
    est = MolPropertyRegressor(model="mlp", epochs=3).fit(ds)  # molpred takes a DeepChem dataset
    assert est.target_names_ == ["task_0"] and est.train_summary_["n_input"] == 120
    wrapped = DeepChemModel(MolPropertyRegressor(model="mlp", epochs=3))
    wrapped.fit(ds)
    scores = wrapped.evaluate(ds, [dc.metrics.Metric(dc.metrics.rms_score)])
    direct = np.sqrt(np.mean((wrapped.estimator.predict(sub["smiles"]) - sub[ESOL_TARGET]) ** 2))
    assert scores["rms_score"] == pytest.approx(direct, rel=1e-6)
    assert wrapped.predict(ds).shape == (120, 1)


_HOSTILE = st.one_of(st.none(), st.text(max_size=40), st.sampled_from(["CCO", "c1ccccc1", "[Na+].[Cl-]", "C" * 300, "\x00", "C1CC"]))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batch=st.lists(_HOSTILE, min_size=1, max_size=12))
def test_predict_frame_accounts_for_every_hostile_row(small_regressor, batch):
    frame = small_regressor.predict_frame(batch)
    assert len(frame) == len(batch)
    assert frame["smiles"].tolist() == batch
    ok = frame["status"] == "ok"
    assert frame.loc[ok, "logS"].notna().all() and frame.loc[~ok, "logS"].isna().all()
    assert (frame.loc[~ok, "error"].str.len() > 0).all()
