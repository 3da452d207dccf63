"""End-to-end screening: row accounting, ranking, filters, diversity, kill-and-resume, Ray, CLI.

Two tiny real models (a D-MPNN and a fingerprint MLP, 1 epoch on ESOL molecules) screen
small libraries made of real molecules plus hostile rows, in every input format.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from rdkit import Chem
from rdkit.Chem import Descriptors

from molpred.chem.diversity import diverse_top_k
from molpred.chem.fingerprints import morgan_fingerprints
from molpred.screen import STATUSES, ScreenResumeError, load_results, screen

ROOT = Path(__file__).resolve().parents[2]
ESOL = ROOT.parent / "shared" / "data" / "moleculenet" / "delaney-processed.csv"
ACE = ROOT / "datasets" / "moleculeace" / "CHEMBL204_Ki.csv"

HOSTILE = [
    "",  # empty line / field
    "not_a_smiles",
    "C1CC",  # unclosed ring
    "CC(=O)[O-].[Na+]",  # salt -> ok, parent fragment
    "C" * 5000,  # huge string
    "[H][H]",  # no heavy atom -> unsupported
    "c1ccccc1O",
    "ЖЖЖ",  # non-ASCII
    "C(C)(C)(C)(C)C",  # pentavalent carbon
]
EXPECTED = {0: "empty", 1: "invalid_smiles", 2: "invalid_smiles", 3: "ok", 4: "invalid_smiles",
            5: "unsupported", 6: "ok", 7: "invalid_smiles", 8: "invalid_smiles"}


# ---------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def models(tmp_path_factory):
    """Model directories: D-MPNN predicting "logs", MLP predicting "logs" too (a name clash)."""
    from molpred import MolPropertyRegressor

    esol = pd.read_csv(ESOL).iloc[:100]
    y = esol["measured log solubility in mols per litre"].rename("logs")
    root = tmp_path_factory.mktemp("models")
    MolPropertyRegressor(model="dmpnn", hidden_size=16, ffn_hidden_size=16, epochs=1, seed=0, device="cpu").fit(
        esol["smiles"].tolist(), y).save(root / "gnn")
    MolPropertyRegressor(model="mlp", hidden_size=16, ffn_hidden_size=16, epochs=1, seed=0, device="cpu",
                         applicability_domain=False).fit(esol["smiles"].tolist(), y).save(root / "mlp")
    return root / "gnn", root / "mlp"


@pytest.fixture(scope="module")
def library_smiles():
    """Real drug-like SMILES (not in the training set), a few duplicates (ties), hostile rows."""
    real = pd.read_csv(ACE)["smiles"].iloc[:200].tolist()
    real = real + real[:10]  # exact duplicates tie on score; row order must break the tie
    return HOSTILE + real


@pytest.fixture(scope="module")
def small_library_smiles(library_smiles):
    return library_smiles[:70]


def _write(path: Path, smiles: list[str]) -> Path:
    name = path.name
    opener = gzip.open if name.endswith(".gz") else open
    if ".smi" in name:
        with opener(path, "wt") as fh:
            fh.writelines(f"{s} id{i}\n" if s else "\n" for i, s in enumerate(smiles))
    elif ".csv" in name or ".tsv" in name:
        frame = pd.DataFrame({"id": [f"id{i}" for i in range(len(smiles))], "smiles": smiles})
        with opener(path, "wt") as fh:
            frame.to_csv(fh, index=False, sep="\t" if ".tsv" in name else ",")
    elif name.endswith(".parquet"):
        pd.DataFrame({"id": [f"id{i}" for i in range(len(smiles))], "smiles": smiles}).to_parquet(path)
    elif ".sdf" in name:
        blocks = []
        for i, s in enumerate(smiles):
            mol = Chem.MolFromSmiles(s) if s and len(s) < 1000 else None
            if mol is None:
                blocks.append(f"id{i}\nbroken record\n\n")
            else:
                mol.SetProp("_Name", f"id{i}")
                blocks.append(Chem.MolToMolBlock(mol))
        with opener(path, "wt") as fh:
            fh.write("".join(b + "$$$$\n" for b in blocks))
    return path


def _run(models, lib, out, **kw):
    kw.setdefault("workers", 0)
    kw.setdefault("chunk_size", 64)
    kw.setdefault("progress", False)
    kw.setdefault("rank", "raw")  # these tests check the plain score order (the domain-first default:
    return screen(models, lib, out, **kw)  # tests/screen/test_rank_domain.py)


# ---------------------------------------------------------------------------- accounting
@pytest.mark.parametrize("name", ["lib.smi", "lib.smi.gz", "lib.csv", "lib.tsv.gz", "lib.parquet", "lib.sdf.gz"])
def test_every_row_accounted_for_in_every_format(models, small_library_smiles, tmp_path, name):
    library_smiles = small_library_smiles
    lib = _write(tmp_path / name, library_smiles)
    s = _run(models[0], lib, tmp_path / "out", top_k=5, image=False, chunk_size=16)
    res = load_results(tmp_path / "out")
    n = len(library_smiles)
    assert s.n_rows == n and len(res) == n
    assert res["row"].tolist() == list(range(n))
    # a blank line of a SMILES file has no name either
    assert res["id"].tolist() == ["" if ".smi" in name and not smi else f"id{i}" for i, smi in enumerate(library_smiles)]
    assert set(res["status"]) <= set(STATUSES)
    assert sum(s.counts.values()) == n
    assert s.counts == {k: int((res["status"] == k).sum()) for k in STATUSES}
    ok = res["status"] == "ok"
    assert res.loc[ok, "logs"].notna().all() and res.loc[~ok, "logs"].isna().all()
    assert np.array_equal(res["score"], res["logs"], equal_nan=True)  # default score: the prediction
    assert (res.loc[~ok, "error"].str.len() > 0).all()
    for i, status in EXPECTED.items():
        if ".sdf" in name and status != "ok":
            assert res["status"][i] != "ok"  # such rows cannot even be written as SD records
        else:
            assert res["status"][i] == status, (i, res["error"][i])
    assert res["smiles_std"][3] == "CC(=O)O"
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["n_rows"] == n and summary["counts"] == s.counts


def test_worker_processes_give_the_same_rows_as_in_process(models, small_library_smiles, tmp_path):
    library_smiles = small_library_smiles
    lib = _write(tmp_path / "lib.smi", library_smiles)
    _run(models[0], lib, tmp_path / "a", workers=0, image=False, chunk_size=16)
    for workers in (1, 2):
        _run(models[0], lib, tmp_path / f"w{workers}", workers=workers, image=False, chunk_size=16)
        pd.testing.assert_frame_equal(load_results(tmp_path / "a"), load_results(tmp_path / f"w{workers}"))


def test_cpu_models_are_predicted_in_the_workers_not_the_main_process(models, small_library_smiles, tmp_path,
                                                                      monkeypatch):
    from molpred.screen.models import ModelSet

    lib = _write(tmp_path / "lib.smi", small_library_smiles)
    _run(models[0], lib, tmp_path / "a", workers=0, image=False, chunk_size=16)

    def no_network_here(self, result):
        raise AssertionError("the main process ran a network")

    monkeypatch.setattr(ModelSet, "predict", no_network_here)  # spawned workers import the real one
    _run(models[0], lib, tmp_path / "b", workers=2, image=False, chunk_size=16)
    pd.testing.assert_frame_equal(load_results(tmp_path / "a"), load_results(tmp_path / "b"))


def test_a_gpu_model_is_predicted_in_the_main_process_from_the_workers_features(models, small_library_smiles,
                                                                                tmp_path, monkeypatch):
    from molpred.screen.models import ModelSet

    lib = _write(tmp_path / "lib.smi", small_library_smiles)
    _run(models[0], lib, tmp_path / "a", workers=0, image=False, chunk_size=16)
    calls = []
    predict = ModelSet.predict

    def spy(self, result):
        calls.append(len(result))
        return predict(self, result)

    monkeypatch.setattr(ModelSet, "on_cpu", property(lambda self: False))  # as if a model sat on a GPU
    monkeypatch.setattr(ModelSet, "predict", spy)
    _run(models[0], lib, tmp_path / "b", workers=2, image=False, chunk_size=16)
    assert sum(calls) == len(small_library_smiles)  # every row's features came back to be predicted here
    pd.testing.assert_frame_equal(load_results(tmp_path / "a"), load_results(tmp_path / "b"))


# ---------------------------------------------------------------------------- ranking
def _brute_force_top(res: pd.DataFrame, k: int) -> list[int]:
    ranked = res[res["score"].notna()].sort_values(["score", "row"], ascending=[False, True], kind="stable")
    return ranked["row"].head(k).tolist()


def test_top_k_matches_brute_force_sort_with_ties_broken_by_row(models, library_smiles, tmp_path):
    lib = _write(tmp_path / "lib.smi", library_smiles)
    s = _run(models[0], lib, tmp_path / "out", top_k=40, score="heavy_atoms")  # integers: many ties
    res = load_results(tmp_path / "out")
    hits = pd.read_csv(tmp_path / "out" / "top_hits.csv")
    assert hits["row"].tolist() == _brute_force_top(res, 40) == s.top_hits["row"].tolist()
    assert hits["rank"].tolist() == list(range(1, 41))
    assert hits["score"].nunique() < 40  # ties were there to break
    assert {"smiles_std", "logs", "logs_lo", "logs_hi", "max_sim_train", "qed", "mw", "alerts"} <= set(hits.columns)
    assert (tmp_path / "out" / "top_hits.png").stat().st_size > 1000


def test_screen_predictions_equal_predict_frame(models, library_smiles, tmp_path):
    import molpred

    lib = _write(tmp_path / "lib.smi", library_smiles)
    _run(models[0], lib, tmp_path / "out", top_k=5, image=False, chunk_size=50)
    res = load_results(tmp_path / "out")
    ref = molpred.load(models[0]).predict_frame(library_smiles)
    assert ref["status"].tolist() == res["status"].tolist()
    ok = (res["status"] == "ok").to_numpy()
    cols = [c for c in ref.columns if c.startswith("logs")]
    assert len(cols) > 1  # prediction and its uncertainty columns
    for c in cols:
        assert np.allclose(res.loc[ok, c].to_numpy(float), ref.loc[ok, c].to_numpy(float), rtol=1e-5, atol=1e-6), c


def test_mlp_screen_predictions_equal_predict_frame(models, library_smiles, tmp_path):
    """The fingerprint MLP reads uint8 counts in both paths and gives the same numbers."""
    import molpred

    lib = _write(tmp_path / "lib.smi", library_smiles[:40])
    _run(models[1], lib, tmp_path / "out", top_k=5, image=False, chunk_size=16)
    res = load_results(tmp_path / "out")
    ref = molpred.load(models[1]).predict_frame(library_smiles[:40])
    assert ref["status"].tolist() == res["status"].tolist()
    ok = (res["status"] == "ok").to_numpy()
    assert ok.sum() > 25
    for c in [c for c in ref.columns if c.startswith("logs")]:
        # the screen batches other molecules together than predict_frame: float32 rounding only
        np.testing.assert_allclose(res.loc[ok, c].to_numpy(float), ref.loc[ok, c].to_numpy(float),
                                   rtol=0, atol=1e-6, err_msg=c)


def test_bf16_precision_stays_close_to_float32_and_is_part_of_the_settings(models, library_smiles, tmp_path):
    lib = _write(tmp_path / "lib.smi", library_smiles)
    _run(models[0], lib, tmp_path / "fp32", top_k=5, image=False, precision="fp32")
    _run(models[0], lib, tmp_path / "bf16", top_k=5, image=False, precision="bf16")
    a, b = load_results(tmp_path / "fp32"), load_results(tmp_path / "bf16")
    assert a["status"].tolist() == b["status"].tolist()
    ok = (a["status"] == "ok").to_numpy()
    diff = np.abs(a.loc[ok, "logs"].to_numpy(float) - b.loc[ok, "logs"].to_numpy(float))
    assert 0 < diff.max() < 0.05  # bfloat16 did run, and moved log S by less than 0.05
    with pytest.raises(ScreenResumeError, match="settings"):
        _run(models[0], lib, tmp_path / "bf16", top_k=5, image=False, resume=True, precision="fp32")
    with pytest.raises(ValueError, match="precision"):
        _run(models[0], lib, tmp_path / "x", precision="fp16")


def test_hits_in_domain_ranks_only_in_domain_rows_and_keeps_every_prediction(models, library_smiles, tmp_path):
    lib = _write(tmp_path / "lib.smi", library_smiles)
    every = _run(models[0], lib, tmp_path / "all", top_k=300, image=False)
    inside = _run(models[0], lib, tmp_path / "in", top_k=300, image=False, hits_in_domain=True)
    a, b = load_results(tmp_path / "all"), load_results(tmp_path / "in")
    ok = (a["status"] == "ok").to_numpy()
    flags = b["in_domain"].fillna(False).to_numpy(bool)
    assert 0 < flags.sum() < ok.sum()  # ESOL-trained model: some ChEMBL ligands in, some out
    np.testing.assert_array_equal(a["logs"].to_numpy(float), b["logs"].to_numpy(float))  # predictions kept
    assert b.loc[~flags, "score"].isna().all() and b.loc[flags, "score"].notna().all()
    assert inside.n_ranked == flags.sum() < every.n_ranked
    hits = pd.read_csv(tmp_path / "in" / "top_hits.csv")
    assert set(hits["row"]) == set(b.loc[flags, "row"]) and hits["in_domain"].all()
    with pytest.raises(ScreenResumeError, match="settings"):  # part of what --resume checks
        _run(models[0], lib, tmp_path / "in", top_k=300, image=False, resume=True)
    with pytest.raises(ValueError, match="applicability domain"):
        _run(models[1], lib, tmp_path / "mlp", hits_in_domain=True)  # fitted without a domain


def test_combined_score_over_two_models_with_clashing_names(models, library_smiles, tmp_path):
    lib = _write(tmp_path / "lib.csv", library_smiles)
    expr = "gnn.logs:max:1.0,mlp.logs:min:0.5,desirability:qed:0.2:0.8:2"
    s = _run(list(models), lib, tmp_path / "out", top_k=25, score=expr, image=False)
    res = load_results(tmp_path / "out")
    assert {"gnn.logs", "mlp.logs", "qed"} <= set(res.columns)
    gnn = __import__("molpred").load(models[0])
    mean, std = float(gnn.scaler_.mean[0]), float(gnn.scaler_.std[0])
    mlp = __import__("molpred").load(models[1])
    m2, s2 = float(mlp.scaler_.mean[0]), float(mlp.scaler_.std[0])
    expected = ((res["gnn.logs"] - mean) / std - 0.5 * (res["mlp.logs"] - m2) / s2
                + 2 * np.clip((res["qed"] - 0.2) / 0.6, 0, 1))
    assert np.allclose(res["score"], expected, equal_nan=True)
    assert s.score == "gnn.logs:max:1:z,mlp.logs:min:0.5:z,desirability:qed:0.2:0.8:2"
    assert pd.read_csv(tmp_path / "out" / "top_hits.csv")["row"].tolist() == _brute_force_top(res, 25)


# ---------------------------------------------------------------------------- filters, diversity
def test_filters_reject_with_reasons_and_no_prediction(models, library_smiles, tmp_path):
    lib = _write(tmp_path / "lib.smi", library_smiles)
    s = _run(models[0], lib, tmp_path / "out", filters="lipinski:0,mw:250-450", top_k=10, image=False)
    res = load_results(tmp_path / "out")
    filtered = res["status"] == "filtered"
    assert filtered.sum() == s.counts["filtered"] > 0 and s.counts["ok"] > 0
    assert res.loc[filtered, "logs"].isna().all() and res.loc[filtered, "score"].isna().all()
    assert (res.loc[filtered, "filter_reasons"].str.len() > 0).all()
    assert (res.loc[~filtered, "filter_reasons"] == "").all()
    hits = pd.read_csv(tmp_path / "out" / "top_hits.csv")
    assert hits["mw"].between(250, 450).all()
    assert res.loc[res["status"] == "ok", "smiles_std"].map(
        lambda smi: 250 <= Descriptors.MolWt(Chem.MolFromSmiles(smi)) <= 450).all()


@pytest.mark.parametrize("pool", ["default", "tiny"])
def test_diverse_hits_are_dissimilar_and_match_a_full_greedy_pass(models, library_smiles, tmp_path, pool, monkeypatch):
    if pool == "tiny":  # the running pool holds only k rows: the shards must be rescanned
        monkeypatch.setattr("molpred.screen.api._DIVERSITY_POOL", (1, 0))
    lib = _write(tmp_path / "lib.smi", library_smiles)
    _run(models[0], lib, tmp_path / "out", top_k=15, diversity=0.5, image=False)
    res = load_results(tmp_path / "out")
    hits = pd.read_csv(tmp_path / "out" / "top_hits.csv")
    fps = morgan_fingerprints([Chem.MolFromSmiles(s) for s in hits["smiles_std"]])
    sim = (fps @ fps.T.astype(float)) / (fps.sum(1)[:, None] + fps.sum(1)[None, :] - fps @ fps.T.astype(float))
    np.fill_diagonal(sim, 0)
    assert sim.max() < 0.5 and len(hits) == 15
    ranked = res[res["score"].notna()].sort_values(["score", "row"], ascending=[False, True])
    all_fps = morgan_fingerprints([Chem.MolFromSmiles(s) for s in ranked["smiles_std"]])
    picks = diverse_top_k(all_fps, -np.arange(len(ranked), dtype=float), 15, 0.5)
    assert hits["row"].tolist() == ranked["row"].to_numpy()[picks].tolist()


# ---------------------------------------------------------------------------- resume
def test_kill_and_resume_gives_identical_results(models, tmp_path):
    smiles = pd.read_csv(ACE)["smiles"].iloc[:600].tolist() + HOSTILE
    lib = _write(tmp_path / "lib.smi.gz", smiles)
    kw = dict(chunk_size=20, top_k=20, filters="lipinski,tpsa:0-120", diversity=0.5)
    code = (
        "import sys; from molpred.screen import screen; "
        f"screen({str(models[0])!r}, {str(lib)!r}, {str(tmp_path / 'killed')!r}, workers=0, progress=False, "
        + ", ".join(f"{k}={v!r}" for k, v in kw.items()) + ")"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], env=dict(os.environ, PYTHONPATH=str(ROOT)))
    shards = tmp_path / "killed" / "shards"
    deadline = time.time() + 300
    while time.time() < deadline and proc.poll() is None:
        if len(list(shards.glob("part-*.parquet"))) >= 3:
            break
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    n_done = len(list(shards.glob("part-*.parquet")))
    n_chunks = -(-len(smiles) // 20)
    assert 3 <= n_done < n_chunks, "the screen should have been killed part-way"
    assert not (tmp_path / "killed" / "summary.json").exists()

    with pytest.raises(ScreenResumeError, match="--resume"):
        _run(models[0], lib, tmp_path / "killed", **kw)
    with pytest.raises(ScreenResumeError, match="chunk_size"):
        _run(models[0], lib, tmp_path / "killed", resume=True, **dict(kw, chunk_size=21))
    # no chunk size given: the resumed screen keeps the one it was started with (not CHUNK_SIZE)
    resumed = _run(models[0], lib, tmp_path / "killed", resume=True, **dict(kw, chunk_size=None))
    full = _run(models[0], lib, tmp_path / "full", **kw)
    assert resumed.n_chunks_resumed >= 3 and full.n_chunks_resumed == 0
    a, b = load_results(tmp_path / "killed"), load_results(tmp_path / "full")
    assert len(a) == len(smiles) and a["row"].tolist() == list(range(len(smiles)))
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    assert json.loads((tmp_path / "killed" / "manifest.json").read_text())["settings"]["chunk_size"] == 20
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "killed" / "top_hits.csv"),
                                  pd.read_csv(tmp_path / "full" / "top_hits.csv"), check_exact=True)
    assert resumed.counts == full.counts
    assert not list(shards.glob("*.tmp-*"))
    again = _run(models[0], lib, tmp_path / "killed", resume=True, **kw)  # finished: nothing to redo
    assert again.n_chunks_resumed == n_chunks


def test_default_chunk_size_is_the_documented_one(models, tmp_path):
    from molpred.screen.api import CHUNK_SIZE

    lib = _write(tmp_path / "lib.smi", pd.read_csv(ACE)["smiles"].iloc[:30].tolist())
    _run(models[0], lib, tmp_path / "out", top_k=3, image=False, chunk_size=None)
    assert json.loads((tmp_path / "out" / "manifest.json").read_text())["settings"]["chunk_size"] == CHUNK_SIZE == 2000


def _children(pid: int) -> set[int]:
    out = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.add(int(stat.parent.name))
    return out


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_workers_exit_when_the_screen_is_killed(models, tmp_path):
    lib = _write(tmp_path / "lib.smi", pd.read_csv(ACE)["smiles"].iloc[:800].tolist())
    code = (f"from molpred.screen import screen; screen({str(models[0])!r}, {str(lib)!r}, "
            f"{str(tmp_path / 'out')!r}, workers=2, chunk_size=20, progress=False)")
    proc = subprocess.Popen([sys.executable, "-c", code], env=dict(os.environ, PYTHONPATH=str(ROOT)))
    deadline = time.time() + 300
    while time.time() < deadline and proc.poll() is None and not list((tmp_path / "out").glob("shards/part-*")):
        time.sleep(0.05)
    workers = _children(proc.pid)
    assert proc.poll() is None and len(workers) >= 2, "the screen should be running with its workers"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    deadline = time.time() + 30
    while time.time() < deadline and any(Path(f"/proc/{w}").exists() for w in workers):
        time.sleep(0.2)
    alive = [w for w in workers if Path(f"/proc/{w}").exists()
             and Path(f"/proc/{w}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"]
    assert not alive, f"worker processes {alive} outlived the killed screen"


def test_a_worker_whose_screen_died_before_it_started_exits():
    # a worker still importing when the screen was killed gets its parent's pid from the screen,
    # not from os.getppid() (by then its new parent), and must exit as soon as it is initialised
    code = ("import os, time; from molpred.screen.worker import init_worker; "
            "init_worker(None, parent=os.getppid() + 10**7); time.sleep(60); raise SystemExit(3)")
    t0 = time.time()
    proc = subprocess.run([sys.executable, "-c", code], env=dict(os.environ, PYTHONPATH=str(ROOT)), timeout=120)
    assert proc.returncode == 0 and time.time() - t0 < 50


def test_overwrite_starts_again(models, small_library_smiles, tmp_path):
    lib = _write(tmp_path / "lib.smi", small_library_smiles)
    _run(models[0], lib, tmp_path / "out", top_k=3, image=False, chunk_size=10)
    s = _run(models[0], lib, tmp_path / "out", top_k=3, image=False, overwrite=True, chunk_size=30)
    assert s.n_chunks_resumed == 0 and len(list((tmp_path / "out" / "shards").glob("*.parquet"))) == 3


# ---------------------------------------------------------------------------- ray, CLI
def test_ray_engine_matches_local(models, small_library_smiles, tmp_path):
    library_smiles = small_library_smiles
    pytest.importorskip("ray.data", reason="Ray Data is not installed (pip install 'molpred[distributed]')")
    lib = _write(tmp_path / "lib.parquet", library_smiles)
    local = _run(models[0], lib, tmp_path / "local", top_k=10, image=False, chunk_size=16)
    ray_run = _run(models[0], lib, tmp_path / "ray", top_k=10, image=False, chunk_size=16, engine="ray", workers=2)
    a, b = load_results(tmp_path / "local"), load_results(tmp_path / "ray")
    pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-5)
    assert local.counts == ray_run.counts
    assert local.top_hits["row"].tolist() == ray_run.top_hits["row"].tolist()


def test_cli_screen_end_to_end(models, small_library_smiles, tmp_path, capsys):
    library_smiles = small_library_smiles
    from molpred.cli.screen_cmd import cmd_screen, register

    lib = _write(tmp_path / "lib.smi", library_smiles)
    parser = argparse.ArgumentParser(prog="molpred")
    register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["screen", str(models[0]), str(models[1]), str(lib), "--out", str(tmp_path / "out"),
                              "--top", "7", "--score", "gnn.logs:max", "--filters", "pains,brenk",
                              "--workers", "0", "--chunk-size", "25", "--no-progress", "--rank", "raw"])
    assert cmd_screen(args) == 0
    assert f"{len(library_smiles)} rows screened" in capsys.readouterr().out
    hits = pd.read_csv(tmp_path / "out" / "top_hits.csv")
    assert len(hits) == 7 and (hits["alerts"].isna() | (hits["alerts"] == "")).all()
    with pytest.raises(SystemExit):  # a library needs a model
        parser.parse_args(["screen", str(lib), "--out", str(tmp_path / "x")])


def test_library_without_a_valid_molecule(models, tmp_path):
    lib = _write(tmp_path / "bad.smi", ["", "xx", "C1CC", "[H][H]"] * 5)
    s = _run(models, lib, tmp_path / "out", chunk_size=8)
    res = load_results(tmp_path / "out")
    assert len(res) == 20 and s.counts["ok"] == 0 and s.n_hits == 0
    assert res[["gnn.logs", "mlp.logs", "score"]].isna().all().all()
    assert pd.read_csv(tmp_path / "out" / "top_hits.csv").empty
    assert not (tmp_path / "out" / "top_hits.png").exists()
