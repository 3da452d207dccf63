"""MolPAL's surrogates (molpal-nn, molpal-rf) and atom-pair pool features, on real Enamine molecules."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import spearmanr

from molpred.campaign import AcquisitionConfig, BatchConfig, CandidatePool, SurrogateConfig, simulate
from molpred.campaign.surrogate import make_surrogate
from molpred.chem import standardize_many
from molpred.datasets.cards import find_data_dir

DATA = find_data_dir("molpal") / "molpal" / "Enamine10k_scores.csv.gz"


@pytest.fixture(scope="module")
def pool_and_scores():
    """300 real Enamine molecules with docking scores, plus an unparsable row at position 0."""
    if not DATA.is_file():
        pytest.skip(f"{DATA} not available")
    frame = pd.read_csv(DATA).sample(n=300, random_state=2).reset_index(drop=True)
    smiles = [r.smiles for r in standardize_many(["not a smiles", *frame["smiles"]])]
    return CandidatePool(smiles), np.concatenate([[np.nan], frame["score"].to_numpy(float)])


def test_atom_pair_features_are_molpals_pair_encoder(pool_and_scores, tmp_path):
    from rdkit import Chem
    from rdkit.Chem import rdMolDescriptors

    pool, _ = pool_and_scores
    fps = pool.features("atompair")
    assert fps.shape == (len(pool), 2048) and fps[0].sum() == 0
    for i in (1, 50, 250):  # MolPAL: GetHashedAtomPairFingerprintAsBitVect(mol, 1, 1 + radius 2, 2048)
        bv = rdMolDescriptors.GetHashedAtomPairFingerprintAsBitVect(
            Chem.MolFromSmiles(pool.smiles[i]), minLength=1, maxLength=3, nBits=2048)
        np.testing.assert_array_equal(fps[i], np.array(list(bv), dtype=np.uint8))
    assert not np.array_equal(fps[1:], pool.features("morgan")[1:])
    # cached on disk next to the Morgan cache, and reloaded
    a = CandidatePool(pool.smiles[:20], cache_path=tmp_path / "lib.fp.npz")
    first = a.features("atompair")
    assert (tmp_path / "lib.fp.atompair.npz").is_file()
    np.testing.assert_array_equal(CandidatePool(pool.smiles[:20], cache_path=tmp_path / "lib.fp.npz")
                                  .features("atompair"), first)
    with pytest.raises(ValueError, match="did you mean 'atompair'"):
        pool.features("atompairs")


def test_config_defaults_and_validation():
    nn = SurrogateConfig("molpal_nn")
    assert (nn.kind, nn.ensemble, nn.hidden, nn.features, nn.dropout) == ("molpal-nn", 10, 100, "atompair", None)
    assert SurrogateConfig("molpal-rf").ensemble == 100
    fp = SurrogateConfig("fingerprint")  # the earlier defaults are unchanged
    assert (fp.ensemble, fp.hidden, fp.features) == (5, 256, "morgan")
    assert SurrogateConfig.from_dict(nn.to_dict()) == nn
    with pytest.raises(ValueError, match="did you mean 'molpal-rf'"):
        SurrogateConfig("molpal-fr")
    with pytest.raises(ValueError, match="dropout"):
        SurrogateConfig("molpal-nn", dropout=1.5)
    with pytest.raises(ValueError, match="features"):
        SurrogateConfig("molpal-nn", features="maccs")


@pytest.mark.parametrize(
    "config",
    [SurrogateConfig("molpal-nn"), SurrogateConfig("molpal-nn", dropout=0.2),
     SurrogateConfig("molpal-rf", ensemble=30)],
    ids=["nn-greedy", "nn-mc-dropout", "rf"],
)
def test_molpal_surrogates_learn_and_score_every_row(pool_and_scores, config):
    pool, scores = pool_and_scores
    train, test = np.arange(1, 201), np.arange(201, len(pool))
    surrogate = make_surrogate(config, seed=0)
    info = surrogate.fit(pool, train, scores[train])
    assert info["n_train"] == 200
    if config.kind == "molpal-nn":  # 20% early-stopping hold-out, validated every 2nd epoch
        assert info["validation"]["n"] == 40
        assert 2 <= info["best_epoch"] <= info["epochs_run"] <= 50 and info["best_epoch"] % 2 == 0

    mean, std = surrogate.predict(pool, np.arange(len(pool)))
    assert np.isnan(mean[0]) and np.isnan(std[0])  # the unparsable row gets no prediction
    assert np.isfinite(mean[1:]).all()
    assert scores[1:].min() - 1 < np.median(mean[1:]) < scores[1:].max() + 1  # docking-score units
    # it learned: ranks unseen molecules better than chance
    assert spearmanr(mean[test], scores[test]).statistic > 0.2
    if config.kind == "molpal-nn" and not config.dropout:
        assert (std[1:] == 0).all()  # MolPAL's NN for greedy has no uncertainty
    else:
        assert (std[1:] >= 0).all() and std[1:].max() > 0
    # seeded: the same seed gives the same model and predictions (MC-dropout masks included)
    again = make_surrogate(config, seed=0)
    again.fit(pool, train, scores[train])
    np.testing.assert_allclose(again.predict(pool, np.arange(len(pool)))[0][1:], mean[1:], rtol=1e-5)


def test_simulation_with_molpal_rf_reports_the_three_metrics_and_beats_random(pool_and_scores):
    pool, scores = pool_and_scores
    kw = dict(direction="min", batch=BatchConfig(15), init_size=15, rounds=3, top_k=15, seed=0)
    rf = simulate(pool, scores, surrogate=SurrogateConfig("molpal-rf", ensemble=20),
                  acquisition=AcquisitionConfig("greedy"), **kw)
    rnd = simulate(pool, scores, surrogate=SurrogateConfig("molpal-rf"), acquisition=AcquisitionConfig("random"), **kw)
    cols = ["top15_scores", "top15_smiles", "top15_avg_score", "top15_avg_fraction"]
    assert set(cols) <= set(rf.columns)
    assert (rf["top15_scores"] >= rf["top15_smiles"]).all()
    assert rf["top15_scores"].is_monotonic_increasing
    assert rf["top15_scores"].iloc[-1] > rnd["top15_scores"].iloc[-1]
    assert rf["top15_avg_score"].iloc[-1] < rnd["top15_avg_score"].iloc[-1]  # lower docking score is better
    assert (rf["round_seconds"] >= rf["fit_seconds"]).all()
