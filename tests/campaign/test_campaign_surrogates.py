"""molpred's own campaign surrogates (gp, nn-ensemble) and MolPAL's MPN, on real Enamine molecules."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import spearmanr

from molpred.campaign import AcquisitionConfig, BatchConfig, CandidatePool, SurrogateConfig, simulate
from molpred.campaign.surrogate import make_surrogate
from molpred.chem import standardize_many
from molpred.datasets.cards import find_data_dir
from molpred.learners.kernel import tanimoto_kernel

DATA = find_data_dir("molpal") / "molpal" / "Enamine10k_scores.csv.gz"


@pytest.fixture(scope="module")
def pool_and_scores():
    """300 real Enamine molecules with docking scores, plus an unparsable row at position 0."""
    if not DATA.is_file():
        pytest.skip(f"{DATA} not available")
    frame = pd.read_csv(DATA).sample(n=300, random_state=3).reset_index(drop=True)
    smiles = [r.smiles for r in standardize_many(["not a smiles", *frame["smiles"]])]
    return CandidatePool(smiles), np.concatenate([[np.nan], frame["score"].to_numpy(float)])


def test_config_defaults_and_validation():
    gp, ens, mpn = SurrogateConfig("gp"), SurrogateConfig("nn_ensemble"), SurrogateConfig("molpal-mpn")
    assert (gp.kind, gp.features, gp.ensemble) == ("gp", "atompair-full+morgan", 1)
    assert (ens.kind, ens.ensemble, ens.hidden, ens.features) == ("nn-ensemble", 5, 100, "atompair")
    assert (mpn.ensemble, mpn.hidden) == (1, 300)
    assert SurrogateConfig.from_dict(gp.to_dict()) == gp
    with pytest.raises(ValueError, match=">= 2"):  # its std is the members' spread
        SurrogateConfig("nn-ensemble", ensemble=1)
    with pytest.raises(ValueError, match="did you mean 'gp'"):
        SurrogateConfig("gpp")
    with pytest.raises(ValueError, match="for the gp surrogate"):  # 4096 bits: the networks take 2048
        SurrogateConfig("nn-ensemble", features="atompair+morgan")
    with pytest.raises(ValueError, match="did you mean 'morgan'"):
        SurrogateConfig("gp", features="atompair+morgen")
    assert mpn.mve is None and SurrogateConfig.from_dict(SurrogateConfig("molpal-mpn", mve=False).to_dict()).mve is False
    with pytest.raises(ValueError, match="mve is a setting of the molpal-mpn surrogate"):
        SurrogateConfig("gp", mve=False)
    with pytest.raises(ValueError, match="mve must be True, False or None"):
        SurrogateConfig("molpal-mpn", mve="no")
    assert mpn.protocol == "paper" and SurrogateConfig.from_dict(mpn.to_dict()) == mpn
    legacy = SurrogateConfig.from_dict({"kind": "molpal-mpn", "mve": False})  # a state saved before protocol
    assert legacy.protocol == "lightning"  # resumes the way it was trained
    assert gp.protocol is None
    with pytest.raises(ValueError, match="protocol is a setting of the molpal-mpn surrogate"):
        SurrogateConfig("gp", protocol="paper")
    with pytest.raises(ValueError, match="protocol must be one of paper, lightning"):
        SurrogateConfig("molpal-mpn", protocol="2021")


def test_full_range_atom_pairs_are_rdkits_default_atom_pairs(pool_and_scores):
    from rdkit import Chem
    from rdkit.Chem import rdFingerprintGenerator

    pool, _ = pool_and_scores
    full, short = pool.features("atompair-full"), pool.features("atompair")
    assert full.shape == (len(pool), 2048) and full[0].sum() == 0
    gen = rdFingerprintGenerator.GetAtomPairGenerator(fpSize=2048, countSimulation=True)  # distances 1-30
    for i in (1, 99):
        np.testing.assert_array_equal(full[i], gen.GetFingerprintAsNumPy(Chem.MolFromSmiles(pool.smiles[i])))
    assert (full[1:].sum(1) > short[1:].sum(1)).mean() > 0.9  # longer paths: more pairs set


def test_tanimoto_kernel_equals_the_float64_definition(pool_and_scores):
    pool, _ = pool_and_scores
    fps = pool.features("atompair")
    a, b = fps[:120].astype(np.float64), fps[1:60].astype(np.float64)
    inter = a @ b.T
    union = a.sum(1)[:, None] + b.sum(1)[None, :] - inter
    expected = np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)
    got = tanimoto_kernel(fps[:120], b.astype(np.float32))
    np.testing.assert_array_equal(got, expected)  # integer intersections: exact in float32
    assert (got[0] == 0).all()  # the unusable row (no bits) is similar to nothing


@pytest.mark.parametrize(
    "config",
    [SurrogateConfig("gp"), SurrogateConfig("gp", features="atompair"), SurrogateConfig("nn-ensemble", ensemble=3),
     SurrogateConfig("molpal-mpn", epochs=4)],
    ids=["gp-atompair+morgan", "gp-atompair", "nn-ensemble", "molpal-mpn"],
)
def test_surrogates_learn_score_every_row_and_give_a_std(pool_and_scores, config):
    pool, scores = pool_and_scores
    train, test = np.arange(1, 201), np.arange(201, len(pool))
    surrogate = make_surrogate(config, seed=0)
    info = surrogate.fit(pool, train, scores[train])
    assert info["n_train"] == 200
    mean, std = surrogate.predict(pool, np.arange(len(pool)))
    assert np.isnan(mean[0]) and np.isnan(std[0])  # the unparsable row gets no prediction
    assert np.isfinite(mean[1:]).all() and (std[1:] > 0).all()
    assert scores[1:].min() - 1 < np.median(mean[1:]) < scores[1:].max() + 1  # docking-score units
    floor = 0.1 if config.kind == "molpal-mpn" else 0.3  # 4 epochs of a D-MPNN: a weak but real fit
    assert spearmanr(mean[test], scores[test]).statistic > floor
    if config.kind == "gp":
        # the posterior is tighter on molecules it was trained on than on new ones
        assert np.median(std[train]) < np.median(std[test])
        assert info["validation"]["noise"] > 0
        assert surrogate.train_.shape == (200, 2048 * len(config.features.split("+")))
    if config.kind == "nn-ensemble":
        assert len(surrogate.members_) == 3 and len(set(info["epochs_run"])) >= 1
        one = surrogate.members_[0].predict(pool, test)[0]
        assert not np.allclose(one, mean[test])  # the mean is over members that differ
    again = make_surrogate(config, seed=0)  # seeded: the same seed gives the same predictions
    again.fit(pool, train, scores[train])
    np.testing.assert_allclose(again.predict(pool, np.arange(len(pool)))[0][1:], mean[1:], rtol=1e-4)


def test_gp_ucb_simulation_beats_random(pool_and_scores):
    pool, scores = pool_and_scores
    kw = dict(direction="min", batch=BatchConfig(15), init_size=15, rounds=3, top_k=15, seed=0)
    gp = simulate(pool, scores, surrogate=SurrogateConfig("gp"), acquisition=AcquisitionConfig("ucb", beta=2.0), **kw)
    rnd = simulate(pool, scores, surrogate=SurrogateConfig("gp"), acquisition=AcquisitionConfig("random"), **kw)
    assert gp["top15_scores"].is_monotonic_increasing
    assert gp["top15_scores"].iloc[-1] > rnd["top15_scores"].iloc[-1]


def test_cli_simulate_and_init_take_the_new_surrogates(tmp_path, capsys):
    from molpred.campaign import Campaign
    from molpred.cli.campaign_cmd import main

    if not DATA.is_file():
        pytest.skip(f"{DATA} not available")
    oracle = pd.read_csv(DATA).sample(n=60, random_state=4).drop_duplicates("smiles")
    lib, orc = tmp_path / "library.csv", tmp_path / "oracle.csv"
    pd.DataFrame({"SMILES": oracle["smiles"]}).to_csv(lib, index=False)
    oracle.to_csv(orc, index=False)
    rc = main(["campaign", "simulate", "--library", str(lib), "--smiles-col", "SMILES", "--oracle", str(orc),
               "--objective", "score", "--direction", "min", "--surrogate", "gp", "--acquisition", "thompson",
               "--batch-size", "6", "--rounds", "2", "--top-k", "6", "--out", str(tmp_path / "sim.csv")])
    assert rc == 0
    sim = pd.read_csv(tmp_path / "sim.csv")
    assert sim["n_evaluated"].max() == 18 and {"top6_scores", "top6_smiles"} <= set(sim.columns)
    store = tmp_path / "c.sqlite"
    assert main(["campaign", "init", str(store), "--library", str(lib), "--smiles-col", "SMILES", "--objective",
                 "dock", "--direction", "min", "--batch-size", "5", "--surrogate", "nn-ensemble", "--ensemble", "2",
                 "--features", "morgan", "--acquisition", "ucb"]) == 0
    assert main(["campaign", "init", str(tmp_path / "bad.sqlite"), "--library", str(lib), "--smiles-col", "SMILES",
                 "--objective", "dock", "--batch-size", "5", "--surrogate", "gp", "--features", "atompairs"]) != 0
    with Campaign.open(store) as c:
        s = c.settings.surrogate
    assert (s.kind, s.ensemble, s.features) == ("nn-ensemble", 2, "morgan")
    mpn_store = tmp_path / "mpn.sqlite"
    assert main(["campaign", "init", str(mpn_store), "--library", str(lib), "--smiles-col", "SMILES", "--objective",
                 "dock", "--batch-size", "5", "--surrogate", "molpal-mpn", "--no-mve", "--mpn-protocol",
                 "lightning"]) == 0
    with Campaign.open(mpn_store) as c:
        s = c.settings.surrogate
    assert (s.kind, s.mve, s.protocol) == ("molpal-mpn", False, "lightning")


def test_molpal_mpn_without_variance_head_trains_with_mse_and_gives_std_zero(pool_and_scores):
    """MolPAL's greedy MPN (``MPNModel``): MSE loss, one network, no variance output."""
    pool, scores = pool_and_scores
    train, test = np.arange(1, 201), np.arange(201, len(pool))
    mse = make_surrogate(SurrogateConfig("molpal-mpn", epochs=4, mve=False), seed=0)
    mse.fit(pool, train, scores[train])
    assert mse.estimator_.uncertainty is None and mse.estimator_.loss == "mse"
    mean, std = mse.predict(pool, np.arange(len(pool)))
    assert np.isnan(mean[0]) and np.isnan(std[0])
    assert np.isfinite(mean[1:]).all() and (std[1:] == 0).all()
    assert spearmanr(mean[test], scores[test]).statistic > 0.1
    mve = make_surrogate(SurrogateConfig("molpal-mpn", epochs=4), seed=0)
    mve.fit(pool, train, scores[train])
    assert mve.estimator_.uncertainty == "mve"
    assert not np.allclose(mve.predict(pool, test)[0], mean[test])  # a different loss, a different fit


