"""MolPAL's top-k metrics: multiset tie rule for scores, identity for SMILES, average score."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd
import pytest

from molpred.campaign.metrics import metric_columns, top_k_metrics, top_k_order
from molpred.datasets.cards import find_data_dir

DATA = find_data_dir("molpal") / "molpal"


def _molpal_reference(values, acquired, k, direction):
    """MolPAL's calculation written out literally (scripts/experiment.py, calculate_reward)."""
    sign = 1 if direction == "min" else -1
    true = sorted(((sign * v, i) for i, v in enumerate(values) if np.isfinite(v)))[:k]
    found = sorted((sign * values[i], i) for i in set(acquired) if np.isfinite(values[i]))[:k]
    missed = Counter(v for v, _ in true)
    missed.subtract(v for v, _ in found)
    return (k - sum(max(c, 0) for c in missed.values())) / k


def test_ties_at_the_kth_value_count_up_to_the_ties_inside_the_top_k():
    # top-3 (max) = 9, 8, and one of the three 7s: two of the 7s are outside the top-3
    values = np.array([9.0, 8.0, 7.0, 7.0, 7.0, 1.0])
    k = 3
    top = top_k_order(values, np.arange(6), k)
    assert top.tolist() == [0, 1, 2]  # ties broken by position
    # a tied molecule that is not the tie-broken one counts for scores, not for smiles
    m = top_k_metrics(values, np.array([0, 1, 4]), k)
    assert m.scores == 1.0
    assert m.smiles == pytest.approx(2 / 3)
    # two more molecules at the k-th value do not count twice: there is one 7 in the top-3
    m = top_k_metrics(values, np.array([3, 4]), k)
    assert m.scores == pytest.approx(1 / 3)
    assert m.smiles == 0.0
    # worse molecules do not count, and avg is over the best k found
    m = top_k_metrics(values, np.array([5, 0]), k)
    assert m.scores == pytest.approx(1 / 3)
    assert m.avg_score == pytest.approx(5.0)
    assert m.avg_fraction == pytest.approx(5.0 / 8.0)


def test_minimisation_nan_values_and_bool_mask():
    values = np.array([-9.5, np.nan, -10.0, -9.5, -3.0])
    mask = np.array([False, True, False, True, True])  # a failed evaluation, one tie, one poor
    m = top_k_metrics(values, mask, 2, "min")  # true top-2 values: -10.0, -9.5
    assert m.k == 2
    assert m.scores == 0.5
    assert m.smiles == 0.0  # position 0 holds the tie-broken -9.5
    assert m.avg_score == pytest.approx((-9.5 - 3.0) / 2)
    nothing = top_k_metrics(values, np.array([1]), 2, "min")
    assert nothing.scores == 0.0 and np.isnan(nothing.avg_score)


def test_everything_found_gives_one_and_columns():
    rng = np.random.default_rng(0)
    values = np.round(rng.normal(size=500), 1)
    m = top_k_metrics(values, np.arange(500), 25, "min")
    assert (m.scores, m.smiles, m.avg_fraction) == (1.0, 1.0, 1.0)
    assert list(m.to_dict("top25_")) == metric_columns(25)


@pytest.mark.parametrize("direction", ["min", "max"])
def test_matches_molpal_reference_on_random_ties(direction):
    rng = np.random.default_rng(1)
    for _ in range(20):
        values = np.round(rng.normal(size=300), 1)  # one decimal: many ties
        values[rng.choice(300, 10, replace=False)] = np.nan
        acquired = rng.choice(300, 60, replace=False)
        m = top_k_metrics(values, acquired, 20, direction)
        assert m.scores == pytest.approx(_molpal_reference(values, acquired, 20, direction))
        assert m.scores >= m.smiles  # identity is the stricter count


def test_bad_arguments():
    with pytest.raises(ValueError, match="k must"):
        top_k_metrics(np.ones(3), np.arange(3), 0)
    with pytest.raises(ValueError, match="direction"):
        top_k_metrics(np.ones(3), np.arange(3), 1, "up")


def test_enamine10k_tie_counts_and_tie_credit():
    """The issue's numbers on the real file: 100th best -9.5, 82 better, 33 tied."""
    path = DATA / "Enamine10k_scores.csv.gz"
    if not path.is_file():
        pytest.skip(f"{path} not available")
    values = pd.read_csv(path)["score"].to_numpy(dtype=np.float64)
    top = top_k_order(values, np.arange(len(values)), 100, "min")
    kth = values[top[-1]]
    assert kth == -9.5
    assert int((values < kth).sum()) == 82 and int((values == kth).sum()) == 33
    better = np.flatnonzero(values < kth)
    tied_outside = np.setdiff1d(np.flatnonzero(values == kth), top)
    assert len(tied_outside) == 33 - 18
    # all 82 better ones plus the 15 tied molecules that tie-breaking left out of the top-100
    m = top_k_metrics(values, np.concatenate([better, tied_outside]), 100, "min")
    assert m.scores == pytest.approx(0.97)  # 82 + 15 of the 18 tied slots
    assert m.smiles == pytest.approx(0.82)
