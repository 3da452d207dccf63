"""Real training on real molecules: a network must be able to fit a small set."""

from __future__ import annotations

import numpy as np
import pytest

from molpred import MolPropertyRegressor

from ..conftest import ESOL_TARGET


@pytest.mark.slow
@pytest.mark.parametrize("arch", ["dmpnn", "mlp"])
def test_overfits_32_molecules(esol, arch):
    sub = esol.sample(32, random_state=0)
    y = sub[ESOL_TARGET].to_numpy()
    est = MolPropertyRegressor(model=arch, epochs=150, patience=0, val_fraction=0.0, lr=1e-3,
                               batch_size=16, applicability_domain=False)
    est.fit(sub["smiles"].tolist(), y)
    rmse = float(np.sqrt(np.mean((est.predict(sub["smiles"].tolist()) - y) ** 2)))
    assert rmse < 0.1 * y.std(), f"{arch} could not fit 32 molecules: RMSE {rmse:.3f} vs std {y.std():.3f}"
