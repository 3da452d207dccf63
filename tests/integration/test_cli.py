"""The CLI end to end on real data: train, predict a broken file row for row, evaluate, errors."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest

from molpred.cli.main import main

from ..conftest import ESOL_TARGET


def run(*args) -> int:
    return main([str(a) for a in args])


@pytest.fixture(scope="module")
def trained(esol, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("cli")
    data = tmp / "esol_small.csv"
    esol.iloc[:200].to_csv(data, index=False)
    out = tmp / "model"
    code = run("train", "--data", data, "--smiles-col", "smiles", "--target", ESOL_TARGET,
               "--split", "scaffold", "--model", "dmpnn", "--epochs", "3", "--out", out, "--seed", "0")
    assert code == 0
    return tmp, data, out


def test_train_writes_model_and_test_metrics(trained):
    _, _, out = trained
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["split"] == "scaffold" and metrics["sizes"]["test"] > 0
    assert metrics["test"]["per_target"][ESOL_TARGET]["rmse"] > 0
    assert sum(metrics["sizes"].values()) == 200


def test_predict_keeps_every_row_in_order(trained):
    tmp, _, out = trained
    inp = tmp / "broken.tsv"
    rows = pd.DataFrame({"id": range(6), "smiles": ["CCO", "C1CC", "", "c1ccccc1O", "[H][H]", "CC(=O)O.[Na]"]})
    rows.to_csv(inp, sep="\t", index=False)
    for suffix in ("csv", "parquet"):
        res_path = tmp / f"pred.{suffix}"
        assert run("predict", out, inp, "--out", res_path) == 0
        res = pd.read_csv(res_path) if suffix == "csv" else pd.read_parquet(res_path)
        assert res["id"].tolist() == list(range(6))
        assert res["status"].tolist() == ["ok", "invalid_smiles", "empty", "ok", "unsupported", "ok"]
        assert res[ESOL_TARGET].notna().tolist() == [True, False, False, True, False, True]


def test_evaluate_prints_metrics(trained, capsys):
    _, data, out = trained
    assert run("evaluate", out, data, "--target", ESOL_TARGET) == 0
    assert "rmse=" in capsys.readouterr().out


@pytest.mark.parametrize(
    "content, args, message",
    [
        (None, ["--target", "y"], "no such file"),
        ("", ["--target", "y"], "empty"),
        ("smiles;y\nCCO;1\n", ["--target", "y"], "delimiter"),
        ("smiles,y\nCCO,1\n", ["--target", "pki"], "not found"),
        ("smiles,y\nCCO,high\nCCC,low\n", ["--target", "y"], "not numeric"),
        ("smiles,y\nCCO,1\n", ["--target", "y", "--split", "scafold"], "did you mean"),
    ],
)
def test_bad_training_input_fails_cleanly(tmp_path, capsys, content, args, message):
    data = tmp_path / "d.csv"
    if content is not None:
        data.write_text(content)
    code = run("train", "--data", data, "--smiles-col", "smiles", "--out", tmp_path / "m", *args)
    err = capsys.readouterr().err
    assert code == 2 and message in err and "Traceback" not in err


def test_predict_with_a_broken_model_fails_cleanly(tmp_path, capsys):
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "model.json").write_text("{not json")
    (tmp_path / "in.csv").write_text("smiles\nCCO\n")
    assert run("predict", tmp_path / "m", tmp_path / "in.csv", "--out", tmp_path / "o.csv") == 2
    assert "not valid JSON" in capsys.readouterr().err


def test_console_script_help_is_fast_to_import():
    # --help must not import torch: check in a fresh interpreter
    code = "import sys; from molpred.cli.main import build_parser; build_parser(); print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_train_reports_and_can_refuse_duplicates(esol, tmp_path, capsys):
    frame = esol.iloc[:40][["smiles", ESOL_TARGET]]
    data = tmp_path / "dups.csv"
    pd.concat([frame, frame.iloc[:5].assign(smiles=frame["smiles"].iloc[:5] + ".O")]).to_csv(data, index=False)
    common = ["--data", data, "--target", ESOL_TARGET, "--split", "random", "--model", "mlp", "--epochs", "1"]
    assert run("train", *common, "--out", tmp_path / "m") == 0
    assert "molecules occurred more than once" in capsys.readouterr().out
    dup = json.loads((tmp_path / "m" / "metrics.json").read_text())["duplicates"]
    assert dup["policy"] == "merge" and dup["molecules_on_both_sides_of_split"] == 0 and dup["n_groups"] >= 1
    assert run("train", *common, "--out", tmp_path / "m2", "--duplicates", "error") == 2
    assert "occur more than once" in capsys.readouterr().err
