"""Tests for molpred.campaign.batch."""

from __future__ import annotations

import numpy as np
import pytest

from molpred.campaign.batch import select_batch
from molpred.chem import morgan_fingerprints, tanimoto_matrix, to_mol

# Two chemical series with nothing in common: para-substituted benzamides of piperidine,
# and linear aliphatic esters.
BENZAMIDES = [
    f"{r}c1ccc(C(=O)NC2CCNCC2)cc1" for r in ["C", "CC", "Cl", "F", "Br", "CO", "N", "O", "N#C", "FC(F)(F)", "CCC", "I"]
]
ESTERS = [f"{'C' * n}C(=O)O{'C' * m}" for n in range(4, 10) for m in (1, 2)]
DRUGS = [
    "CC(=O)Oc1ccccc1C(=O)O",
    "Cn1cnc2c1c(=O)n(C)c(=O)n2C",
    "CC(C)Cc1ccc(C(C)C(=O)O)cc1",
    "CC(=O)Nc1ccc(O)cc1",
    "CN1CCCC1c1cccnc1",
    "CN1CCC23c4c5ccc(O)c4OC2C(O)C=CC3C1C5",
    "OC(=O)CCCCC1SCC2NC(=O)NC12",
    "Clc1ccc2c(c1)C(=NCc1nncn1-2)c1ccccc1",
]


def _fps(smiles: list[str]) -> np.ndarray:
    return morgan_fingerprints([to_mol(s) for s in smiles])


def _naive_tanimoto_greedy(scores, fps, k, threshold):
    """Reference: sequential sphere exclusion over the whole pool, no blocks."""
    order = [i for i in np.argsort(-scores, kind="stable") if np.isfinite(scores[i])]
    sim = tanimoto_matrix(fps, fps)
    chosen = []
    for i in order:
        if len(chosen) == k:
            break
        if all(sim[i, j] < threshold for j in chosen):
            chosen.append(i)
    return chosen


def _near_duplicate_pool(n, n_prototypes, n_bits=512, seed=0):
    """Binary fingerprints: noisy copies of a few prototypes (many similar pairs)."""
    rng = np.random.default_rng(seed)
    protos = (rng.random((n_prototypes, n_bits)) < 0.08).astype(np.uint8)
    fps = protos[rng.integers(0, n_prototypes, n)]
    flips = rng.random((n, n_bits)) < 0.004
    return np.where(flips, 1 - fps, fps).astype(np.uint8)


def test_top_k_with_ties_broken_by_lower_index():
    scores = np.array([0.5, 0.9, 0.5, 0.1, 0.9, 0.5])
    assert select_batch(scores, 4).tolist() == [1, 4, 0, 2]
    assert select_batch(scores, 0).tolist() == []
    assert select_batch(scores, 4).dtype == np.int64


def test_invalid_candidates_are_never_picked_and_the_batch_shrinks():
    scores = np.array([np.nan, -np.inf, 0.2, np.inf, -np.inf, -5.0])
    assert select_batch(scores, 10).tolist() == [3, 2, 5]
    assert select_batch(np.full(4, -np.inf), 2).tolist() == []
    fps = np.ones((6, 8), dtype=np.uint8)
    for mode in ("tanimoto", "cluster"):
        picked = select_batch(scores, 10, fps, diversity=mode)
        assert sorted(picked.tolist()) == [2, 3, 5], mode


def test_tanimoto_never_picks_two_similar_candidates():
    smiles = BENZAMIDES + ESTERS + DRUGS
    fps = _fps(smiles)
    scores = np.random.default_rng(0).random(len(smiles))
    threshold = 0.5
    n_diverse = len(_naive_tanimoto_greedy(scores, fps, len(smiles), threshold))
    assert 6 <= n_diverse < 15
    batch = select_batch(scores, n_diverse, fps, diversity="tanimoto", threshold=threshold)
    assert len(batch) == n_diverse and len(set(batch.tolist())) == n_diverse
    sim = tanimoto_matrix(fps[batch], fps[batch])
    np.fill_diagonal(sim, 0)
    assert sim.max() < threshold
    assert batch.tolist() == _naive_tanimoto_greedy(scores, fps, n_diverse, threshold)
    # top-k without diversity does pick similar pairs on this pool
    plain = select_batch(scores, n_diverse)
    sim = tanimoto_matrix(fps[plain], fps[plain])
    np.fill_diagonal(sim, 0)
    assert sim.max() >= threshold


