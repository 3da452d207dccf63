"""The campaign surrogates: both kinds fit on real molecules and give mean + spread per pool row."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from molpred.campaign import CandidatePool, SurrogateConfig
from molpred.campaign.surrogate import make_surrogate
from molpred.chem import standardize_many
from molpred.datasets import find_data_dir

DATA = find_data_dir("molpal") / "molpal" / "Enamine10k_scores.csv.gz"


@pytest.fixture(scope="module")
def pool_and_scores():
    """200 real Enamine molecules with docking scores, plus an unparsable row at position 0."""
    if not DATA.is_file():
        pytest.skip(f"{DATA} not available")
    frame = pd.read_csv(DATA).sample(n=200, random_state=1).reset_index(drop=True)
    smiles = [r.smiles for r in standardize_many(["not a smiles", *frame["smiles"]])]
    return CandidatePool(smiles), np.concatenate([[np.nan], frame["score"].to_numpy(float)])


@pytest.mark.parametrize(
    "config",
    [SurrogateConfig("fingerprint", ensemble=3, epochs=20, hidden=64),
     SurrogateConfig("graph-ensemble", ensemble=2, epochs=3)],
    ids=["fingerprint", "graph-ensemble"],
)
def test_surrogate_fits_and_scores_every_pool_row(pool_and_scores, config):
    pool, scores = pool_and_scores
    train = np.arange(1, 121)
    surrogate = make_surrogate(config, seed=0)
    info = surrogate.fit(pool, train, scores[train])
    assert info["n_train"] == 120 and info["fit_seconds"] > 0
    assert {"kind", "n", "rmse", "spearman"} <= set(info["validation"])  # same keys for both kinds
    assert 0 < info["validation"]["n"] <= 120  # out-of-fold (fingerprint) or early-stopping hold-out

    mean, std = surrogate.predict(pool, np.arange(len(pool)))
    assert mean.shape == std.shape == (len(pool),)
    assert np.isnan(mean[0]) and np.isnan(std[0])  # the unparsable row gets no prediction
    assert np.isfinite(mean[1:]).all() and (std[1:] >= 0).all() and std[1:].max() > 0
    # predictions are in docking-score units, not scaled ones
    assert scores[1:].min() - 1 < np.median(mean[1:]) < scores[1:].max() + 1
    # the same rows in another order give the same numbers
    again, _ = surrogate.predict(pool, np.arange(len(pool))[::-1])
    assert np.allclose(again[::-1][1:], mean[1:], atol=1e-5)
