"""Chemistry layer: text -> standardised RDKit Mol, canonical SMILES, fingerprints."""

from molpred.chem.fingerprints import (
    bulk_tanimoto_max,
    morgan_bitvects,
    morgan_fingerprints,
    tanimoto_matrix,
)
from molpred.chem.standardize import (
    MolRecord,
    StandardizeConfig,
    Status,
    canonical_smiles,
    standardize_many,
    to_mol,
    to_mol_record,
)

__all__ = [
    "MolRecord",
    "StandardizeConfig",
    "Status",
    "canonical_smiles",
    "standardize_many",
    "to_mol",
    "to_mol_record",
    "morgan_fingerprints",
    "morgan_bitvects",
    "tanimoto_matrix",
    "bulk_tanimoto_max",
]
