from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rdkit import Chem

from molpred.chem import StandardizeConfig, Status, standardize_many, to_mol, to_mol_record
from molpred.exceptions import (
    EmptyMoleculeError,
    InvalidSmilesError,
    UnsupportedMoleculeError,
)


@pytest.mark.parametrize(
    "salt, parent",
    [
        ("CC(=O)[O-].[Na+]", "CC(=O)O"),  # sodium acetate -> acetic acid
        ("C[NH3+].[Cl-]", "CN"),  # methylamine hydrochloride
        ("CN(C)CCCN1c2ccccc2CCc2ccccc21.Cl", "CN(C)CCCN1c2ccccc2CCc2ccccc21"),  # imipramine HCl
        ("OC(=O)C(O)=O.c1ccccc1N", "Nc1ccccc1"),  # oxalate salt: larger organic fragment wins
        ("c1ccccc1O.O", "Oc1ccccc1"),  # hydrate
        ("[O-][N+](=O)c1ccccc1", "O=[N+]([O-])c1ccccc1"),  # nitro stays charge-separated
    ],
)
def test_known_salts_standardise_to_parent(salt, parent):
    assert Chem.MolToSmiles(to_mol(salt)) == Chem.CanonSmiles(parent)


def test_tautomer_option_canonicalises():
    a = to_mol("Oc1ccccn1", StandardizeConfig(tautomer=True))
    b = to_mol("O=c1cccc[nH]1", StandardizeConfig(tautomer=True))
    assert Chem.MolToSmiles(a) == Chem.MolToSmiles(b)
    assert Chem.MolToSmiles(to_mol("Oc1ccccn1")) != Chem.MolToSmiles(to_mol("O=c1cccc[nH]1"))


@pytest.mark.parametrize(
    "smiles, exc, status",
    [
        ("", EmptyMoleculeError, "empty"),
        ("   ", EmptyMoleculeError, "empty"),
        (None, EmptyMoleculeError, "empty"),
        ("C1CC", InvalidSmilesError, "invalid_smiles"),
        ("C(C)(C)(C)(C)C", InvalidSmilesError, "invalid_smiles"),  # pentavalent carbon
        ("CC O", InvalidSmilesError, "invalid_smiles"),
        ("[H][H]", UnsupportedMoleculeError, "unsupported"),
        ("[H+]", UnsupportedMoleculeError, "unsupported"),
    ],
)
def test_failures_raise_precise_errors_and_statuses(smiles, exc, status):
    with pytest.raises(exc):
        to_mol(smiles)
    rec = to_mol_record(smiles)
    assert rec.status == status and rec.mol is None and rec.error


INORGANICS = ["[Na+].[Cl-]", "O=[Si]=O", "[Gd+3]", "O"]
BIG = "CC(C)C[C@H](NC(=O)" * 30 + "C" + ")C(=O)O" * 30  # 30 nested leucine-like units, 331 heavy atoms


@pytest.mark.parametrize("smiles", [*INORGANICS, BIG])
def test_inorganic_and_large_molecules_are_scored_by_default(smiles):
    rec = to_mol_record(smiles)
    assert rec.ok, rec.error
    from molpred.featurize import MolGraphFeaturizer

    assert MolGraphFeaturizer()(rec.mol).to_pyg().num_nodes == rec.mol.GetNumAtoms()


@pytest.mark.parametrize("smiles, reason", [(INORGANICS[0], "no carbon"), (BIG, "heavy atoms")])
def test_old_limits_are_an_option(smiles, reason):
    rec = to_mol_record(smiles, StandardizeConfig(max_heavy_atoms=150, require_carbon=True))
    assert rec.status == "unsupported" and reason in rec.error


def test_non_string_input_is_invalid_not_a_crash():
    rec = to_mol_record(12345)
    assert rec.status == "invalid_smiles"


def test_batch_keeps_every_row_in_order():
    inputs = ["CCO", "bad(", None, "c1ccccc1", ""]
    records = standardize_many(inputs)
    assert [r.status for r in records] == ["ok", "invalid_smiles", "empty", "ok", "empty"]
    assert records[3].smiles == "c1ccccc1"


_STATUSES = {s.value for s in Status}


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=80), st.text(alphabet="CNOcn()[]=#+-123456789@/\\.%HBrClFS", max_size=60)))
def test_hostile_strings_never_raise(text):
    rec = to_mol_record(text)
    assert rec.status in _STATUSES
    assert (rec.mol is not None) == (rec.status == "ok")
    if rec.ok:
        assert Chem.MolFromSmiles(rec.smiles) is not None


CISPLATIN = "[NH3][Pt]([NH3])(Cl)Cl"
OXALIPLATIN = "O=C1O[Pt]2(N[C@@H]3CCCC[C@H]3N2)OC1=O"


@pytest.mark.parametrize("smiles", [CISPLATIN, OXALIPLATIN])
def test_metal_complexes_keep_their_metal(smiles):
    mol = to_mol(smiles)
    symbols = [a.GetSymbol() for a in mol.GetAtoms()]
    assert "Pt" in symbols
    assert mol.GetNumHeavyAtoms() == Chem.MolFromSmiles(smiles).GetNumHeavyAtoms()  # no ligand lost


def test_disconnecting_metals_is_the_old_behaviour_and_old_files_keep_it():
    old = StandardizeConfig(keep_metal_complexes=False)
    assert Chem.MolToSmiles(to_mol(CISPLATIN, old)) == "N"  # the defect: cisplatin scored as ammonia
    saved_before = {k: v for k, v in StandardizeConfig().to_dict().items() if k != "keep_metal_complexes"}
    assert StandardizeConfig.from_dict(saved_before).keep_metal_complexes is False
    assert StandardizeConfig.from_dict(StandardizeConfig().to_dict()) == StandardizeConfig()


@pytest.mark.parametrize("salt, parent", [("CC(=O)O[Na]", "CC(=O)O"), ("CC(=O)[O-].[K+]", "CC(=O)O"),
                                          ("c1ccccc1.[Cl-].[Zn+2]", "c1ccccc1")])
def test_salts_are_still_disconnected(salt, parent):
    assert Chem.MolToSmiles(to_mol(salt)) == parent


def test_a_metal_complex_is_featurised_and_predicted(small_regressor):
    frame = small_regressor.predict_frame([CISPLATIN, "CCO"])
    assert list(frame["status"]) == ["ok", "ok"]
    assert frame["smiles"].iloc[0] != "N"
