"""Benchmark model entries: the standardisation ablation reads SMILES as the peers do."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("torch_geometric")

from benchmarks.models import get_model  # noqa: E402

# a carboxylic acid and its carboxylate, amines and their ammonium salts
NEUTRAL = ["CC(=O)O", "CCC(=O)O", "CCCC(=O)O", "CCN", "CCCN", "CCCCN", "c1ccccc1C(=O)O", "c1ccccc1CN"]
CHARGED = ["CC(=O)[O-]", "CCC(=O)[O-]", "CCCC(=O)[O-]", "CC[NH3+]", "CCC[NH3+]", "CCCC[NH3+]",
           "c1ccccc1C(=O)[O-]", "c1ccccc1C[NH3+]"]


@pytest.mark.parametrize("name, sees_charges", [("mlp", False), ("mlp-nostd", True)])
def test_only_the_nostd_entry_tells_a_charged_form_from_its_neutral_parent(name, sees_charges):
    model = get_model(name).build("regression", 0, 30)
    # the label is the charge state: learnable only from SMILES read as given
    model.fit(NEUTRAL + CHARGED, np.r_[np.zeros(len(NEUTRAL)), np.ones(len(CHARGED))].reshape(-1, 1))
    gap = np.abs(model.predict(CHARGED) - model.predict(NEUTRAL)).ravel()
    assert (gap.min() > 0.1) if sees_charges else np.allclose(gap, 0.0, atol=1e-6)


def test_calibration_report_names_the_model_that_ran():
    from benchmarks.calibration import SETUP, describe_setup

    assert describe_setup(SETUP) == "a deep ensemble of 3 fingerprint MLPs with mean-variance heads"
    gp = describe_setup({"model": "gp", "ensemble": 1, "uncertainty": None, "kernel": "minmax"})
    assert "MLP" not in gp and gp == "one Gaussian process, kernel minmax"
