"""Shared fixture of the training tests: 240 training molecules of a real MoleculeACE target."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def ace():
    """SMILES and labels of the first 240 shipped training rows of CHEMBL2835_Ki."""
    df = pd.read_csv(ROOT / "datasets" / "moleculeace" / "CHEMBL2835_Ki.csv")
    train = df[df["split"] == "train"].iloc[:240]
    return train["smiles"].tolist(), train["y"].to_numpy()
