"""Shared fixtures. Real data comes from ../shared/data (MOLPRED_DATA_DIR overrides)."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("MOLPRED_DATA_DIR", str((ROOT.parent / "shared" / "data").resolve()))
DATA_DIR = Path(os.environ["MOLPRED_DATA_DIR"])
ESOL_TARGET = "measured log solubility in mols per litre"


@pytest.fixture(scope="session")
def data_dir() -> Path:
    if not (DATA_DIR / "moleculenet" / "delaney-processed.csv").exists():
        pytest.fail(f"real data not found in {DATA_DIR}; set MOLPRED_DATA_DIR")
    return DATA_DIR


@pytest.fixture(scope="session")
def esol(data_dir) -> pd.DataFrame:
    """The ESOL table (1,128 molecules)."""
    return pd.read_csv(data_dir / "moleculenet" / "delaney-processed.csv")


@pytest.fixture(scope="session")
def small_regressor(esol):
    """A real D-MPNN trained briefly on 300 ESOL molecules, shared by read-only tests."""
    from molpred import MolPropertyRegressor

    sub = esol.iloc[:300]
    return MolPropertyRegressor(model="dmpnn", hidden_size=64, epochs=4, seed=0).fit(
        sub["smiles"].tolist(), sub[ESOL_TARGET].rename("logS")
    )
