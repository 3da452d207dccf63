"""Chemistry layer: text -> standardised RDKit Mol, canonical SMILES, fingerprints, filters."""

from molpred.chem.diversity import diverse_top_k, maxmin_pick
from molpred.chem.filters import (
    FilterConfig,
    FilterSpecError,
    apply_filters,
    compute_properties,
    list_filters,
    parse_filters,
)
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
    "FilterConfig",
    "FilterSpecError",
    "apply_filters",
    "compute_properties",
    "list_filters",
    "parse_filters",
    "diverse_top_k",
    "maxmin_pick",
]
