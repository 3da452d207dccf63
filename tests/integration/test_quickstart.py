from __future__ import annotations

import numpy as np
import pandas as pd

import molpred
from molpred.quickstart import run_quickstart


def test_quickstart_trains_on_bundled_data_offline(tmp_path):
    res = run_quickstart(tmp_path, target="CHEMBL2835_Ki", model="mlp", epochs=3)
    m = res.metrics
    assert m["n_train"] > 400 and m["n_test"] > 100
    assert 0 < m["rmse"] < 3 and np.isfinite(m["rmse_cliff"])
    preds = pd.read_csv(tmp_path / "test_predictions.csv")
    assert len(preds) == m["n_test"] and (preds["status"] == "ok").all()
    assert molpred.load(res.model_dir).predict(["CCO"]).shape == (1,)
