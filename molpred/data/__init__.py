"""Tables and graphs: readers/writers, featurised sets, packed graphs and their batches, splits,
scalers."""

from molpred.data.batching import GraphBatcher
from molpred.data.featurized import FeaturizedSet, featurize_smiles
from molpred.data.packed import PackedGraphs
from molpred.data.scaler import TargetScaler
from molpred.data.splits import Split, list_splits, make_split, murcko_scaffold
from molpred.data.tables import read_table, resolve_column, write_table

__all__ = ["FeaturizedSet", "featurize_smiles", "PackedGraphs", "GraphBatcher", "TargetScaler", "Split", "make_split", "list_splits",
           "murcko_scaffold", "read_table", "write_table", "resolve_column"]
