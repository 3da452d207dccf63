"""The descriptor-kernel screen's summary picks (w, ls) by likelihood, never by test error."""

from __future__ import annotations

import pytest

from benchmarks.desc_kernel_screen import summary


def test_summary_chooses_by_marginal_likelihood_not_by_test_rmse():
    rec = {"task": "t", "n": 10, "res": [
        {"ls": 1.0, "w": 0.0, "lml": -10.0, "rmse": 0.8, "cliff": 0.9},
        {"ls": 1.0, "w": 0.1, "lml": -5.0, "rmse": 0.7, "cliff": 0.8},   # best likelihood
        {"ls": 2.0, "w": 0.5, "lml": -20.0, "rmse": 0.1, "cliff": 0.1},  # best test error: must not be chosen
    ]}
    out = summary([rec, rec])
    assert out["targets"] == 2
    assert out["multi only (w=0)"] == {"rmse": 0.8, "rmse_cliff": 0.9}
    assert out["w, ls by likelihood"]["rmse"] == pytest.approx(0.7)
    assert out["targets_lower"] == {"rmse": 2, "cliff": 2}
