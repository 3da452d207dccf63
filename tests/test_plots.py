"""Evaluation figures: the right files are written, they are real PNGs, and the CLI writes them."""

from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from molpred.plots import (
    calibration_plot,
    error_vs_uncertainty_plot,
    evaluation_plots,
    parity_plot,
    roc_plot,
)

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
ESOL_TARGET = "measured log solubility in mols per litre"


def assert_png(path) -> None:
    from matplotlib.image import imread

    assert path.read_bytes()[:8] == PNG_MAGIC, path
    img = imread(path)
    assert img.ndim == 3 and img.shape[0] > 200 and img.shape[1] > 200
    assert img[..., :3].std() > 0.01, f"{path.name} is blank"


def _regression_tables(n: int = 80, with_std: bool = True, with_interval: bool = True, seed: int = 0):
    rng = np.random.default_rng(seed)
    y = rng.normal(size=n)
    std = rng.uniform(0.2, 1.0, size=n)
    mean = y + rng.normal(size=n) * std
    frame = pd.DataFrame({"smiles": ["C"] * n, "measured": y})
    preds = pd.DataFrame({"smiles": ["C"] * n, "logS": mean})
    if with_std:
        preds["logS_std"] = std
    if with_interval:
        preds["logS_lo"], preds["logS_hi"] = mean - 1.645 * std, mean + 1.645 * std
        preds.loc[3, "logS_hi"] = np.inf  # too few calibration points: no bar, still plotted
    preds.loc[5, ["logS"] + [c for c in preds if c.startswith("logS_")]] = np.nan  # failed row
    preds["status"] = "ok"
    return frame, preds


def test_regression_with_uncertainty_writes_three_pngs(tmp_path):
    est = SimpleNamespace(target_names_=["logS"], _task="regression")
    frame, preds = _regression_tables()
    paths = evaluation_plots(est, frame, preds, ["measured"], tmp_path / "plots")
    assert [p.name for p in paths] == [
        "parity_measured.png", "calibration_measured.png", "error_vs_uncertainty_measured.png"
    ]
    for p in paths:
        assert p.parent == tmp_path / "plots"
        assert_png(p)


def test_targets_default_to_model_names_and_no_std_means_parity_only(tmp_path):
    est = SimpleNamespace(target_names_=["logS"], _task="regression")
    frame, preds = _regression_tables(with_std=False, with_interval=False)
    frame = frame.rename(columns={"measured": "logS"})
    paths = evaluation_plots(est, frame, preds, None, tmp_path)
    assert [p.name for p in paths] == ["parity_logS.png"]
    assert_png(paths[0])


def test_classification_writes_roc_per_target_with_safe_names(tmp_path):
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, size=(60, 2)).astype(float)
    y[0, 1] = np.nan
    proba = np.clip(0.3 * y + rng.uniform(0, 0.7, size=y.shape), 0, 1)
    est = SimpleNamespace(target_names_=["NR-AR", "SR/ARE"], _task="classification")
    frame = pd.DataFrame({"smiles": ["C"] * 60, "NR-AR": y[:, 0], "SR/ARE": y[:, 1]})
    preds = pd.DataFrame({"NR-AR": proba[:, 0], "SR/ARE": np.nan_to_num(proba[:, 1], nan=0.5)})
    paths = evaluation_plots(est, frame, preds, None, tmp_path)
    assert [p.name for p in paths] == ["roc_NR-AR.png", "roc_SR_ARE.png"]
    for p in paths:
        assert_png(p)


def test_mismatched_inputs_raise(tmp_path):
    est = SimpleNamespace(target_names_=["logS"], _task="regression")
    frame, preds = _regression_tables()
    with pytest.raises(ValueError, match="rows"):
        evaluation_plots(est, frame.iloc[:10], preds, ["measured"], tmp_path)
    with pytest.raises(ValueError, match="targets"):
        evaluation_plots(est, frame, preds, ["measured", "other"], tmp_path)


