"""The standardiser's fast path (skip MolStandardize for molecules it cannot change) is exact.

``_Standardizer(config, fast=False)`` always runs Cleanup, LargestFragmentChooser and
Uncharger (and a final SanitizeMol); the default fast path skips them for "plain" molecules.
Both must give the same molecule, atom for atom and property for property (RDKit's computed
caches aside), on real compounds of every kind.
"""

from __future__ import annotations

import glob
from pathlib import Path

import pandas as pd
import pytest
from rdkit import Chem

from molpred.chem.standardize import StandardizeConfig, _is_plain, _Standardizer

ROOT = Path(__file__).resolve().parents[2]
# every property except RDKit's computed caches (CIP ranks, "stereo perceived"): the full path
# ends with SanitizeMol, which clears them; the fast path keeps them (and MolToSmiles reuses them)
_PICKLE = int(Chem.PropertyPickleOptions.AllProps) & ~int(Chem.PropertyPickleOptions.ComputedProps)

# one or more molecules for every MolStandardize rule the fast path must not skip
_EDGE_CASES = [
    "CCC(=O)O[Na]", "[Na+].CC(=O)[O-]", "C[N+](C)(C)C.[Cl-]", "O=[N+]([O-])c1ccccc1", "CN(=O)=O",
    "c1cc[n+]([O-])cc1", "O=n1ccccc1", "CN=[N+]=[N-]", "CN=N#N", "C=[N+]=[N-]", "CS(C)=O", "C[S+](C)[O-]",
    "CS(=O)(=O)C", "[O-][P+](O)(O)O", "CP(=O)(O)O", "NC(=[NH2+])c1ccccc1", "C[N-]C(=O)C.[K+]",
    "[O-]c1ccccc1.[Na+]", "OC(=O)CC[N+](C)(C)C", "[Cl]", "Cl", "C", "[2H]C([2H])([2H])O", "[H]OC",
    "C[C@H](N)C(=O)O", "F/C=C/F", "C1CC[C@H](C)CC1", "c1ccc2[nH]ccc2c1", "[nH]1cccc1",
    "CC[Se]C", "C[Si](C)(C)O", "OB(O)c1ccccc1", "[Fe+2].[O-]C(=O)C", "C[Hg]C", "[Mg](Cl)CC",
    "O=C([O-])C(=O)[O-].[NH4+].[NH4+]", "CC(=O)OC(C)=O.O", "[O-][Cl+3]([O-])([O-])O", "c1ccccc1[N+]#N",
    "CC(C)=[N+]=[N-]", "C[n+]1ccccc1", "CC(=O)[CH-]C(C)=O", "[CH2]C", "N#N", "S(=O)(=O)(O)O",
]


def _real_smiles(limit_per_file: int) -> list[str]:
    smiles: list[str] = []
    for path in sorted(glob.glob(str(ROOT / "datasets" / "moleculeace" / "*.csv")))[::3]:
        smiles += pd.read_csv(path)["smiles"].head(limit_per_file).tolist()
    shared = ROOT.parent / "shared" / "data" / "moleculenet"
    for name, col in (("HIV.csv", "smiles"), ("tox21.csv", "smiles"), ("clintox.csv", "smiles")):
        if (shared / name).exists():  # salts, metals, charged species
            smiles += pd.read_csv(shared / name)[col].head(4 * limit_per_file).tolist()
    return list(dict.fromkeys(s for s in smiles if isinstance(s, str)))


def _outcome(std: _Standardizer, smiles: str):
    mol = Chem.MolFromSmiles(smiles)
    if mol is None:
        return None
    try:
        out = std(mol)
    except Exception as exc:  # noqa: BLE001 - both paths must fail the same way too
        return type(exc).__name__
    return Chem.MolToSmiles(out), out.ToBinary(_PICKLE)


@pytest.mark.parametrize(
    "config",
    [StandardizeConfig(), StandardizeConfig(neutralize=False), StandardizeConfig(cleanup=False),
     StandardizeConfig(tautomer=True)],
    ids=["default", "no-neutralize", "no-cleanup", "tautomer"],
)
def test_fast_path_gives_identical_molecules(config):
    smiles = _EDGE_CASES + _real_smiles(150 if config == StandardizeConfig() else 20)
    fast, slow = _Standardizer(config, fast=True), _Standardizer(config, fast=False)
    n_plain = 0
    for s in smiles:
        mol = Chem.MolFromSmiles(s)
        n_plain += mol is not None and _is_plain(mol)
        assert _outcome(fast, s) == _outcome(slow, s), s
    assert len(smiles) > 500 if config == StandardizeConfig() else len(smiles) > 100
    assert 0.5 * len(smiles) < n_plain < len(smiles)  # both paths are exercised


@pytest.mark.parametrize(
    "smiles, plain",
    [("CCO", True), ("c1ccccc1C(=O)O", True), ("CC(=O)[O-]", False), ("CCO.O", False), ("CS(C)=O", False),
     ("CN=[N+]=[N-]", False), ("CC[Na]", False), ("[2H]CO", False), ("C", False), ("CS(=O)(=O)C", True)],
)
def test_plain_molecules_are_recognised(smiles, plain):
    assert _is_plain(Chem.MolFromSmiles(smiles)) is plain
