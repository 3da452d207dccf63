"""Plain-text prediction labels: assay units, intervals, nM for potency targets, domain flag."""

from __future__ import annotations

import pytest

from molpred.labels import format_nanomolar, potency_kind, prediction_lines, to_nanomolar


def test_potency_targets_and_their_concentration():
    assert potency_kind("pKi") == ("Ki", 9) and potency_kind("pIC50") == ("IC50", 9)
    assert potency_kind("CHEMBL204_pKi") == ("Ki", 9) and potency_kind("gnn.pEC50") == ("EC50", 9)
    assert potency_kind("CHEMBL204_Ki") == ("Ki", 0)  # MoleculeACE: -log10(Ki / nM)
    assert potency_kind("logS") is None and potency_kind("pka") is None and potency_kind("p") is None
    assert to_nanomolar("pKi", 9.0) == pytest.approx(1.0)
    assert to_nanomolar("pKi", 6.0) == pytest.approx(1000.0)
    assert to_nanomolar("CHEMBL204_Ki", -2.0) == pytest.approx(100.0)
    assert to_nanomolar("logS", -3.0) is None and to_nanomolar("pKi", float("nan")) is None


def test_nanomolar_text():
    assert [format_nanomolar(v) for v in (0.347, 5, 12.4, 234, 4100, 56_000, 3e6)] == [
        "0.35 nM", "5 nM", "12 nM", "230 nM", "4.1 uM", "56 uM", "3 mM"]


def test_prediction_lines():
    assert prediction_lines("pKi", 8.1, 7.2, 9.0, True) == [
        "pKi 8.1 [7.2, 9.0]", "Ki 7.9 nM [1 nM, 63 nM]", "in domain"]
    assert prediction_lines("logS", -3.21, None, None, False) == ["logS -3.2", "OUT of domain"]
    assert prediction_lines("active", 0.83, task="classification") == ["P(active) 0.83"]
    assert prediction_lines("pKi", 7.0, float("nan"), float("nan")) == ["pKi 7.0", "Ki 100 nM"]
