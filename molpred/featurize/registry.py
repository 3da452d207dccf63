"""Featurizer registry: name -> featurizer, and the check that a spec matches."""

from __future__ import annotations

import difflib

from molpred.exceptions import ModelFileError
from molpred.featurize.atom_bond import MOLGRAPH_VERSIONS, MolGraphFeaturizer
from molpred.featurize.fingerprint import (
    FingerprintBitsFeaturizer,
    FingerprintCountsFeaturizer,
    FingerprintFeaturizer,
    MultiCountsFeaturizer,
)

__all__ = ["FEATURIZERS", "get_featurizer", "featurizer_from_spec", "list_featurizers"]

FEATURIZERS = {"molgraph": MolGraphFeaturizer, "morgan_counts": FingerprintFeaturizer,
               "morgan_bits": FingerprintBitsFeaturizer, "morgan_raw_counts": FingerprintCountsFeaturizer,
               "multi_raw_counts": MultiCountsFeaturizer}


def list_featurizers() -> list[str]:
    return sorted(FEATURIZERS)


def get_featurizer(name: str, **kwargs):
    """Build a featurizer by name; unknown names raise ``ValueError`` with a suggestion."""
    if name not in FEATURIZERS:
        close = difflib.get_close_matches(name, FEATURIZERS, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise ValueError(f"unknown featurizer {name!r}{hint} (known: {', '.join(list_featurizers())})")
    return FEATURIZERS[name](**kwargs)


def featurizer_from_spec(spec: dict):
    """Rebuild the featurizer saved with a model and check it produces the same features.

    Raises
    ------
    ModelFileError
        Unknown name, other version or other dimensions than this molpred provides, or
        invalid molecule-feature settings.

    A ``"molecule_features"`` entry (models trained with ``features=``) wraps the featurizer
    in :class:`~molpred.featurize.molecule_features.WithMoleculeFeatures`; without it (every
    model saved before molecule features existed) the records carry no ``mol_x``.
    """
    if "molecule_features" in spec:
        from molpred.featurize.molecule_features import MoleculeFeatures, WithMoleculeFeatures

        mf = spec["molecule_features"]
        if not isinstance(mf, dict):
            raise ModelFileError("invalid molecule-feature settings in the model file: not an object")
        base = featurizer_from_spec({k: v for k, v in spec.items() if k != "molecule_features"})
        return WithMoleculeFeatures(base, MoleculeFeatures.from_spec(mf))
    name = spec.get("name")
    if name == "composite":
        return _composite_from_spec(spec)
    if name not in FEATURIZERS:
        raise ModelFileError(f"model uses featurizer {name!r}, which this molpred does not have")
    extra = {k: spec[k] for k in ("radius", "n_bits") if k in spec}
    if name == "molgraph":
        if spec.get("version") not in MOLGRAPH_VERSIONS:
            raise ModelFileError(f"model uses molgraph featurizer version {spec.get('version')!r}; "
                                 f"this molpred has versions {sorted(MOLGRAPH_VERSIONS)}")
        extra["version"] = spec["version"]
    feat = FEATURIZERS[name](**extra)
    if feat.spec() != spec:
        raise ModelFileError(
            f"model was trained with featurizer {spec}, this molpred provides {feat.spec()}; "
            "retrain the model or install the molpred version that made it"
        )
    return feat


def _composite_from_spec(spec: dict):
    """The featurizer of a stacked model (``model="auto"``): every part checked as above."""
    from molpred.featurize.composite import CompositeFeaturizer

    parts = spec.get("parts")
    if not isinstance(parts, list) or not parts or not all(isinstance(p, dict) for p in parts):
        raise ModelFileError("composite featurizer without a list of parts")
    try:
        feat = CompositeFeaturizer(tuple(featurizer_from_spec(p) for p in parts))
    except ValueError as exc:
        raise ModelFileError(f"invalid composite featurizer: {exc}") from None
    if feat.spec() != spec:
        raise ModelFileError(f"model was trained with featurizer {spec}, this molpred provides {feat.spec()}")
    return feat