def test_benchmark_greedy_mpn_trains_the_variance_head_as_molpals_runs_did_and_older_runs_are_labelled():
    from benchmarks.molpal import _label, _surrogate_record, method_configs

    greedy, _ = method_configs("molpal-mpn-greedy", 30, 5)
    ucb, _ = method_configs("molpal-mpn-ucb", 30, 5)
    assert (greedy.mve, ucb.mve) == (True, True)  # MolPAL's submit_molpal.py: --conf-method mve for every MPN run
    assert greedy.protocol == ucb.protocol == "paper"
    assert _label("molpal-mpn-greedy", _surrogate_record(greedy)) == "molpal-mpn-greedy"
    mse = _surrogate_record(SurrogateConfig("molpal-mpn", mve=False))  # the paper protocol with MSE (earlier runs)
    assert _label("molpal-mpn-greedy", mse) == "molpal-mpn-greedy (mse head)"
    old = {"kind": "molpal-mpn", "ensemble": 1, "hidden": 300}  # written before the mve and schedule fields
    assert _label("molpal-mpn-greedy", old) == "molpal-mpn-greedy (mve head, 2-epoch warm-up)"
    assert _label("molpal-mpn-greedy", {**old, "mve": False}) == "molpal-mpn-greedy (2-epoch warm-up)"
    lightning = _surrogate_record(SurrogateConfig("molpal-mpn", mve=False, protocol="lightning"))
    assert _label("molpal-mpn-greedy", lightning) == "molpal-mpn-greedy (lightning code)"
    assert _label("molpal-mpn-greedy", {k: v for k, v in lightning.items() if k != "protocol"}) == \
        "molpal-mpn-greedy (lightning code)"  # runs recorded before the field
    assert _label("molpal-mpn-ucb", _surrogate_record(ucb)) == "molpal-mpn-ucb"


