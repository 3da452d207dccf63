"""SMILES -> standardised records -> packed graphs, once per run, with a status for every row."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from molpred.chem.standardize import MolRecord, StandardizeConfig, Status, to_mol_record
from molpred.data.packed import PackedGraphs, pack_records

__all__ = ["FeaturizedSet", "featurize_smiles", "featurize_records"]


@dataclass
class FeaturizedSet:
    """The outcome of featurising a list of inputs.

    Attributes
    ----------
    records : list of MolRecord
        One per input, input order (``status``/``error`` for every row).
    graphs : PackedGraphs
        The usable inputs' graphs (or fingerprints), packed, in input order: what training,
        prediction and screening batch from.
    index : numpy.ndarray
        ``len(graphs)`` int64 positions of the usable inputs in the original list.
    """

    records: list[MolRecord]
    graphs: PackedGraphs
    index: np.ndarray

    def __len__(self) -> int:
        return len(self.records)

    @property
    def smiles(self) -> list[str | None]:
        return [r.smiles for r in self.records]

    @property
    def mols(self) -> list:
        """Standardised molecules of the usable rows (same order as ``graphs``)."""
        return [self.records[i].mol for i in self.index]

    @cached_property
    def data(self) -> list:
        """The usable rows as one PyG ``Data`` each (made on first use, for code that needs
        single molecules, such as atom attributions)."""
        return self.graphs.to_data_list() if len(self.graphs) else []


def featurize_records(records: list[MolRecord], featurizer) -> FeaturizedSet:
    """Featurise already standardised records; a featurizer failure marks the row unsupported."""
    made, index = [], []
    for i, rec in enumerate(records):
        if not rec.ok:
            continue
        try:
            made.append(featurizer(rec.mol))
        except Exception as exc:  # noqa: BLE001 - one molecule must not break the batch
            records[i] = MolRecord(None, rec.smiles, Status.UNSUPPORTED.value, f"featurisation failed: {exc}")
            continue
        index.append(i)
    return FeaturizedSet(records, pack_records(made, featurizer), np.asarray(index, dtype=np.int64))


def featurize_smiles(
    smiles: Sequence[object], featurizer, config: StandardizeConfig | None = None, progress: bool = False
) -> FeaturizedSet:
    """Standardise and featurise ``smiles``; never raises for a bad row.

    Parameters
    ----------
    smiles : sequence of str
    featurizer : callable
        Mol -> :class:`MolGraph` (``MolGraphFeaturizer``) or fingerprint record
        (``FingerprintFeaturizer`` and the other Morgan featurizers).
    config : StandardizeConfig, optional
    progress : bool
        Show a progress bar.
    """
    items = list(smiles)
    it = items
    if progress:
        from tqdm.auto import tqdm

        it = tqdm(items, desc="featurise", unit="mol", leave=False)
    records = [to_mol_record(s, config) for s in it]
    return featurize_records(records, featurizer)
