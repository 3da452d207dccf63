"""Duplicate molecules after standardisation: merging, reporting, and splits that keep them together."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from molpred.data.duplicates import group_ids, merge_duplicates

NAN = np.nan


def test_group_ids_first_occurrence_order_and_none_alone():
    assert group_ids(["a", "b", "a", None, None, "b"]).tolist() == [0, 1, 0, 2, 3, 1]


def test_regression_merge_takes_the_mean_and_reports_spread():
    keys = ["CCO", "CCN", "CCO", "CCO"]
    y = np.array([[1.0, NAN], [5.0, 2.0], [2.0, NAN], [3.0, 7.0]])
    rows, merged, rep = merge_duplicates(keys, y, "regression")
    assert rows.tolist() == [0, 1]
    np.testing.assert_allclose(merged, [[2.0, 7.0], [5.0, 2.0]])
    assert (rep.n_rows, rep.n_molecules, rep.n_groups, rep.n_rows_in_groups) == (4, 2, 1, 3)
    assert rep.n_conflicting == 1 and rep.max_label_range == 2.0 and rep.examples == ("CCO",)


def test_classification_majority_conflicts_and_ties():
    keys = ["A", "A", "A", "B", "B", "C", "C"]
    y = np.array([[1], [1], [0], [1], [0], [0], [0]], dtype=float)
    rows, merged, rep = merge_duplicates(keys, y, "classification")
    assert rows.tolist() == [0, 3, 5]
    assert merged[0, 0] == 1 and np.isnan(merged[1, 0]) and merged[2, 0] == 0  # tie -> no label, not a guess
    assert rep.n_groups == 3 and rep.n_conflicting == 2 and rep.n_ties == 1


def test_keep_and_error_policies():
    keys, y = ["A", "A", "B"], np.array([[1.0], [2.0], [3.0]])
    rows, same, rep = merge_duplicates(keys, y, "regression", "keep")
    assert rows.tolist() == [0, 1, 2] and (same == y).all() and rep.n_groups == 1
    with pytest.raises(ValueError, match="1 molecules occur more than once"):
        merge_duplicates(keys, y, "regression", "error")
    with pytest.raises(ValueError, match="did you mean 'merge'"):
        merge_duplicates(keys, y, "regression", "merg")


def _salty(esol: pd.DataFrame, n: int = 60):
    """``n`` ESOL molecules; the first 20 also as a second drawing with a label 0.5 higher."""
    from rdkit import Chem

    base = esol["smiles"].iloc[:n].tolist()
    y = esol["measured log solubility in mols per litre"].iloc[:n].to_numpy(float)
    # a second drawing of the same molecule (random atom order + a water of crystallisation)
    again = [Chem.MolToSmiles(Chem.MolFromSmiles(s), doRandom=True, canonical=False) + ".O" for s in base[:20]]
    return base + again, np.concatenate([y, y[:20] + 0.5])


def test_estimator_merges_and_reports_duplicates(esol):
    from molpred import MolPropertyRegressor

    smiles, y = _salty(esol)
    with pytest.warns(UserWarning, match="20 molecules occur more than once"):
        est = MolPropertyRegressor(model="mlp", epochs=2, val_fraction=0.2, seed=0).fit(smiles, y)
    dup = est.train_summary_["duplicates"]
    assert dup["policy"] == "merge" and dup["n_groups"] == 20 and dup["n_rows_in_groups"] == 40
    assert dup["n_conflicting"] == 20 and dup["max_label_range"] == pytest.approx(0.5)
    assert est.train_summary_["n_train"] + est.train_summary_["n_val"] == 60  # one row per molecule
    with pytest.raises(ValueError, match="occur more than once"):
        MolPropertyRegressor(model="mlp", epochs=1, duplicates="error").fit(smiles, y)


def test_holdout_never_splits_a_molecule():
    from molpred.train.fitting import _grouped_holdout, _holdout

    keys = [f"m{i % 25}" for i in range(100)]  # 25 molecules, 4 rows each ("keep" policy)
    tr, va = _grouped_holdout(keys, 0.2, seed=3)
    assert len(tr) + len(va) == 100 and len(va) == 20
    assert not {keys[i] for i in tr} & {keys[i] for i in va}
    distinct = [f"m{i}" for i in range(40)]  # without duplicates it is the plain random hold-out
    for a, b in zip(_grouped_holdout(distinct, 0.1, 7), _holdout(40, 0.1, 7)):
        assert a.tolist() == b.tolist()


@pytest.mark.parametrize("split", ["random", "scaffold", "cluster"])
def test_train_table_keeps_each_molecule_on_one_side(esol, split, tmp_path):
    import json

    from molpred.workflow import train_table

    smiles, y = _salty(esol)
    frame = pd.DataFrame({"smiles": smiles, "logS": y})
    with pytest.warns(UserWarning):
        outcome = train_table(frame, "smiles", ["logS"], split=split, model="mlp", epochs=1, seed=1,
                              out=tmp_path / "m")
    from molpred.workflow import split_by_molecule

    part, overlap = split_by_molecule(smiles, split, frame, (0.8, 0.1, 0.1), 1, outcome.estimator._standardize_config())
    assert overlap == 0
    from molpred.chem.standardize import to_mol_record

    std = [to_mol_record(s).smiles for s in smiles]
    side = {}
    for name, rows in (("train", part.train), ("val", part.val), ("test", part.test)):
        for i in rows:
            assert side.setdefault(std[i], name) == name, f"{smiles[i]} on two sides"
    metrics = json.loads((tmp_path / "m" / "metrics.json").read_text())
    assert metrics["duplicates"]["molecules_on_both_sides_of_split"] == 0
    assert metrics["duplicates"]["n_groups"] >= 1  # the train part's own duplicates, merged


@pytest.mark.parametrize("standardize", [False, True])
def test_split_sees_the_molecules_the_model_sees(esol, monkeypatch, standardize):
    """``standardize=False``: the scaffold split gets the molecules as written (salts kept)."""
    import molpred.data.splits as splits
    from molpred.workflow import train_table

    seen = []
    real = splits.make_split

    def spy(kind, mols, *args, **kw):
        seen.extend(mols)
        return real(kind, mols, *args, **kw)

    monkeypatch.setattr(splits, "make_split", spy)
    salts = [s + ".Cl" for s in ["CCN", "CCCN", "NCc1ccccc1", "CN1CCCC1c1cccnc1", "NC1CCCCC1"]]
    frame = pd.DataFrame({"smiles": salts + esol["smiles"].iloc[:35].tolist(),
                          "y": np.arange(40, dtype=float)})
    train_table(frame, "smiles", ["y"], split="scaffold", model="mlp", epochs=1, standardize=standardize)
    from rdkit import Chem

    n_salts = sum(len(Chem.GetMolFrags(m)) > 1 for m in seen)
    assert n_salts == (0 if standardize else 5)


def test_user_given_split_is_kept_and_its_overlap_counted():
    from molpred.chem.standardize import StandardizeConfig
    from molpred.workflow import split_by_molecule

    frame = pd.DataFrame({"smiles": ["CCO", "OCC", "c1ccccc1", "CCN", "CC(=O)O.[Na]"],
                          "part": ["train", "test", "train", "val", "test"]})
    with pytest.warns(UserWarning, match="1 molecules on more than one side"):
        part, overlap = split_by_molecule(frame["smiles"].tolist(), "column:part", frame, (0.8, 0.1, 0.1), 0,
                                          StandardizeConfig())
    assert overlap == 1  # ethanol written twice, once in train and once in test
    assert part.train.tolist() == [0, 2] and part.val.tolist() == [3] and part.test.tolist() == [1, 4]
