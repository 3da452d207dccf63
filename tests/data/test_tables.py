from __future__ import annotations

import gzip

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rdkit import Chem

from molpred.data.tables import detect_format, read_table, resolve_column, write_table
from molpred.exceptions import DataFileError

ROWS = ["CCO", "c1ccccc1", "not_smiles"]


def test_detect_format():
    assert detect_format("a/b.smi.gz") == ("smi", True)
    assert detect_format("x.PARQUET") == ("parquet", False)
    with pytest.raises(DataFileError, match="unknown file type"):
        detect_format("x.xlsx")


def test_every_format_round_trips(tmp_path):
    frame = pd.DataFrame({"smiles": ROWS, "y": [1.0, 2.0, 3.0]})
    frame.to_csv(tmp_path / "a.csv", index=False)
    frame.to_csv(tmp_path / "a.csv.gz", index=False, compression="gzip")
    frame.to_csv(tmp_path / "a.tsv", index=False, sep="\t")
    frame.to_parquet(tmp_path / "a.parquet")
    (tmp_path / "a.smi").write_text("".join(f"{s} mol{i}\n" for i, s in enumerate(ROWS)))
    with gzip.open(tmp_path / "a.smi.gz", "wt") as fh:
        fh.write("smiles\n" + "\n".join(ROWS) + "\n")
    with Chem.SDWriter(str(tmp_path / "a.sdf")) as w:
        for i, s in enumerate(ROWS[:2]):
            m = Chem.MolFromSmiles(s)
            m.SetProp("_Name", f"m{i}")
            m.SetProp("y", str(i))
            w.write(m)
    for name in ("a.csv", "a.csv.gz", "a.tsv", "a.parquet", "a.smi", "a.smi.gz"):
        got = read_table(tmp_path / name)
        assert got["smiles"].tolist() == ROWS, name
    sdf = read_table(tmp_path / "a.sdf")
    assert sdf["smiles"].tolist() == ["CCO", "c1ccccc1"] and sdf["name"].tolist() == ["m0", "m1"]
    out = write_table(frame, tmp_path / "o.parquet")
    assert read_table(out).equals(read_table(tmp_path / "a.parquet"))


def test_missing_empty_and_header_only(tmp_path):
    with pytest.raises(DataFileError, match="no such file"):
        read_table(tmp_path / "nope.csv")
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(DataFileError, match="empty"):
        read_table(tmp_path / "empty.csv")
    (tmp_path / "head.csv").write_text("smiles,y\n")
    with pytest.raises(DataFileError, match="no rows"):
        read_table(tmp_path / "head.csv")
    (tmp_path / "bad.parquet").write_bytes(b"not parquet at all")
    with pytest.raises(DataFileError, match="cannot read"):
        read_table(tmp_path / "bad.parquet")
    (tmp_path / "bad.csv.gz").write_bytes(b"not gzip")
    with pytest.raises(DataFileError, match="cannot read"):
        read_table(tmp_path / "bad.csv.gz")


def test_wrong_delimiter_and_unknown_column_messages(tmp_path):
    (tmp_path / "semi.csv").write_text("smiles;y\nCCO;1\n")
    frame = read_table(tmp_path / "semi.csv")
    with pytest.raises(DataFileError, match="delimiter"):
        resolve_column(frame, "smiles", tmp_path / "semi.csv")
    good = pd.DataFrame({"SMILES": ["C"], "pki": [1]})
    with pytest.raises(DataFileError, match="did you mean 'pki'"):
        resolve_column(good, "pKi", role="target column")
    assert resolve_column(good, None) == "SMILES"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(content=st.binary(max_size=400), ext=st.sampled_from(["csv", "tsv", "smi", "sdf", "parquet", "csv.gz", "smi.gz"]))
def test_hostile_files_give_dataframe_or_clean_error(tmp_path, content, ext):
    path = tmp_path / f"f.{ext}"
    path.write_bytes(content)
    try:
        frame = read_table(path)
    except DataFileError as exc:
        assert str(path.name) in str(exc)
    else:
        assert isinstance(frame, pd.DataFrame) and len(frame) > 0