def test_axes_functions_draw_and_skip_nan():
    from matplotlib.figure import Figure

    from molpred.uncertainty import calibration_curve

    fig = Figure()
    axes = fig.subplots(2, 2).ravel()
    y = np.array([0.0, 1.0, 2.0, np.nan, 4.0])
    pred = np.array([0.1, 0.9, np.nan, 3.0, 4.2])
    std = np.array([0.2, 0.2, 0.3, 0.1, 0.4])
    assert parity_plot(axes[0], y, pred, pred - 1, pred + 1) is axes[0]
    assert len(axes[0].collections[-1].get_offsets()) == 3  # the three finite pairs
    assert "in interval = 100.0%" in axes[0].texts[0].get_text()
    ok = np.isfinite(y) & np.isfinite(pred)
    exp, obs = calibration_curve(y[ok], pred[ok], std[ok], n_bins=10)
    calibration_plot(axes[1], exp, obs)
    assert "miscalibration area" in axes[1].get_legend().get_texts()[0].get_text()
    error_vs_uncertainty_plot(axes[2], np.abs(y - pred), std)
    labels = [t.get_text() for t in axes[2].get_legend().get_texts()]
    assert any(t.startswith("Spearman") for t in labels)
    roc_plot(axes[3], np.array([0, 1, 1, 0, np.nan]), np.array([0.2, 0.8, 0.6, 0.4, 0.5]))
    assert "ROC-AUC = 1.000" in axes[3].get_legend().get_texts()[1].get_text()


def test_calibration_plot_area_matches_metric():
    from matplotlib.figure import Figure

    from molpred.uncertainty import calibration_curve, miscalibration_area

    rng = np.random.default_rng(0)
    y = rng.normal(size=500)
    std = np.full(500, 0.5)  # overconfident by a factor 2
    ax = Figure().subplots()
    calibration_plot(ax, *calibration_curve(y, np.zeros(500), std, n_bins=100))
    text = ax.get_legend().get_texts()[0].get_text()
    assert float(text.split()[-1]) == pytest.approx(miscalibration_area(y, np.zeros(500), std), abs=1e-3)


def test_cli_evaluate_writes_uncertainty_metrics_and_plots(tmp_path):
    import os

    import torch

    from molpred import MolPropertyRegressor
    from molpred.cli.main import main

    data_dir = os.environ.get("MOLPRED_DATA_DIR")
    esol = pd.read_csv(f"{data_dir}/moleculenet/delaney-processed.csv").iloc[:260]
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        est = MolPropertyRegressor(model="mlp", epochs=8, uncertainty="mve", seed=0, device="cpu",
                                   val_fraction=0.25).fit(esol["smiles"].iloc[:200].tolist(),
                                                          esol[ESOL_TARGET].iloc[:200].rename("logS"))
        est.save(tmp_path / "model")
        test = esol.iloc[200:]
        test.to_csv(tmp_path / "test.csv", index=False)
        out = tmp_path / "eval"
        code = main(["evaluate", str(tmp_path / "model"), str(tmp_path / "test.csv"),
                     "--target", ESOL_TARGET, "--out", str(out)])
    finally:
        torch.set_num_threads(threads)
    assert code == 0
    metrics = json.loads((out / "metrics.json").read_text())
    unc = metrics["uncertainty"][ESOL_TARGET]
    assert unc["interval"] == "conformal" and unc["nominal_coverage"] == 0.9
    assert unc["n"] == len(test) and 0.0 <= unc["coverage"] <= 1.0 and unc["mean_width"] > 0
    for key in ("nll", "miscalibration_area", "spearman_unc_error"):
        assert isinstance(unc[key], float), key
    preds = pd.read_csv(out / "predictions.csv")
    y = test[ESOL_TARGET].to_numpy()
    inside = (y >= preds["logS_lo"]) & (y <= preds["logS_hi"])
    assert unc["coverage"] == pytest.approx(inside.mean())
    slug = "measured_log_solubility_in_mols_per_litre"
    for kind in ("parity", "calibration", "error_vs_uncertainty"):
        assert_png(out / f"{kind}_{slug}.png")
