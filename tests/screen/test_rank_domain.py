"""Issue 21: the screen's default ranking puts in-domain molecules first and lists the others
apart; ``rank="raw"`` keeps the plain score order. Also the hit grid's legends and pages, the
small first chunk, and the resume hint on Ctrl-C."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from molpred.screen import load_results, screen

ROOT = Path(__file__).resolve().parents[2]
ACE = ROOT / "datasets" / "moleculeace"


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    """A small D-MPNN on thrombin ligands (CHEMBL204), with an applicability domain."""
    import torch

    from molpred import MolPropertyRegressor

    torch.set_num_threads(1)
    train = pd.read_csv(ACE / "CHEMBL204_Ki.csv").iloc[:150]
    out = tmp_path_factory.mktemp("model") / "thrombin"
    MolPropertyRegressor(model="dmpnn", hidden_size=16, ffn_hidden_size=16, epochs=1, seed=0, device="cpu").fit(
        train["smiles"].tolist(), train["y"].rename("CHEMBL204_Ki")).save(out)
    return out


@pytest.fixture(scope="module")
def library(tmp_path_factory):
    """Thrombin ligands the model did not see (mostly in domain) and steroids/GPCR ligands (out)."""
    near = pd.read_csv(ACE / "CHEMBL204_Ki.csv")["smiles"].iloc[150:230].tolist()
    far = pd.read_csv(ACE / "CHEMBL2047_EC50.csv")["smiles"].iloc[:80].tolist()
    path = tmp_path_factory.mktemp("lib") / "lib.csv"
    pd.DataFrame({"name": [f"cpd{i}" for i in range(len(near) + len(far))], "smiles": near + far}).to_csv(
        path, index=False)
    return path


def _screen(model_dir, library, out, **kw):
    kw.setdefault("workers", 0)
    kw.setdefault("progress", False)
    return screen(model_dir, library, out, top_k=30, smiles_col="smiles", id_col="name", **kw)


def test_default_ranks_in_domain_first_and_lists_the_rest_apart(model_dir, library, tmp_path):
    s = _screen(model_dir, library, tmp_path / "dom")
    rows = load_results(tmp_path / "dom")
    inside = rows["in_domain"].fillna(False).astype(bool) & rows["score"].notna()
    outside = ~rows["in_domain"].fillna(False).astype(bool) & rows["score"].notna()
    assert inside.sum() > 0 and outside.sum() > 0  # the library has both kinds
    assert s.rank == "domain" and s.settings["rank"] == "domain"
    hits = pd.read_csv(tmp_path / "dom" / "top_hits.csv")
    ood = pd.read_csv(tmp_path / "dom" / "top_hits_out_of_domain.csv")
    assert hits["in_domain"].all() and not ood["in_domain"].any()
    assert (tmp_path / "dom" / "top_hits.png").is_file() and (tmp_path / "dom" / "top_hits_out_of_domain.png").is_file()
    # each list is the brute-force best of its group, score descending, ties by row
    best_in = rows[inside].sort_values(["score", "row"], ascending=[False, True]).head(30)["row"].tolist()
    best_out = rows[outside].sort_values(["score", "row"], ascending=[False, True]).head(30)["row"].tolist()
    assert hits["row"].tolist() == best_in and ood["row"].tolist() == best_out
    assert s.n_hits == len(best_in) and s.n_hits_out_of_domain == len(best_out)
    assert s.n_ranked == int(inside.sum() + outside.sum())
    # the point of the default: raw ranking would have let out-of-domain molecules in
    raw = _screen(model_dir, library, tmp_path / "raw", rank="raw")
    assert raw.rank == "raw" and not (tmp_path / "raw" / "top_hits_out_of_domain.csv").exists()
    every = rows[rows["score"].notna()].sort_values(["score", "row"], ascending=[False, True]).head(30)
    assert raw.top_hits["row"].tolist() == every["row"].tolist()
    if not every["in_domain"].all():
        assert raw.top_hits["row"].tolist() != hits["row"].tolist()


def test_models_without_a_domain_rank_raw(tmp_path, library):
    from molpred import MolPropertyRegressor

    train = pd.read_csv(ACE / "CHEMBL204_Ki.csv").iloc[:60]
    MolPropertyRegressor(model="mlp", hidden_size=8, ffn_hidden_size=8, epochs=1, seed=0, device="cpu",
                         applicability_domain=False).fit(train["smiles"].tolist(), train["y"]).save(tmp_path / "m")
    s = _screen(tmp_path / "m", library, tmp_path / "out")
    assert s.rank == "raw" and s.n_hits == 30
    with pytest.raises(ValueError, match="rank"):
        _screen(tmp_path / "m", library, tmp_path / "bad", rank="best")


def test_hit_grid_legends_and_every_hit_drawn(model_dir, library, tmp_path):
    """Legends carry id, prediction with interval, Ki in nM and the domain flag; 60 hits -> 2 pages."""
    from molpred.labels import prediction_lines
    from molpred.screen.ranking import _hit_legend, draw_top_hits

    s = _screen(model_dir, library, tmp_path / "out", rank="raw")
    hits = s.top_hits
    r = hits.iloc[0]
    lines = _hit_legend(r, "CHEMBL204_Ki", bool(r["in_domain"]), prediction_lines)
    assert lines[0] == f"#1 {r['id']}"
    lo, hi = r["CHEMBL204_Ki_lo"], r["CHEMBL204_Ki_hi"]
    assert lines[1] == f"CHEMBL204_Ki {r['CHEMBL204_Ki']:.1f} [{lo:.1f}, {hi:.1f}]"
    assert lines[2].startswith("Ki ") and lines[2].split(" [")[0].endswith(("nM", "uM", "mM"))
    assert lines[3] in ("in domain", "OUT of domain")
    many = pd.concat([hits, hits], ignore_index=True)
    many["rank"] = np.arange(1, len(many) + 1)
    pages = draw_top_hits(many, tmp_path / "grid.png", "CHEMBL204_Ki")
    assert [p.name for p in pages] == ["grid.png", "grid_2.png"]  # 60 hits, 48 a page
    from PIL import Image

    assert Image.open(pages[1]).size[1] < Image.open(pages[0]).size[1]  # 12 hits: two rows, not eight


def test_first_chunk_is_small_so_work_is_saved_early(model_dir, library, tmp_path, monkeypatch):
    import molpred.screen.api as api

    monkeypatch.setattr(api, "FIRST_CHUNK", 7)
    s = _screen(model_dir, library, tmp_path / "out", chunk_size=50)
    sizes = [len(pd.read_parquet(p)) for p in sorted((tmp_path / "out" / "shards").glob("part-*.parquet"))]
    assert sizes == [7, 50, 50, 50, 3] and s.n_rows == 160 and s.settings["first_chunk"] == 7
    again = _screen(model_dir, library, tmp_path / "out", chunk_size=50, resume=True)
    assert again.n_chunks_resumed == len(sizes)


def test_ctrl_c_during_a_screen_says_how_to_resume(model_dir, library, tmp_path, monkeypatch, capsys):
    import molpred.screen as screen_pkg
    from molpred.cli.main import main

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(screen_pkg, "screen", interrupted)
    code = main(["screen", str(model_dir), str(library), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 130
    assert "--resume" in err and str(tmp_path / "out") in err


def test_cli_says_which_ranking_and_where_the_lists_are(model_dir, library, tmp_path, capsys):
    from molpred.cli.main import main

    args = ["screen", str(model_dir), str(library), "--out", str(tmp_path / "a"), "--workers", "0",
            "--no-progress", "--no-image", "--top", "5", "--smiles-col", "smiles", "--id-col", "name"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "5 in-domain hits written to" in out and "top_hits_out_of_domain.csv" in out and "--rank raw" in out
    assert main([*args[:4], str(tmp_path / "b"), *args[5:], "--rank", "raw"]) == 0
    out = capsys.readouterr().out
    assert "5 hits written to" in out and "out-of-domain" not in out