def test_tanimoto_matches_the_naive_algorithm_across_blocks():
    # 3000 candidates span several 1024-row blocks; 20 prototypes -> many exclusions.
    fps = _near_duplicate_pool(3000, 20)
    scores = np.random.default_rng(1).random(3000)
    scores[::7] = np.nan
    for threshold in (0.4, 0.7):
        batch = select_batch(scores, 30, fps, diversity="tanimoto", threshold=threshold)
        reference = _naive_tanimoto_greedy(scores, fps, 30, threshold)
        assert len(reference) < 30  # only 20 prototypes: the fill path is exercised
        assert batch[: len(reference)].tolist() == reference
        assert len(batch) == 30 and len(set(batch.tolist())) == 30
        assert not np.isnan(scores[batch]).any()


def test_tanimoto_fills_with_the_best_remaining_when_too_few_are_diverse():
    fps = np.tile(_fps(["c1ccccc1CCN"]), (5, 1))  # five identical fingerprints
    scores = np.array([0.1, 0.9, 0.3, 0.7, 0.5])
    batch = select_batch(scores, 3, fps, diversity="tanimoto")
    assert batch.tolist() == [1, 3, 4]  # first diverse pick, then best remaining


def test_cluster_covers_both_chemical_series():
    smiles = BENZAMIDES + ESTERS
    fps = _fps(smiles)
    # Every benzamide scores higher than every ester: top-k takes only benzamides.
    scores = np.concatenate([np.linspace(2, 1, len(BENZAMIDES)), np.linspace(0.9, 0, len(ESTERS))])
    is_ester = np.arange(len(smiles)) >= len(BENZAMIDES)
    assert not is_ester[select_batch(scores, 4)].any()
    for k, n_clusters in [(2, None), (4, 2), (4, None)]:
        batch = select_batch(scores, k, fps, diversity="cluster", n_clusters=n_clusters, seed=0)
        assert len(batch) == k and len(set(batch.tolist())) == k
        assert is_ester[batch].any() and (~is_ester[batch]).any(), (k, n_clusters)
        assert batch[0] == 0  # the overall best is always its cluster's best
    # With 2 clusters the ester pick is the best ester
    batch = select_batch(scores, 2, fps, diversity="cluster")
    assert sorted(batch.tolist()) == [0, len(BENZAMIDES)]


def test_cluster_is_reproducible_with_a_seed():
    fps = _near_duplicate_pool(600, 12, seed=3)
    scores = np.random.default_rng(3).random(600)
    a = select_batch(scores, 10, fps, diversity="cluster", seed=5)
    b = select_batch(scores, 10, fps, diversity="cluster", seed=5)
    np.testing.assert_array_equal(a, b)
    # 12 well separated prototypes and 10 clusters: 10 distinct prototypes are covered
    proto_of = {tuple(np.flatnonzero(f)) for f in fps[a]}
    sim = tanimoto_matrix(fps[a], fps[a])
    np.fill_diagonal(sim, 0)
    assert sim.max() < 0.6 and len(proto_of) == 10


def test_more_clusters_than_k_keeps_the_best_representatives():
    fps = _near_duplicate_pool(300, 6, seed=4)
    scores = np.random.default_rng(4).random(300)
    batch = select_batch(scores, 3, fps, diversity="cluster", n_clusters=6)
    assert len(batch) == 3
    assert batch[0] == int(np.argmax(scores))
    assert np.all(np.diff(scores[batch]) <= 0)


def test_argument_errors():
    scores = np.zeros(3)
    with pytest.raises(ValueError, match="did you mean 'tanimoto'"):
        select_batch(scores, 2, np.zeros((3, 8)), diversity="tanimото")
    with pytest.raises(ValueError, match="did you mean 'cluster'"):
        select_batch(scores, 2, np.zeros((3, 8)), diversity="clusters")
    with pytest.raises(ValueError, match="needs fingerprints"):
        select_batch(scores, 2, diversity="tanimoto")
    with pytest.raises(ValueError, match="n_pool x n_bits"):
        select_batch(scores, 2, np.zeros((4, 8)), diversity="cluster")
    with pytest.raises(ValueError, match="threshold"):
        select_batch(scores, 2, np.zeros((3, 8)), diversity="tanimoto", threshold=0)
    with pytest.raises(ValueError, match="k must"):
        select_batch(scores, -1)
    with pytest.raises(ValueError, match="1-D"):
        select_batch(np.zeros((3, 2)), 1)
