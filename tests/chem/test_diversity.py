"""Diverse top-k and MaxMin picking: invariants and a brute-force reference."""

from __future__ import annotations

import numpy as np
import pytest
from rdkit import Chem, DataStructs

from molpred.chem.diversity import diverse_top_k, maxmin_pick
from molpred.chem.fingerprints import morgan_bitvects, morgan_fingerprints

SMILES = [
    "CC(=O)Oc1ccccc1C(=O)O",
    "CC(=O)Oc1ccccc1C(=O)OC",
    "OC(=O)c1ccccc1O",
    "CCN(CC)CC",
    "CCN(CC)CCO",
    "c1ccc2ccccc2c1",
    "Cc1ccc2ccccc2c1",
    "CC(C)Cc1ccc(C(C)C(=O)O)cc1",
    "CN1C=NC2=C1C(=O)N(C(=O)N2C)C",
    "O=C(O)CCCCC(=O)O",
    "c1ccncc1",
    "Cc1ccncc1",
]


def exact_tanimoto(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a.astype(bool), b.astype(bool)
    union = (a | b).sum()
    return float((a & b).sum() / union) if union else 0.0


def reference(fps, scores, k, threshold, higher_is_better=True):
    """The definition, one pair at a time."""
    order = sorted(
        (i for i in range(len(scores)) if not np.isnan(scores[i])),
        key=lambda i: (-scores[i] if higher_is_better else scores[i], i),
    )
    picks = []
    for i in order:
        if len(picks) == k:
            break
        if all(exact_tanimoto(fps[i], fps[p]) < threshold for p in picks):
            picks.append(i)
    return picks


@pytest.fixture(scope="module")
def fps():
    return morgan_fingerprints([Chem.MolFromSmiles(s) for s in SMILES], n_bits=1024)


def test_docstring_example():
    fps = np.array([[1, 1, 0, 0], [1, 1, 0, 0], [0, 0, 1, 1]])
    assert diverse_top_k(fps, [3.0, 2.0, 1.0], k=2, threshold=0.7).tolist() == [0, 2]


def test_invariants_on_molecules(fps):
    scores = np.random.default_rng(1).normal(size=len(SMILES))
    picks = diverse_top_k(fps, scores, k=8, threshold=0.4)
    assert picks.dtype == np.int64
    assert 0 < len(picks) <= 8
    assert picks[0] == int(np.argmax(scores))
    assert len(set(picks.tolist())) == len(picks)
    for a in range(len(picks)):
        for b in range(a + 1, len(picks)):
            assert exact_tanimoto(fps[picks[a]], fps[picks[b]]) < 0.4
    # scores of picks are non-increasing: the walk is in score order
    assert np.all(np.diff(scores[picks]) <= 0)
    assert np.array_equal(picks, diverse_top_k(fps.copy(), scores.copy(), k=8, threshold=0.4))


@pytest.mark.parametrize("trial", range(25))
def test_matches_bruteforce_reference(trial):
    rng = np.random.default_rng(trial)
    n, n_bits = int(rng.integers(1, 400)), int(rng.integers(4, 48))
    fps = (rng.random((n, n_bits)) < rng.uniform(0.05, 0.6)).astype(np.uint8)
    scores = rng.integers(0, 6, n).astype(float)  # many ties
    scores[rng.random(n) < 0.05] = np.nan
    k = int(rng.integers(0, 60))
    threshold = float(rng.choice([0.2, 0.35, 0.5, 0.7, 1.0]))
    hib = bool(rng.integers(2))
    got = diverse_top_k(fps, scores, k, threshold, higher_is_better=hib).tolist()
    assert got == reference(fps, scores, k, threshold, hib)


def test_large_block_path_matches_reference():
    # enough candidates and picks to cross several blocks and grow the accepted set
    rng = np.random.default_rng(7)
    fps = (rng.random((3000, 64)) < 0.15).astype(np.uint8)
    scores = rng.random(3000)
    got = diverse_top_k(fps, scores, 400, 0.3).tolist()
    assert got == reference(fps, scores, 400, 0.3)


def test_ties_break_by_index_and_direction(fps):
    scores = np.zeros(len(SMILES))
    assert diverse_top_k(fps, scores, k=3, threshold=2.0).tolist() == [0, 1, 2]
    scores = np.arange(len(SMILES), dtype=float)
    assert diverse_top_k(fps, scores, 2, 2.0, higher_is_better=False).tolist() == [0, 1]
    assert diverse_top_k(fps, scores, 2, 2.0).tolist() == [11, 10]


def test_threshold_one_drops_only_duplicates():
    fps = np.array([[1, 0, 1], [1, 0, 1], [1, 1, 1], [0, 0, 0], [0, 0, 0]])
    picks = diverse_top_k(fps, [5, 4, 3, 2, 1], k=10, threshold=1.0)
    # the empty fingerprints have similarity 0 by convention, so both stay
    assert picks.tolist() == [0, 2, 3, 4]


def test_nan_scores_never_picked_and_edge_cases(fps):
    scores = np.full(len(SMILES), np.nan)
    scores[4] = 1.0
    assert diverse_top_k(fps, scores, 5, 0.5).tolist() == [4]
    assert diverse_top_k(fps, np.ones(len(SMILES)), 0, 0.5).size == 0
    assert diverse_top_k(np.zeros((0, 16)), [], 3, 0.5).size == 0
    with pytest.raises(ValueError, match="scores"):
        diverse_top_k(fps, [1.0, 2.0], 1, 0.5)
    with pytest.raises(ValueError):
        diverse_top_k(fps, np.ones(len(SMILES)), -1, 0.5)


def test_bitvect_input_matches_array(fps):
    mols = [Chem.MolFromSmiles(s) for s in SMILES]
    bvs = morgan_bitvects(mols, radius=2, n_bits=1024)
    scores = np.linspace(1, 0, len(SMILES))
    assert np.array_equal(diverse_top_k(bvs, scores, 6, 0.3), diverse_top_k(fps, scores, 6, 0.3))


def test_maxmin_pick(fps):
    picks = maxmin_pick(fps, 5, seed=3)
    assert len(picks) == 5 and len(set(picks.tolist())) == 5
    assert np.array_equal(picks, maxmin_pick(fps, 5, seed=3))
    assert len(maxmin_pick(fps, 100, seed=0)) == len(SMILES)
    assert maxmin_pick(fps, 0).size == 0
    bvs = morgan_bitvects([Chem.MolFromSmiles(s) for s in SMILES], radius=2, n_bits=1024)
    assert np.array_equal(maxmin_pick(bvs, 5, seed=3), picks)
    # aspirin and its methyl ester are near-duplicates; MaxMin never needs two identical picks
    sims = [DataStructs.TanimotoSimilarity(bvs[a], bvs[b]) for a in picks for b in picks if a < b]
    assert max(sims) < 1.0
