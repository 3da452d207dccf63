from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from rdkit import Chem

from molpred.data.splits import (
    cluster_split,
    column_split,
    make_split,
    murcko_scaffold,
    random_split,
    scaffold_split,
    time_split,
)


@pytest.mark.parametrize(
    "smiles, scaffold",
    [
        ("CC(=O)Oc1ccccc1C(=O)O", "c1ccccc1"),  # aspirin
        ("CC(C)Cc1ccc(C(C)C(=O)O)cc1", "c1ccccc1"),  # ibuprofen
        ("CN1C(=O)CN=C(c2ccccc2)c2cc(Cl)ccc21", "O=C1CN=C(c2ccccc2)c2ccccc2N1"),  # diazepam
        ("CN1C=NC2=C1C(=O)N(C(=O)N2C)C", "O=c1[nH]c(=O)c2[nH]cnc2[nH]1"),  # caffeine
        ("CCCCCC", ""),  # acyclic
    ],
)
def test_scaffolds_of_known_drugs(smiles, scaffold):
    got = murcko_scaffold(Chem.MolFromSmiles(smiles))
    expected = Chem.CanonSmiles(scaffold) if scaffold else ""
    assert got == expected


def _check_partition(split, n):
    allidx = np.concatenate([split.train, split.val, split.test])
    assert len(allidx) == n and len(np.unique(allidx)) == n


def test_random_split_deterministic_and_sized():
    a, b, c = random_split(100, seed=1), random_split(100, seed=1), random_split(100, seed=2)
    assert np.array_equal(a.train, b.train) and not np.array_equal(a.train, c.train)
    assert a.sizes() == {"train": 80, "val": 10, "test": 10}
    _check_partition(a, 100)


def test_scaffold_split_keeps_scaffolds_together(esol):
    mols = [Chem.MolFromSmiles(s) for s in esol["smiles"]]
    split = scaffold_split(mols, seed=0)
    _check_partition(split, len(mols))
    scaf = np.array([murcko_scaffold(m) for m in mols], dtype=object)
    assert not set(scaf[split.train]) & set(scaf[split.test])
    assert not set(scaf[split.val]) & set(scaf[split.test])
    assert abs(len(split.train) / len(mols) - 0.8) < 0.05
    again = scaffold_split(mols, seed=0)
    assert np.array_equal(split.test, again.test)
    assert not np.array_equal(split.test, scaffold_split(mols, seed=3).test)


def test_cluster_split_partitions(esol):
    mols = [Chem.MolFromSmiles(s) for s in esol["smiles"][:200]]
    for method in ("butina", "kmeans"):
        split = cluster_split(mols, method=method, seed=0)
        _check_partition(split, 200)
        assert len(split.test) > 0


def test_column_and_time_splits():
    split = column_split(["train", "Test", "valid", "train", "TRAIN"])
    assert split.train.tolist() == [0, 3, 4] and split.val.tolist() == [2] and split.test.tolist() == [1]
    with pytest.raises(ValueError, match="expected train"):
        column_split(["train", "holdout"])
    dates = pd.date_range("2020-01-01", periods=10).astype(str)[::-1]
    t = time_split(list(dates))
    assert set(t.test.tolist()) == {0}  # newest date is row 0
    with pytest.raises(ValueError, match="not dates"):
        time_split(["2020-01-01", "yesterday-ish"])


def test_make_split_dispatch_and_errors():
    frame = pd.DataFrame({"s": ["train", "test", "val", "train"]})
    assert make_split("column:s", [None] * 4, frame).test.tolist() == [1]
    with pytest.raises(ValueError, match="did you mean 'scaffold'"):
        make_split("scafold", [], frame)
    with pytest.raises(ValueError, match="needs a column"):
        make_split("time:date", [], frame)


def _enantiomer_series() -> list[str]:
    """Both enantiomers of 2-/3-aryl saturated heterocycles (stereocentre inside the scaffold)."""
    cores = ["C1CCN[C@@H]({})C1", "C1CN[C@@H]({})C1", "C1CC[C@@H]({})CN1", "C1COC[C@@H]({})N1",
             "C1C[C@@H]({})CN1", "C1CCC[C@@H]({})N1"]
    aryls = ["c2ccc({})cc2", "c2ccc({})nc2", "c2cc({})cs2", "c2ccc({})c3ccccc23"]
    subst = ["C", "F", "Cl", "OC"]
    out = []
    for core in cores:
        for aryl in aryls:
            for r in subst:
                s = core.format(aryl.format(r))
                out += [Chem.CanonSmiles(s), Chem.CanonSmiles(s.replace("@@", "@"))]
    return out


def test_enantiomers_share_a_stereo_free_scaffold():
    r = Chem.MolFromSmiles("C1CCN[C@@H](c2ccccc2)C1")
    s = Chem.MolFromSmiles("C1CCN[C@H](c2ccccc2)C1")
    assert murcko_scaffold(r) == murcko_scaffold(s) == Chem.CanonSmiles("C1CCNC(c2ccccc2)C1")
    assert murcko_scaffold(r, include_chirality=True) != murcko_scaffold(s, include_chirality=True)


@pytest.mark.parametrize("seed", range(3))
def test_scaffold_split_keeps_enantiomers_together(seed):
    smiles = _enantiomer_series()
    mols = [Chem.MolFromSmiles(s) for s in smiles]
    split = scaffold_split(mols, seed=seed)
    side = {}
    for name, part in (("train", split.train), ("val", split.val), ("test", split.test)):
        for i in part:
            side[i] = name
    flat = [Chem.MolToSmiles(m, isomericSmiles=False) for m in mols]
    for i in range(len(mols)):
        for j in range(i + 1, len(mols)):
            if flat[i] == flat[j]:
                assert side[i] == side[j], f"{smiles[i]} ({side[i]}) and {smiles[j]} ({side[j]}) split apart"
