"""Molecule-level feature vectors placed beside the graph embedding (Chemprop's ``X_d``).

A graph network reads atoms and bonds; some information is easier to hand it whole: counted
substructures (Morgan counts) and computed properties (RDKit 2D descriptors). The vectors are
computed once per molecule, carried on each graph as ``mol_x`` (``1 x d_mol``, so a batch holds
``n_graphs x d_mol``) and concatenated to the readout's output, before the head
(:class:`molpred.nn.features.MoleculeFeatureScaling` imputes and scales them there).

=============  ==========================================================================
name           what
=============  ==========================================================================
morgan_count   ``log1p`` of Morgan counts (radius 2, 2,048 folded bits): the fingerprint
               MLP's input (:class:`molpred.featurize.fingerprint.FingerprintFeaturizer`)
rdkit2d        the 202 RDKit 2D descriptors of :mod:`molpred.pretrain.descriptors` (NaN
               where one fails); robustly scaled on the training molecules, NaN imputed by
               the training median and clipped, inside the network
=============  ==========================================================================

Examples
--------
>>> from rdkit import Chem
>>> feats = MoleculeFeatures(("morgan_count", "rdkit2d"))
>>> feats(Chem.MolFromSmiles("CCO")).shape, feats.d_mol
((2250,), 2250)
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from molpred.exceptions import ModelFileError
from molpred.featurize.fingerprint import FingerprintFeaturizer, log1p_counts

__all__ = ["MorganCountFeatures", "RDKit2DFeatures", "MoleculeFeatures", "MOLECULE_FEATURES",
           "list_molecule_features", "check_feature_names"]


@dataclass(frozen=True)
class MorganCountFeatures:
    """``log1p`` Morgan counts, ``n_bits`` float32 (the fingerprint MLP's input: its featurizer's uint8
    counts through :func:`~molpred.featurize.fingerprint.log1p_counts`)."""

    radius: int = 2
    n_bits: int = 2048
    name: str = field(default="morgan_count", init=False)
    scaled: bool = field(default=False, init=False)  # log1p counts are already on a small scale

    @property
    def dim(self) -> int:
        return self.n_bits

    def __call__(self, mol) -> np.ndarray:
        """``n_bits`` float32 for one molecule."""
        return log1p_counts(FingerprintFeaturizer(radius=self.radius, n_bits=self.n_bits)(mol).fp)

    def spec(self) -> dict:
        return {"name": self.name, "radius": self.radius, "n_bits": self.n_bits}


@dataclass(frozen=True)
class RDKit2DFeatures:
    """RDKit 2D descriptors by name, NaN where one fails or is not finite in float32.

    Parameters
    ----------
    names : tuple of str, optional
        Descriptor names; default :func:`molpred.pretrain.descriptors.descriptor_names`. A model
        stores its names, so a descriptor a future RDKit lacks becomes NaN (imputed), not a
        shifted column.
    """

    names: tuple = ()
    name: str = field(default="rdkit2d", init=False)
    scaled: bool = field(default=True, init=False)

    def __post_init__(self):
        if not self.names:
            from molpred.pretrain.descriptors import descriptor_names

            object.__setattr__(self, "names", tuple(descriptor_names()))

    @property
    def dim(self) -> int:
        return len(self.names)

    def __call__(self, mol) -> np.ndarray:
        """``n_desc`` float32 for one molecule (NaN for failed or out-of-range descriptors)."""
        from molpred.pretrain.descriptors import compute_descriptors

        values = compute_descriptors(mol, list(self.names))
        with np.errstate(over="ignore", invalid="ignore"):
            out = values.astype(np.float32)  # 1e39 would become inf
        out[~np.isfinite(out)] = np.nan
        return out

    def spec(self) -> dict:
        return {"name": self.name, "names": list(self.names)}


MOLECULE_FEATURES = {"morgan_count": MorganCountFeatures, "rdkit2d": RDKit2DFeatures}


def list_molecule_features() -> list[str]:
    """Names accepted by ``features=`` (``molpred list features``)."""
    return sorted(MOLECULE_FEATURES)


def check_feature_names(features) -> tuple[str, ...]:
    """Normalise a ``features=`` value to a tuple of known names.

    Parameters
    ----------
    features : None, str or sequence of str
        ``None``/empty means no features; a single string is one name.

    Raises
    ------
    ValueError
        An unknown name (with a did-you-mean hint), a repeated name, or a non-string.
    """
    if features is None:
        return ()
    items = [features] if isinstance(features, str) else list(features)
    out = []
    for name in items:
        if not isinstance(name, str):
            raise ValueError(f"features must be names (strings), got {name!r}")
        if name not in MOLECULE_FEATURES:
            close = difflib.get_close_matches(name, MOLECULE_FEATURES, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise ValueError(f"unknown molecule feature {name!r}{hint} (known: {', '.join(list_molecule_features())})")
        if name in out:
            raise ValueError(f"molecule feature {name!r} is listed twice")
        out.append(name)
    return tuple(out)


class MoleculeFeatures:
    """Several feature blocks side by side: Mol -> ``d_mol`` float32 vector, never raising.

    Parameters
    ----------
    names : sequence of str
        Blocks in column order (:data:`MOLECULE_FEATURES`).
    blocks : sequence, optional
        Ready-made blocks (used when rebuilding from a saved spec); default: each name's defaults.
    """

    def __init__(self, names: Sequence[str], blocks: Sequence | None = None):
        names = check_feature_names(names)
        if not names:
            raise ValueError("MoleculeFeatures needs at least one feature name")
        self.blocks = tuple(blocks) if blocks is not None else tuple(MOLECULE_FEATURES[n]() for n in names)
        self.names = names

    @property
    def d_mol(self) -> int:
        return sum(b.dim for b in self.blocks)

    @property
    def scaled_mask(self) -> np.ndarray:
        """``d_mol`` bool: columns scaled robustly on the training molecules (rdkit2d)."""
        return np.concatenate([np.full(b.dim, b.scaled) for b in self.blocks])

    def __call__(self, mol) -> np.ndarray:
        """``d_mol`` float32; a block that raises for this molecule is all NaN (imputed later)."""
        parts = []
        for b in self.blocks:
            try:
                parts.append(np.asarray(b(mol), dtype=np.float32).reshape(b.dim))
            except Exception:  # noqa: BLE001 - a failed block must not lose the molecule
                parts.append(np.full(b.dim, np.nan, dtype=np.float32))
        return np.concatenate(parts)

    def spec(self) -> dict:
        return {"names": list(self.names), "blocks": [b.spec() for b in self.blocks], "d_mol": self.d_mol}

    def __eq__(self, other) -> bool:  # same spec = same features
        return isinstance(other, MoleculeFeatures) and self.spec() == other.spec()

    def __hash__(self) -> int:
        import json

        return hash(json.dumps(self.spec(), sort_keys=True))

    def __repr__(self) -> str:
        return f"MoleculeFeatures({list(self.names)!r}, d_mol={self.d_mol})"

    @classmethod
    def from_spec(cls, spec: dict) -> MoleculeFeatures:
        """Rebuild from :meth:`spec` (a model file); raises ``ModelFileError`` when it does not fit."""
        try:
            names = check_feature_names(spec["names"])
            blocks = []
            for name, b in zip(names, spec["blocks"], strict=True):
                if b.get("name") != name:
                    raise ValueError(f"block {b.get('name')!r} listed as {name!r}")
                if name == "morgan_count":
                    radius, n_bits = int(b["radius"]), int(b["n_bits"])
                    if not (0 <= radius <= 6 and 16 <= n_bits <= 65536):
                        raise ValueError(f"Morgan radius {radius} / {n_bits} bits out of range")
                    blocks.append(MorganCountFeatures(radius=radius, n_bits=n_bits))
                else:
                    desc = b["names"]
                    if not isinstance(desc, list) or not 0 < len(desc) <= 1000 or not all(isinstance(d, str) for d in desc):
                        raise ValueError("rdkit2d descriptor names must be a list of up to 1,000 strings")
                    blocks.append(RDKit2DFeatures(names=tuple(desc)))
            out = cls(names, blocks)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ModelFileError(f"invalid molecule-feature settings in the model file: {exc}") from None
        if out.d_mol != spec.get("d_mol"):
            raise ModelFileError(f"molecule features have width {out.d_mol}, the model file says {spec.get('d_mol')!r}")
        return out


@dataclass(frozen=True)
class WithMoleculeFeatures:
    """A graph (or fingerprint) featurizer whose records also carry ``mol_x``.

    Parameters
    ----------
    base : MolGraphFeaturizer or FingerprintFeaturizer
    features : MoleculeFeatures

    The base featurizer's failures still raise (the row becomes ``unsupported``); the molecule
    features never do. :meth:`spec` is the base's spec plus ``"molecule_features"``, so a model
    file records them and a file without that key (older models) means no features.
    """

    base: object
    features: MoleculeFeatures

    @property
    def name(self) -> str:
        return self.base.name

    @property
    def d_atom(self) -> int:
        return self.base.d_atom

    @property
    def d_bond(self) -> int:
        return self.base.d_bond

    @property
    def d_mol(self) -> int:
        return self.features.d_mol

    def __call__(self, mol):
        from dataclasses import replace

        record = self.base(mol)
        return replace(record, mol_x=self.features(mol))

    def spec(self) -> dict:
        return {**self.base.spec(), "molecule_features": self.features.spec()}


def with_molecule_features(base, features) -> object:
    """``base`` wrapped with :class:`MoleculeFeatures` of ``features`` (``base`` itself when none)."""
    names = check_feature_names(features)
    return WithMoleculeFeatures(base, MoleculeFeatures(names)) if names else base
