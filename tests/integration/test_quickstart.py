from __future__ import annotations

import numpy as np
import pandas as pd

import molpred
from molpred.quickstart import run_quickstart, screening_library


def test_quickstart_trains_on_bundled_data_offline_and_screens(tmp_path, monkeypatch):
    import molpred.quickstart as qs

    deck = screening_library(exclude="CHEMBL2835_Ki")
    assert deck["smiles"].is_unique and len(deck) > 20_000
    small = deck.iloc[::40].reset_index(drop=True)  # ~800 compounds keep CI short
    small.loc[3, "smiles"] = "not a smiles"  # one bad row must be accounted, not dropped
    monkeypatch.setattr(qs, "screening_library", lambda exclude=None: small)

    res = run_quickstart(tmp_path, target="CHEMBL2835_Ki", model="mlp", epochs=3, top_k=15)
    m = res.metrics
    assert m["n_train"] > 400 and m["n_test"] > 100
    assert 0 < m["rmse"] < 3 and np.isfinite(m["rmse_cliff"])
    preds = pd.read_csv(tmp_path / "test_predictions.csv")
    assert len(preds) == m["n_test"] and (preds["status"] == "ok").all()
    assert molpred.load(res.model_dir).predict(["CCO"]).shape == (1,)

    s = res.screen
    assert s.n_rows == len(small) and sum(s.counts.values()) == len(small)
    assert s.counts["invalid_smiles"] == 1 and s.counts["filtered"] > 0
    top = pd.read_csv(tmp_path / "screen" / "top_hits.csv")
    assert len(top) == 15 and top["score"].is_monotonic_decreasing
    assert set(top["id"]) <= set(small["id"]) and (tmp_path / "screen" / "top_hits.png").stat().st_size > 0
    shards = pd.read_parquet(tmp_path / "screen" / "shards")
    assert shards["row"].tolist() == list(range(len(small)))
    assert shards.loc[3, "status"] == "invalid_smiles" and shards.loc[3, "error"]


def test_screening_library_leaves_out_the_training_target():
    deck = screening_library(exclude="CHEMBL204_Ki")
    train = set(molpred.datasets.load_moleculeace("CHEMBL204_Ki")["smiles"])
    assert not train & set(deck["smiles"])
    assert not deck["id"].str.startswith("CHEMBL204_Ki/").any()
    assert list(deck.columns) == ["id", "smiles"]


def test_cli_quickstart_prints_metrics_and_top_hits(tmp_path, monkeypatch, capsys):
    import molpred.quickstart as qs
    from molpred.cli.main import main

    small = screening_library(exclude="CHEMBL2835_Ki").iloc[::60].reset_index(drop=True)
    monkeypatch.setattr(qs, "screening_library", lambda exclude=None: small)
    code = main(["quickstart", "--out", str(tmp_path), "--target", "CHEMBL2835_Ki", "--model", "mlp",
                 "--epochs", "2", "--top", "7"])
    out = capsys.readouterr().out
    assert code == 0
    assert "test RMSE" in out and "RMSE_cliff" in out
    assert f"screened {len(small)} bundled compounds" in out
    table = out.split("top 7 by predicted CHEMBL2835_Ki")[1]
    assert "Ki_nM" in table and "in_domain" in table and table.count("CHEMBL") >= 7
    assert len(pd.read_csv(tmp_path / "screen" / "top_hits.csv")) == 7
    shards = pd.read_parquet(tmp_path / "screen" / "shards")
    n_inside = int((shards["in_domain"].fillna(False).astype(bool) & shards["score"].notna()).sum())
    hits = pd.read_csv(tmp_path / "screen" / "top_hits.csv")
    assert not hits["in_domain"].all()  # this small deck puts out-of-domain compounds among the hits,
    assert f"{n_inside} of " in out and "inside the model's applicability domain" in out  # so the
    assert "--hits-in-domain" in out  # in-domain alternatives are shown
