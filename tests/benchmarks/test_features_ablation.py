"""The features ablation pairs targets finished by both models and ignores older or failed rows."""

from __future__ import annotations

import pandas as pd
import pytest

from benchmarks.features_ablation import ablation_markdown, paired_rows


def _row(task, model, rmse, cliff, ts="2026-12-01T08:00:00+00:00", status="ok", n_train=100):
    return {"task": task, "model": model, "seed": 0, "status": status, "timestamp": ts, "rmse": rmse,
            "rmse_cliff": cliff, "n_train": n_train, "n_test": 25, "train_time_s": 10.0}


def test_pairs_only_common_ok_targets_from_the_rerun():
    results = pd.DataFrame([
        _row("a", "molpred-dmpnn", 0.9, 1.0, ts="2026-11-20T00:00:00+00:00"),  # featurizer v1 era: ignored
        _row("a", "molpred-dmpnn", 0.8, 0.9),
        _row("b", "molpred-dmpnn", 0.7, 0.8),
        _row("c", "molpred-dmpnn", 0.6, 0.7, status="error"),
        _row("a", "svm", 0.75, 0.85, ts="2026-11-20T00:00:00+00:00"),  # context rows may be older
        _row("a", "molpred-dmpnn-feat", 0.7, 0.95, n_train=300),
        _row("b", "molpred-dmpnn-feat", 0.72, 0.7, n_train=50),
        _row("c", "molpred-dmpnn-feat", 0.5, 0.5),
        _row("a", "molpred-mlp", 0.7, 0.8, ts="2026-11-24T00:00:00+00:00"),  # older code: not paired
        _row("a", "molpred-mlp-feat", 0.6, 0.7),
    ])
    rows = paired_rows(results, "molpred-dmpnn", "molpred-dmpnn-feat")
    assert rows.index.tolist() == ["b", "a"]  # smallest training set first; c failed for the base
    assert rows.loc["a", "rmse_base"] == 0.8 and rows.loc["a", "rmse_diff"] == pytest.approx(-0.1)
    assert rows.loc["a", "rmse_svm"] == 0.75 and pd.isna(rows.loc["b", "rmse_svm"])
    assert paired_rows(results, "molpred-mlp", "molpred-mlp-feat").empty
    text = ablation_markdown(results, "python -m benchmarks.features_ablation ...")
    assert "| **mean (2)** | | **0.750** | **0.710** | **-0.040** |" in text
    assert "lower RMSE on 1 of 2 targets" in text
    assert "Paired on the 0 targets both runs had finished (1 finished by `molpred-mlp-feat`)" in text
