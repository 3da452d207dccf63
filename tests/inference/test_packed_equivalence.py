"""The packed pipeline predicts and trains as the collated-``Data`` pipeline did.

References: models and ``predict_frame`` tables written on main at a8b41b0 (before the
packed pipeline) by ``tests/data/pipeline_reference/make_reference.py``.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import molpred

REF = Path(__file__).parent.parent / "data" / "pipeline_reference"
_spec = importlib.util.spec_from_file_location("make_reference", REF / "make_reference.py")
make_reference = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make_reference)
NUMERIC = ("y", "y_std", "y_lo", "y_hi", "max_sim_train", "mean_sim_knn")


def _compare(got: pd.DataFrame, expected: pd.DataFrame, atol: float = 1e-5, rtol: float = 0.0) -> None:
    assert list(got.columns) == list(expected.columns)
    assert list(got["status"]) == list(expected["status"])
    for col in NUMERIC:
        if col in expected:
            np.testing.assert_allclose(got[col].to_numpy(float), expected[col].to_numpy(float),
                                       rtol=rtol, atol=atol, err_msg=col)
    if "y_set" in expected:
        assert got["y_set"].fillna("").tolist() == expected["y_set"].fillna("").tolist()


@pytest.mark.parametrize("name", list(make_reference.CONFIGS))
def test_saved_model_predicts_as_before(name):
    expected = pd.read_csv(REF / f"{name}.csv", keep_default_na=False, na_values=[""])
    _, _, query = make_reference.reference_data()
    _compare(molpred.load(REF / name).predict_frame(query), expected)


@pytest.mark.parametrize("name", list(make_reference.CONFIGS))
def test_same_seed_trains_the_same_model_as_before(name):
    expected = pd.read_csv(REF / f"{name}.csv", keep_default_na=False, na_values=[""])
    smiles, y, query = make_reference.reference_data()
    kind, params = make_reference.CONFIGS[name]
    # Retraining on another CPU: float32 rounding differences grow over the epochs (GINE
    # references between two Intel Xeon machines: up to 0.004 in y, 0.7% in the MC-dropout
    # y_std; within 1e-5 on the machine that wrote them). Saved models are still compared at
    # 1e-5 (test_saved_model_predicts_as_before).
    _compare(make_reference.fit(kind, params, smiles, y).predict_frame(query), expected, atol=1e-2, rtol=2e-2)
