"""Issue 21: what ``molpred train`` tells a chemist: labelled counts per split, a baseline,
test predictions and the split written into the model directory, defaults in ``--help``,
one-line warnings, per-epoch losses on the progress bar."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from molpred.cli.main import main
from molpred.workflow import baseline_metrics, train_table

ACE = Path(__file__).resolve().parents[2] / "datasets" / "moleculeace" / "CHEMBL204_Ki.csv"


@pytest.fixture()
def table(tmp_path):
    """120 real molecules: 30 without a label, one unparsable."""
    frame = pd.read_csv(ACE).iloc[:120][["smiles", "y"]].copy()
    frame.loc[::4, "y"] = np.nan
    frame.loc[1, "smiles"] = "C1CC"
    path = tmp_path / "data.csv"
    frame.to_csv(path, index=False)
    return frame, path


def test_counts_are_of_labelled_rows_and_files_are_written(table, tmp_path):
    frame, _ = table
    out = tmp_path / "model"
    res = train_table(frame, "smiles", ["y"], split="random", model="mlp", out=out, epochs=1, hidden_size=8,
                      ffn_hidden_size=8, device="cpu")
    split = pd.read_csv(out / "split.csv")
    assert len(split) == len(frame) and split["row"].tolist() == list(range(len(frame)))
    usable = frame["y"].notna().to_numpy() & (frame["smiles"] != "C1CC").to_numpy()
    assert split["labelled"].tolist() == usable.tolist()
    assert (split.loc[~usable, "split"] == "unused").all()
    counts = split[split["split"] != "unused"]["split"].value_counts().to_dict()
    assert res.labelled_sizes == {k: counts.get(k, 0) for k in ("train", "val", "test")}
    assert sum(res.labelled_sizes.values()) == usable.sum() == 89 < sum(res.split_sizes.values()) == 120
    test = pd.read_csv(out / "test_predictions.csv")
    assert test["row"].tolist() == split.index[split["split"] == "test"].tolist()
    assert test["y"].notna().all() and (test["status"] == "ok").all()
    assert {"smiles", "y", "pred_y", "status"} <= set(test.columns)
    # the baseline: RMSE of predicting the training mean on the test rows
    tr = frame["y"].to_numpy()[split["split"].eq("train").to_numpy()]
    te = test["y"].dropna().to_numpy()
    assert res.baseline["mean"]["rmse"] == pytest.approx(np.sqrt(np.mean((te - np.nanmean(tr)) ** 2)))
    assert res.metrics["labelled"] == res.labelled_sizes


def test_classification_baseline_is_a_coin():
    y = np.array([[0.0], [1.0], [np.nan]])
    assert baseline_metrics("classification", y, y, ["a"])["mean"] == {"roc_auc": 0.5}


def test_cli_prints_labelled_counts_baseline_and_one_line_warnings(table, tmp_path, capsys):
    _, path = table
    code = main(["train", "--data", str(path), "--target", "y", "--split", "random", "--model", "mlp",
                 "--epochs", "1", "--out", str(tmp_path / "m")])
    captured = capsys.readouterr()
    assert code == 0
    line = next(s for s in captured.out.splitlines() if s.startswith("split random:"))
    assert "labelled molecules (of" in line and "unlabelled or unparsable rows unused" in line
    assert "baseline (predict the training mean): rmse=" in captured.out
    assert "test_predictions in" in captured.out and (tmp_path / "m" / "split.csv").is_file()
    # the fit skipped the unlabelled rows: said in one line, without a Python source path
    warning_lines = [s for s in captured.err.splitlines() if "warning" in s.lower()]
    assert warning_lines and all(s.startswith("molpred: warning: ") for s in warning_lines)
    assert "UserWarning" not in captured.err and ".py:" not in captured.err


def test_help_shows_defaults(capsys):
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "(default: 50)" in text and "(default: scaffold)" in text and "(default: 64)" in text


def test_progress_bar_names_the_losses():
    from molpred.train.loop import _postfix

    assert _postfix({"epoch": 0, "train_loss": 0.5, "val_score": -1.25}, "regression") == {
        "train_loss": "0.5", "val_rmse": "1.25"}
    assert _postfix({"epoch": 0, "train_loss": 0.5, "val_score": 0.8}, "classification")["val_auc"] == "0.8"
