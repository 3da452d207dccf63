"""The speed suite compares each molpred model with a peer of its kind, step by step."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from benchmarks.speed import SPEED_PAIRS, _worker, rates


def test_pairs_are_like_for_like():
    assert dict(SPEED_PAIRS) == {"molpred-dmpnn": "chemprop", "molpred-mlp": "sklearn-mlp"}


def test_ratios_divide_by_the_peer_of_the_same_kind_and_exclude_startup():
    rows = []
    for model, scale in (("molpred-dmpnn", 2.0), ("chemprop", 1.0), ("molpred-mlp", 3.0), ("sklearn-mlp", 6.0)):
        rows.append({"model": model, "status": "ok", "n_molecules": 100, "epochs_run": 4, "startup": 10.0 * scale,
                     "setup": 1.0, "featurize": 1.0 / scale, "train": 4.0 / scale, "predict": 2.0 / scale})
    long = rates(pd.DataFrame(rows)).set_index(["model", "step"])
    assert long.loc[("molpred-dmpnn", "train"), "per_s"] == pytest.approx(100 * 4 / 2.0)
    assert long.loc[("molpred-dmpnn", "train"), "x_vs_peer"] == pytest.approx(2.0)
    assert long.loc[("molpred-mlp", "predict"), "x_vs_peer"] == pytest.approx(0.5)  # vs sklearn, not Chemprop
    assert np.isnan(long.loc[("molpred-dmpnn", "startup"), "x_vs_peer"])  # start-up: seconds only
    assert np.isnan(long.loc[("chemprop", "train"), "x_vs_peer"])


@pytest.mark.parametrize("model", ["molpred-mlp", "sklearn-mlp"])
def test_fingerprint_models_train_exactly_the_asked_epochs(model):
    out = _worker(model, 60, 2)
    assert out["epochs_run"] == 2 and out["n_predictions"] == out["n_used"] >= 55
    assert all(out[s] > 0 for s in ("featurize", "train", "predict"))
