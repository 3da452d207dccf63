"""A blank line is a row: ``predict``, ``screen`` and ``campaign`` give one output row per input line."""

from __future__ import annotations

import pandas as pd
import pytest

from molpred.data.tables import read_table

LINES = ["CCO ethanol", "", "c1ccccc1O phenol", "not_a_smiles bad", "", "CC(=O)O acid"]
STATUS = ["ok", "empty", "ok", "invalid_smiles", "empty", "ok"]


@pytest.fixture()
def smi(tmp_path):
    path = tmp_path / "six.smi"
    path.write_text("\n".join(LINES) + "\n")
    return path


@pytest.fixture()
def csv(tmp_path):
    path = tmp_path / "six.csv"
    body = [",".join(line.split(" ")[::-1]) if line else "" for line in LINES]
    path.write_text("name,smiles\n" + "\n".join(body) + "\n")
    return path


@pytest.mark.parametrize("kind", ["smi", "csv"])
def test_read_table_keeps_blank_lines(kind, smi, csv):
    frame = read_table(smi if kind == "smi" else csv)
    assert len(frame) == 6
    assert frame["smiles"].fillna("").tolist() == [line.split(" ")[0] for line in LINES]


@pytest.mark.parametrize("kind", ["smi", "csv"])
def test_predict_gives_a_row_per_line(small_regressor, kind, smi, csv, tmp_path):
    from molpred.workflow import predict_file

    out = predict_file(small_regressor, smi if kind == "smi" else csv, tmp_path / "pred.csv")
    assert out["status"].tolist() == STATUS
    assert len(pd.read_csv(tmp_path / "pred.csv")) == 6


@pytest.mark.parametrize("kind", ["smi", "csv"])
def test_screen_gives_a_row_per_line(small_regressor, kind, smi, csv, tmp_path):
    from molpred.screen import load_results, screen

    small_regressor.save(tmp_path / "model")
    screen([tmp_path / "model"], smi if kind == "smi" else csv, tmp_path / "out", workers=0, progress=False)
    res = load_results(tmp_path / "out").sort_values("row")
    assert res["status"].tolist() == STATUS


@pytest.mark.parametrize("kind", ["smi", "csv"])
def test_campaign_pool_keeps_blank_lines(kind, smi, csv, tmp_path):
    from molpred.campaign import Campaign

    with Campaign.create(tmp_path / "c.sqlite", smi if kind == "smi" else csv, objective="y") as c:
        frame = c.store.compounds_frame()
    assert frame["status"].tolist() == STATUS