def test_molpal_mpn_lightning_protocol_runs_molpals_effective_learning_rate_schedule(pool_and_scores):
    """MolPAL's later NoamLR gets the total step count as steps per epoch: the warm-up outlasts the run."""
    pool, scores = pool_and_scores
    mpn = make_surrogate(SurrogateConfig("molpal-mpn", epochs=3, mve=False, protocol="lightning"), seed=0)
    info = mpn.fit(pool, np.arange(1, 101), scores[1:101])
    est = mpn.estimator_
    assert est.warmup_epochs == 6 and est.lr == 1e-3 and est.grad_clip == 10
    assert (est.val_fraction, est.patience) == (0.2, 10) and info["validation"]["n"] == 20


def test_molpal_mpn_paper_protocol_trains_all_epochs_on_80_percent_and_keeps_the_last_weights(pool_and_scores):
    """The code of MolPAL's paper: Noam (2 warm-up epochs), no clipping, 50 epochs, last weights."""
    pool, scores = pool_and_scores
    train = np.arange(1, 101)
    mpn = make_surrogate(SurrogateConfig("molpal-mpn", epochs=3, mve=False), seed=0)
    info = mpn.fit(pool, train, scores[train])
    est = mpn.estimator_
    assert (est.warmup_epochs, est.grad_clip, est.val_fraction, est.patience) == (2.0, 0.0, 0.0, 0)
    assert info["n_train"] == 100  # 20% left out, as MolPAL's split_data does; nothing held out inside
    assert (est.train_summary_["n_input"], est.train_summary_["n_val"]) == (80, 0)
    history = est.training_[0]
    assert history["best_epoch"] == 2 and history["epochs_run"] == 3  # every epoch run, the last kept
    assert "last weights" in info["validation"]["kind"]
    kept, _ = mpn._training_rows(train, scores[train])
    again, _ = make_surrogate(SurrogateConfig("molpal-mpn", mve=False), seed=0)._training_rows(train, scores[train])
    np.testing.assert_array_equal(kept, again)  # the same seed leaves out the same molecules
    other, _ = make_surrogate(SurrogateConfig("molpal-mpn", mve=False), seed=1)._training_rows(train, scores[train])
    assert not np.array_equal(kept, other)
