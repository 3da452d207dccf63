"""SMILES -> standardised records -> PyG graphs, once per run, with a status for every row."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from molpred.chem.standardize import MolRecord, StandardizeConfig, Status, to_mol_record

__all__ = ["FeaturizedSet", "featurize_smiles"]


@dataclass
class FeaturizedSet:
    """The outcome of featurising a list of inputs.

    Attributes
    ----------
    records : list of MolRecord
        One per input, input order (``status``/``error`` for every row).
    data : list of torch_geometric.data.Data
        One per usable input, in input order.
    index : numpy.ndarray
        ``len(data)`` int64 positions of the usable inputs in the original list.
    """

    records: list[MolRecord]
    data: list
    index: np.ndarray

    def __len__(self) -> int:
        return len(self.records)

    @property
    def smiles(self) -> list[str | None]:
        return [r.smiles for r in self.records]

    @property
    def mols(self) -> list:
        """Standardised molecules of the usable rows (same order as ``data``)."""
        return [self.records[i].mol for i in self.index]


def featurize_records(records: list[MolRecord], featurizer) -> FeaturizedSet:
    """Featurise already standardised records; a featurizer failure marks the row unsupported."""
    data, index = [], []
    for i, rec in enumerate(records):
        if not rec.ok:
            continue
        try:
            data.append(featurizer(rec.mol).to_pyg())
        except Exception as exc:  # noqa: BLE001 - one molecule must not break the batch
            records[i] = MolRecord(None, rec.smiles, Status.UNSUPPORTED.value, f"featurisation failed: {exc}")
            continue
        index.append(i)
    return FeaturizedSet(records, data, np.asarray(index, dtype=np.int64))


def featurize_smiles(
    smiles: Sequence[object], featurizer, config: StandardizeConfig | None = None, progress: bool = False
) -> FeaturizedSet:
    """Standardise and featurise ``smiles``; never raises for a bad row.

    Parameters
    ----------
    smiles : sequence of str
    featurizer : callable
        Mol -> record with ``to_pyg()`` (``MolGraphFeaturizer``, ``FingerprintFeaturizer``).
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
