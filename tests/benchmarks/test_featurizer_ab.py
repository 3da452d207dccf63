"""The featurizer A/B swaps the molgraph version for one run only."""

from __future__ import annotations

import molpred.train.fitting as fitting
from benchmarks.featurizer_ab import _molgraph_version


def test_molgraph_version_is_swapped_inside_and_restored_after():
    before = fitting.get_featurizer("molgraph")
    with _molgraph_version(1):
        inside = fitting.get_featurizer("molgraph")
        other = fitting.get_featurizer("morgan_counts")  # other featurizers are untouched
    after = fitting.get_featurizer("molgraph")
    assert inside.spec()["version"] == 1 and inside.d_atom != before.d_atom
    assert other.spec()["name"] == "morgan_counts"
    assert after.spec() == before.spec() and after.spec()["version"] == 2
