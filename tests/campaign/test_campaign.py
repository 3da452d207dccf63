"""Campaign loop: idempotent ``next``, results handling, invalid compounds, simulation vs random."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from molpred.campaign import (
    AcquisitionConfig,
    BatchConfig,
    Campaign,
    CampaignSettings,
    CandidatePool,
    SurrogateConfig,
    oracle_values,
    simulate,
    true_top_k,
)
from molpred.datasets import find_data_dir
from molpred.exceptions import DataFileError

DATA = find_data_dir("molpal") / "molpal" / "Enamine10k_scores.csv.gz"
FAST = SurrogateConfig("fingerprint", ensemble=3, epochs=10, hidden=64)


@pytest.fixture(scope="module")
def enamine() -> pd.DataFrame:
    """1,000 real Enamine molecules with docking scores (lower is better)."""
    if not DATA.is_file():
        pytest.skip(f"{DATA} not available")
    return pd.read_csv(DATA).sample(n=1000, random_state=0).reset_index(drop=True)


@pytest.fixture()
def campaign(tmp_path, enamine):
    lib = pd.DataFrame({"smiles": ["not a smiles", *enamine["smiles"].head(150), "C1CC"]})
    settings = CampaignSettings("score", "min", FAST, AcquisitionConfig("ucb"), BatchConfig(20), seed=3)
    with Campaign.create(tmp_path / "c.sqlite", lib, settings) as c:
        yield c


def _lab(batch: pd.DataFrame, enamine: pd.DataFrame) -> pd.DataFrame:
    """The measured scores of a batch (what the lab would send back)."""
    values = enamine.drop_duplicates("smiles").set_index("smiles")["score"]
    return pd.DataFrame({"smiles": batch["smiles"], "score": values.loc[batch["smiles"]].to_numpy()})


def test_next_is_idempotent_until_results_arrive(campaign, enamine):
    first = campaign.next()
    assert len(first) == 20 and first["round"].eq(1).all()
    assert first["predicted_mean"].isna().all()  # round 1: seeded random, no surrogate
    again = campaign.next()
    pd.testing.assert_frame_equal(first, again)
    assert campaign.store.last_round() == 1

    summary = campaign.add_results(_lab(first, enamine))
    assert summary.n_accepted == 20 and summary.rounds_completed == [1]
    second = campaign.next()
    assert second["round"].eq(2).all() and len(second) == 20
    assert not set(second["compound_id"]) & set(first["compound_id"])  # measured ones are not proposed
    assert second["predicted_mean"].notna().all() and (second["predicted_std"] >= 0).all()
    # ranked by acquisition (UCB on -score for a minimisation), best first
    assert second["acquisition"].is_monotonic_decreasing
    info = campaign.model_info(2)
    assert info["n_train"] == 20 and info["model"]["n_train"] == 20
    assert info["model"]["surrogate"]["kind"] == "fingerprint"
    assert "rmse" in info["model"]["validation"]
    # the same call again: same proposal, no retraining (model_info unchanged, one round 2)
    pd.testing.assert_frame_equal(second, campaign.next())
    assert campaign.store.last_round() == 2 and campaign.store.check() == []
    hist = campaign.history()
    assert hist["round"].tolist() == [1, 2] and hist["state"].tolist() == ["completed", "proposed"]


def test_reopened_campaign_returns_the_same_open_batch(tmp_path, enamine):
    lib = enamine.head(60)
    settings = CampaignSettings("score", "min", FAST, AcquisitionConfig("greedy"), BatchConfig(10))
    path = tmp_path / "c.sqlite"
    with Campaign.create(path, lib, settings) as c:
        batch = c.next()
    with Campaign.open(path) as c:
        pd.testing.assert_frame_equal(batch, c.next())
        assert c.settings == settings


def test_invalid_smiles_are_kept_but_never_proposed(campaign, enamine):
    frame = campaign.store.compounds_frame()
    bad = set(frame.loc[frame["status"] != "ok", "id"])
    assert len(bad) == 2 and len(frame) == 152
    proposed: set = set()
    for _ in range(3):
        batch = campaign.next()
        proposed |= set(batch["compound_id"])
        campaign.add_results(_lab(batch, enamine))
    assert not proposed & bad
    assert len(proposed) == 60


def test_malformed_results_are_reported_with_reasons(campaign, enamine, tmp_path):
    batch = campaign.next()
    rows = _lab(batch, enamine).head(4).astype({"score": object})
    rows.loc[0, "score"] = "n/a"
    rows.loc[1, "smiles"] = "c1ccccc1OCCCCCCCCCN"  # valid but not in the library
    rows.loc[2, "smiles"] = "C1CC("  # unparsable
    path = tmp_path / "r.csv"
    rows.to_csv(path, index=False)
    s = campaign.add_results(path)
    assert (s.n_rows, s.n_accepted, s.n_rejected) == (4, 1, 3)
    reasons = s.rejected.set_index("row")["reason"]
    assert "not a finite number" in reasons[0]
    assert "not in the candidate library" in reasons[1]
    assert "invalid_smiles" in reasons[2]
    assert "3 rejected" in str(s)
    assert len(campaign.store.results(rejected=True)) == 3  # kept in the store, not dropped

    rows[["smiles"]].to_csv(tmp_path / "novalue.csv", index=False)
    with pytest.raises(DataFileError, match="value"):
        campaign.add_results(tmp_path / "novalue.csv")
    with pytest.raises(DataFileError, match="potency"):
        campaign.add_results(path, value_col="potency")
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(DataFileError):
        campaign.add_results(tmp_path / "empty.csv")
    assert len(campaign.store.results()) == 1  # failed calls wrote nothing


def test_pool_fingerprint_cache_round_trip(tmp_path):
    smiles = ["CCO", None, "c1ccccc1O"]
    a = CandidatePool(smiles, cache_path=tmp_path / "fp.npz")
    fps = a.fingerprints()
    assert fps.shape == (3, 2048) and fps[1].sum() == 0 and a.ok.tolist() == [True, False, True]
    b = CandidatePool(smiles, cache_path=tmp_path / "fp.npz")
    np.testing.assert_array_equal(b._load_cache(b.cache_path), fps)
    assert CandidatePool(["CCN", None, "c1ccccc1O"], cache_path=tmp_path / "fp.npz")._load_cache(tmp_path / "fp.npz") is None


def test_surrogate_config_rejects_unknown_names():
    with pytest.raises(ValueError, match="did you mean 'fingerprint'"):
        SurrogateConfig("fingerprnt")
    with pytest.raises(ValueError, match="ensemble"):
        SurrogateConfig(ensemble=1)


def test_simulated_campaign_beats_random(enamine):
    """1,000 real molecules, 15% evaluated: the surrogate finds far more of the top-50."""
    from molpred.chem import standardize_many

    pool = CandidatePool([r.smiles for r in standardize_many(enamine["smiles"].tolist())])
    values = oracle_values(pool, enamine, "score", raw_smiles=enamine["smiles"].tolist())
    assert np.isfinite(values).sum() >= 990
    top = true_top_k(values, 50, "min")
    assert values[top].max() <= np.sort(values[np.isfinite(values)])[49]
    surrogate = SurrogateConfig("fingerprint", ensemble=3, epochs=20, hidden=128)
    found = {}
    for name in ("greedy", "random"):
        runs = [
            simulate(pool, values, direction="min", surrogate=surrogate, acquisition=AcquisitionConfig(name),
                     batch=BatchConfig(25), init_size=25, rounds=5, top_k=50, seed=seed)
            for seed in (0, 1)
        ]
        assert all(r["n_evaluated"].tolist() == [25, 50, 75, 100, 125, 150] for r in runs)
        assert all(r["found_top50"].is_monotonic_increasing for r in runs)
        found[name] = np.mean([r["found_top50"].iloc[-1] for r in runs])
    # Random finds ~15% of the top-50 in expectation (0.14 with these seeds); the surrogate
    # found 0.36 here. Margins are generous so other BLAS/platforms still pass.
    assert found["random"] < 0.25
    assert found["greedy"] >= 0.26 and found["greedy"] >= 1.7 * found["random"]


def test_measurements_outside_the_library_train_the_surrogate(tmp_path, enamine):
    lib, outside = enamine.head(40), enamine.iloc[40:50]
    settings = CampaignSettings("score", "min", FAST, AcquisitionConfig("greedy"), BatchConfig(5))
    with Campaign.create(tmp_path / "c.sqlite", lib, settings) as c:
        s = c.add_results(outside[["smiles", "score"]], allow_unknown=True, source="historical")
        assert s.n_accepted == 10 and c.store.measured()["compound_id"].isna().all()
        batch = c.next()  # 10 measurements, none in the library: the surrogate is trained anyway
        assert batch["predicted_mean"].notna().all()
        assert c.model_info(1)["n_train"] == 10
        assert set(batch["compound_id"]) <= set(range(40))
