"""Issue 21: RDKit's own reason for a rejected SMILES reaches the ``error`` column."""

from __future__ import annotations

import pytest

import molpred.chem.standardize as std
from molpred.chem.standardize import rdkit_reason, to_mol_record


@pytest.mark.parametrize("smiles, reason", [
    ("C1CC", "unclosed ring"),
    ("CC(C)(C)(C)(C)C", "Explicit valence for atom # 1 C, 6, is greater than permitted"),
    ("c1cccc1", "Can't kekulize mol"),
    ("C(C", "extra open parentheses"),
    ("CC))", "extra close parentheses"),
])
def test_error_column_carries_rdkits_reason(smiles, reason):
    rec = to_mol_record(smiles)
    assert rec.status == "invalid_smiles"
    assert rec.error.startswith(f"RDKit could not parse SMILES {smiles!r}: ")
    assert reason in rec.error
    assert "[" not in rec.error.split(": ", 1)[1][:3]  # no RDKit time stamp
    assert "\n" not in rec.error


def test_reason_is_read_only_after_a_failed_parse(monkeypatch):
    """Valid rows never pay for the second parse."""
    def boom(text):
        raise AssertionError("rdkit_reason called for a valid molecule")

    monkeypatch.setattr(std, "rdkit_reason", boom)
    assert to_mol_record("c1ccccc1O").status == "ok"


def test_reason_of_text_rdkit_accepts_silently_is_still_a_sentence():
    assert rdkit_reason("C1CC") == "unclosed ring"
    assert rdkit_reason("Xx") == "syntax error"
