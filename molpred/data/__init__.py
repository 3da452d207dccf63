"""Tables and graphs: readers/writers, featurised sets, splits, scalers."""

from molpred.data.featurized import FeaturizedSet, featurize_smiles
from molpred.data.scaler import TargetScaler
from molpred.data.splits import Split, list_splits, make_split, murcko_scaffold
from molpred.data.tables import read_table, resolve_column, write_table

__all__ = ["FeaturizedSet", "featurize_smiles", "TargetScaler", "Split", "make_split", "list_splits",
           "murcko_scaffold", "read_table", "write_table", "resolve_column"]
