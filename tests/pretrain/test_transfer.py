"""The shipped encoder helps: fine-tuning molpred-base beats the same network from scratch.

ESOL (MoleculeNet; every ESOL molecule was excluded from molpred-base's pretraining set), a
seeded random split: 100 training molecules (10 of them held out for early stopping) and the
next 300 as the test set. Same architecture, settings and seeds; only the encoder's start
differs. Loading by name also checks that ``"molpred-base"`` resolves offline from the package.
"""

from __future__ import annotations

import numpy as np
import pytest

from molpred import MolPropertyRegressor
from molpred.pretrain.bundle import list_pretrained
from tests.conftest import ESOL_TARGET

SETTINGS = dict(model="dmpnn", epochs=30, batch_size=32, applicability_domain=False, device="cpu")


def _split(esol, n_train=100, n_test=300):
    perm = np.random.default_rng(0).permutation(len(esol))
    tr, te = esol.iloc[perm[:n_train]], esol.iloc[perm[n_train:n_train + n_test]]
    return tr["smiles"].tolist(), tr[ESOL_TARGET].to_numpy(), te["smiles"].tolist(), te[ESOL_TARGET].to_numpy()


def _rmse(est, xs, ys) -> float:
    return float(np.sqrt(np.mean((est.predict(xs) - ys) ** 2)))


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1])
def test_molpred_base_beats_scratch_on_small_esol(esol, seed):
    assert "molpred-base" in list_pretrained()
    xs, ys, xt, yt = _split(esol)
    scratch = MolPropertyRegressor(seed=seed, pretrained=None, **SETTINGS).fit(xs, ys)
    tuned = MolPropertyRegressor(seed=seed, pretrained="molpred-base", **SETTINGS).fit(xs, ys)
    assert tuned.train_summary_["encoder_start"]["pretrained"] == "molpred-base"
    r_scratch, r_tuned = _rmse(scratch, xt, yt), _rmse(tuned, xt, yt)
    assert r_tuned < r_scratch, f"fine-tuned RMSE {r_tuned:.3f} vs scratch {r_scratch:.3f}"
