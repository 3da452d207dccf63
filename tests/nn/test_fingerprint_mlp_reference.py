"""The fingerprint MLP on uint8 records trains and predicts exactly as on float32 log1p records.

References: ``predict_frame`` tables written at edb979a (records were float32 ``log1p`` counts
then) by ``tests/data/mlp_reference/make_reference.py``; compared to 1e-5 (absolute): on the
same machine the numbers are identical, but float32 matrix kernels round differently on other
CPUs (up to 2e-6 measured between two Intel Xeon machines).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import molpred

REF = Path(__file__).parent.parent / "data" / "mlp_reference"
_spec = importlib.util.spec_from_file_location("make_mlp_reference", REF / "make_reference.py")
make_reference = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make_reference)


def _read(name: str) -> pd.DataFrame:
    return pd.read_csv(REF / f"{name}.csv", keep_default_na=False, na_values=[""], float_precision="round_trip")


def _assert_matches(got: pd.DataFrame, expected: pd.DataFrame) -> None:
    assert list(got.columns) == list(expected.columns)
    assert list(got["status"]) == list(expected["status"])
    for col in expected.columns:
        if expected[col].dtype.kind == "f":
            np.testing.assert_allclose(got[col].to_numpy(float), expected[col].to_numpy(float),
                                       rtol=0, atol=1e-5, err_msg=col)


@pytest.mark.parametrize("name", list(make_reference.CONFIGS))
def test_mlp_trains_and_predicts_exactly_as_before(name):
    smiles, y, query = make_reference.reference_data()
    est = make_reference.fit(make_reference.CONFIGS[name], smiles, y)
    _assert_matches(est.predict_frame(query), _read(name))


def test_a_saved_mlp_loads_and_predicts_exactly_as_before():
    est = molpred.load(make_reference.SAVED)
    _assert_matches(est.predict_frame(make_reference.saved_query()), _read("saved_mlp"))
