"""``molpred tune`` end to end on a small real file: outputs, resume, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

import molpred
from molpred.cli.main import main

ROOT = Path(__file__).resolve().parents[2]
TARGET = ROOT / "datasets" / "moleculeace" / "CHEMBL2835_Ki.csv"


def test_tune_cli_writes_model_and_study_and_resumes(tmp_path, capsys):
    data = tmp_path / "ace.csv"
    pd.read_csv(TARGET).iloc[:200].to_csv(data, index=False)
    out, db = tmp_path / "tuned", tmp_path / "study.db"
    args = ["tune", "--data", str(data), "--smiles-col", "smiles", "--target", "y", "--model", "svr",
            "--n-trials", "2", "--cv", "3", "--split", "column:split", "--storage", f"sqlite:///{db}",
            "--out", str(out), "--quiet"]
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert "2 trials" in printed and "never searched on" in printed
    for name in ("model.json", "weights.safetensors", "study.csv", "best_params.json", "optimization_history.png",
                 "metrics.json"):
        assert (out / name).exists(), name
    model = molpred.load(out)
    assert model.model == "svr" and len(model.predict(["CCO", "c1ccccc1N"])) == 2
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["tuning"]["n_trials"] == 2 and metrics["test"]["mean"]["rmse"] > 0
    assert main(args) == 0  # same storage: the study continues
    assert len(pd.read_csv(out / "study.csv")) == 4
    assert json.loads((out / "best_params.json").read_text())["n_new_trials"] == 2


def test_tune_cli_bad_column_exits_2(tmp_path, capsys):
    data = tmp_path / "ace.csv"
    pd.read_csv(TARGET).iloc[:50].to_csv(data, index=False)
    code = main(["tune", "--data", str(data), "--target", "nope", "--model", "gp", "--out", str(tmp_path / "o")])
    assert code == 2
    assert "nope" in capsys.readouterr().err
