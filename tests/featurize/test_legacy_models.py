"""A model directory written before molgraph version 2 (featurizer version 1, saved by molpred at
commit 09ec215) still loads and predicts identically."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

import molpred

LEGACY = Path(__file__).parent.parent / "data" / "legacy"


def test_version_1_model_loads_and_predicts_identically():
    model = molpred.load(LEGACY / "molgraph_v1_model")
    assert model.featurizer_.version == 1 and model.featurizer_.d_atom == 46
    expected = pd.read_csv(LEGACY / "molgraph_v1_expected.csv", keep_default_na=False, na_values=[""])
    got = model.predict_frame(expected["smiles"].tolist())
    assert list(got["status"]) == list(expected["status"])
    for col in ("y", "y_std", "y_lo", "y_hi", "max_sim_train"):
        np.testing.assert_allclose(got[col].to_numpy(float), expected[col].to_numpy(float), rtol=0, atol=1e-5,
                                   err_msg=col)
    # a new model of the same architecture uses version 2
    assert molpred.featurize.get_featurizer("molgraph").version == 2
