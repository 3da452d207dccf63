"""The cross-target transfer source never holds a test molecule of any MoleculeACE target."""

from __future__ import annotations

import numpy as np

from benchmarks.multitask_transfer import _canonical, source_table
from benchmarks.tasks import TASKS, load_task


def test_source_table_has_no_test_molecule_and_keeps_the_training_labels():
    table, info = source_table(seed=0)
    assert info["targets"] == 30 == table.shape[1] - 1
    keys = set(table["smiles"])
    assert len(keys) == len(table) == info["molecules"]
    for name, task in TASKS.items():
        if task.suite != "moleculeace":
            continue
        data = load_task(task, seed=0)
        assert not keys & set(_canonical(list(data.smiles_test))), name
    # a training label that survives is the mean of that molecule's rows in its target
    target = "CHEMBL2835_Ki"
    data = load_task(TASKS[f"moleculeace/{target}"], seed=0)
    train = dict(zip(_canonical(list(data.smiles_train)), np.asarray(data.y_train, float).ravel()))
    row = table.dropna(subset=[target]).iloc[0]
    assert np.isclose(row[target], train[row["smiles"]])
    assert info["labels"] == int(table.drop(columns="smiles").notna().to_numpy().sum())
    assert info["test_molecules_in_another_targets_training_split"] > 0  # why the removal matters
