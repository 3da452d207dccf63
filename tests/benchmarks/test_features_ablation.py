"""The features ablation pairs targets finished by both models and ignores older or failed rows."""

from __future__ import annotations

import pandas as pd
import pytest

from benchmarks.features_ablation import ablation_markdown, paired_rows


def _row(task, model, rmse, cliff, ts="2026-12-01T08:00:00+00:00", status="ok", n_train=100):
    return {"task": task, "model": model, "seed": 0, "status": status, "timestamp": ts, "rmse": rmse,
            "rmse_cliff": cliff, "n_train": n_train, "n_test": 25, "train_time_s": 10.0}


def test_pairs_only_common_ok_targets_from_the_v2_rerun():
    base = pd.DataFrame([
        _row("a", "molpred-dmpnn", 0.9, 1.0, ts="2026-11-20T00:00:00+00:00"),  # featurizer v1 era: ignored
        _row("a", "molpred-dmpnn", 0.8, 0.9),
        _row("b", "molpred-dmpnn", 0.7, 0.8),
        _row("c", "molpred-dmpnn", 0.6, 0.7, status="error"),
        _row("a", "svm", 0.75, 0.85),
    ])
    feat = pd.DataFrame([_row("a", "molpred-dmpnn-feat", 0.7, 0.95, n_train=300),
                         _row("b", "molpred-dmpnn-feat", 0.72, 0.7, n_train=50),
                         _row("c", "molpred-dmpnn-feat", 0.5, 0.5)])
    rows = paired_rows(base, feat)
    assert rows.index.tolist() == ["b", "a"]  # smallest training set first; c failed for the base
    assert rows.loc["a", "rmse_base"] == 0.8 and rows.loc["a", "rmse_diff"] == pytest.approx(-0.1)
    assert rows.loc["a", "rmse_svm"] == 0.75 and pd.isna(rows.loc["b", "rmse_svm"])
    text = ablation_markdown(rows, 3, "python -m benchmarks.features_ablation ...")
    assert "| **mean (2)** | | **0.750** | **0.710** | **-0.040** |" in text
    assert "lower RMSE on 1 of 2 targets" in text
