"""Mol -> graph: atom/bond featurizers, MolGraph, fingerprints, conversion to PyG."""

from molpred.featurize.atom_bond import MolGraphFeaturizer
from molpred.featurize.fingerprint import FingerprintFeaturizer, FingerprintRecord
from molpred.featurize.graph import MolGraph
from molpred.featurize.registry import featurizer_from_spec, get_featurizer, list_featurizers

__all__ = [
    "MolGraph",
    "MolGraphFeaturizer",
    "FingerprintFeaturizer",
    "FingerprintRecord",
    "get_featurizer",
    "featurizer_from_spec",
    "list_featurizers",
]
