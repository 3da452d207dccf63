"""``molpred explain`` end to end: pictures, one table row per input row, hostile input."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

torch = pytest.importorskip("torch")

from molpred.cli import main as cli_main  # noqa: E402
from molpred.estimators import MolPropertyRegressor  # noqa: E402
from molpred.explain import atom_attributions, explain_file, explain_frame  # noqa: E402

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
INPUT = ["CCN", "not a smiles", "c1ccc(N)cc1O", "", "CC(=O)Nc1ccccc1", "[H][H]", "C"]


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    smiles = pd.read_csv("datasets/moleculeace/CHEMBL204_Ki.csv")["smiles"].tolist()[:40]
    y = [s.count("N") + s.count("n") for s in smiles]
    est = MolPropertyRegressor(hidden_size=32, ffn_hidden_size=32, epochs=2, seed=0, device="cpu")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.fit(smiles, pd.DataFrame({"n_nitrogen": y}))
    out = tmp_path_factory.mktemp("model")
    est.save(out)
    yield out
    torch.set_num_threads(before)


@pytest.fixture
def cli():
    """The ``molpred`` entry point (explain is registered in main.EXTRA_COMMANDS)."""
    assert cli_main.EXTRA_COMMANDS["explain"] == "molpred.cli.explain_cmd"
    return cli_main.main


@pytest.fixture
def input_csv(tmp_path):
    path = tmp_path / "in.csv"
    pd.DataFrame({"id": [f"m{i}" for i in range(len(INPUT))], "structure": INPUT}).to_csv(path, index=False)
    return path


def test_cli_writes_images_and_tables(cli, model_dir, input_csv, tmp_path, capsys):
    out = tmp_path / "expl"
    code = cli(["explain", str(model_dir), str(input_csv), "--out", str(out), "--smiles-col", "structure"])
    assert code == 0
    assert "7 rows explained" in capsys.readouterr().out
    mols = pd.read_csv(out / "molecules.csv", keep_default_na=False)
    assert len(mols) == len(INPUT)
    assert mols["row"].tolist() == list(range(1, len(INPUT) + 1))
    assert mols["smiles"].tolist() == INPUT
    ok = mols["status"] == "ok"
    assert ok.tolist() == [True, False, True, False, True, False, True]
    assert set(mols.loc[~ok, "status"]) == {"invalid_smiles", "empty", "unsupported"}
    assert (mols.loc[~ok, "image_png"] == "").all() and (mols.loc[~ok, "error"] != "").all()
    for name in mols.loc[ok, "image_png"]:
        assert (out / name).read_bytes().startswith(PNG_MAGIC)
    assert sorted(p.name for p in out.glob("mol_*")) == ["mol_00001.png", "mol_00003.png", "mol_00005.png", "mol_00007.png"]
    assert mols.loc[ok, "target"].eq("n_nitrogen").all()
    atoms = pd.read_csv(out / "atom_scores.csv")
    assert list(atoms.columns) == ["row", "smiles", "smiles_std", "atom_index", "element", "score"]
    assert atoms.groupby("row").size().to_dict() == {1: 3, 3: 8, 5: 10, 7: 1}
    sums = atoms.groupby("row")["score"].sum()
    np.testing.assert_allclose(sums.to_numpy(), mols.loc[ok, "attribution_sum"].astype(float).to_numpy(), rtol=1e-6)
    assert atoms.loc[atoms["row"] == 1, "element"].tolist() == ["C", "C", "N"]


def test_cli_svg_both_and_max(cli, model_dir, input_csv, tmp_path):
    out = tmp_path / "svg"
    assert cli(["explain", str(model_dir), str(input_csv), "--out", str(out), "--smiles-col", "structure",
                "--format", "both", "--max", "3"]) == 0
    mols = pd.read_csv(out / "molecules.csv", keep_default_na=False)
    assert len(mols) == 3
    assert "<svg" in (out / "mol_00001.svg").read_text()
    assert (out / "mol_00001.png").exists() and mols.loc[0, "image_svg"] == "mol_00001.svg"


def test_cli_errors_are_one_line(cli, model_dir, input_csv, tmp_path, capsys):
    assert cli(["explain", str(model_dir), str(input_csv), "--out", str(tmp_path / "o"),
                "--smiles-col", "structure", "--target", "n_nitrogn"]) == 2
    assert "did you mean 'n_nitrogen'" in capsys.readouterr().err
    assert cli(["explain", str(model_dir), str(input_csv), "--out", str(tmp_path / "o"), "--smiles-col", "smile"]) == 2
    assert cli(["explain", str(model_dir), str(tmp_path / "missing.csv"), "--out", str(tmp_path / "o")]) == 2
    assert cli(["explain", str(tmp_path), str(input_csv), "--out", str(tmp_path / "o")]) == 2
    assert cli(["explain", str(model_dir), str(input_csv), "--out", str(tmp_path / "o"), "--max", "0"]) == 2


def test_smi_file_and_python_api(model_dir, tmp_path):
    import molpred

    est = molpred.load(model_dir)
    smi = tmp_path / "lib.smi"
    smi.write_text("CCN first\nC1CC broken\nc1ccncc1 third\n")
    result = explain_file(est, smi, tmp_path / "out", fmt="none")
    assert result.molecules["status"].tolist() == ["ok", "invalid_smiles", "ok"]
    assert not list((tmp_path / "out").glob("mol_*"))
    frame = explain_frame(est, ["CCO", "xx"])
    assert len(frame.molecules) == 2 and frame.molecules["image_png"].eq("").all()
    with pytest.raises(ValueError):
        explain_frame(est, ["CCO"], image_dir=tmp_path, fmt="gif")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.text(max_size=30), max_size=4))
def test_hostile_text_never_raises(model_dir, texts):
    import molpred

    est = molpred.load(model_dir)
    out = atom_attributions(est, texts, n_steps=4)
    assert [a.row for a in out] == list(range(len(texts)))
    for a in out:
        assert a.ok == (a.weights is not None)


def test_ids_prediction_interval_and_domain_carried_through(cli, model_dir, input_csv, tmp_path):
    """Issue 21: the input's id column reaches molecules.csv and the captions, with the
    prediction, its interval and the in-domain flag."""
    out = tmp_path / "ids"
    assert cli(["explain", str(model_dir), str(input_csv), "--out", str(out), "--smiles-col", "structure",
                "--format", "svg"]) == 0
    mols = pd.read_csv(out / "molecules.csv", keep_default_na=False)
    assert mols.columns[0] == "id" and mols["id"].tolist() == [f"m{i}" for i in range(len(INPUT))]
    assert {"prediction_lo", "prediction_hi", "in_domain"} <= set(mols.columns)
    ok = mols["status"] == "ok"
    lo, pred, hi = (mols.loc[ok, c].astype(float) for c in ("prediction_lo", "prediction", "prediction_hi"))
    assert (lo <= pred).all() and (pred <= hi).all()  # (infinite: too few molecules to calibrate)
    flags = set(mols.loc[ok, "in_domain"].astype(str))
    svg = (out / "mol_00003.svg").read_text()
    p = float(mols.loc[2, "prediction"])
    assert ">#3 m2</text>" in svg and f">n_nitrogen {p:.1f}" in svg
    if flags == {""}:  # this 40-molecule model has too few validation molecules for a domain threshold
        assert "domain</text>" not in svg
    else:
        assert flags <= {"True", "False"}
        assert ("in domain</text>" in svg) != ("OUT of domain</text>" in svg)
    # --id-col picks another column; a missing one is a one-line error
    assert cli(["explain", str(model_dir), str(input_csv), "--out", str(tmp_path / "o2"), "--smiles-col",
                "structure", "--id-col", "nope", "--format", "none"]) == 2
