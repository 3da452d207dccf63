"""Molecules that must not be pretrained on: everything in the benchmark sets we report.

The rule is deliberately coarse (a superset of every test split): a MOSES molecule is excluded
when the connectivity block (first 14 characters) of its InChIKey, computed after molpred's
standardisation, equals that of any molecule in the MoleculeACE CSVs bundled in ``datasets/``,
the MoleculeNet sets, the TDC ADMET files, AqSolDB or the Biogen ADME set. Matching on the
connectivity block also excludes stereoisomers and isotopologues of benchmark molecules.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from molpred.types import PathType

__all__ = ["ExclusionSet", "default_sources", "molecule_key", "build_exclusion"]


def molecule_key(mol) -> str | None:
    """Connectivity block of the InChIKey of a standardised molecule (``None`` if InChI fails)."""
    from rdkit import Chem

    try:
        key = Chem.MolToInchiKey(mol)
    except Exception:  # noqa: BLE001 - InChI can fail on exotic input; the row is then not excluded
        return None
    return key[:14] if key else None


def default_sources(data_dir: PathType | None = None, repo_datasets: PathType | None = None) -> dict[str, list[Path]]:
    """Benchmark files per source name.

    Parameters
    ----------
    data_dir : path, optional
        Shared data directory (default: where :func:`molpred.datasets.cards.find_data_dir`
        finds MoleculeNet: ``$MOLPRED_DATA_DIR``, the cache, ``../shared/data``).
    repo_datasets : path, optional
        The bundled ``datasets/`` folder (MoleculeACE CSVs); default
        :func:`molpred.datasets.cards.datasets_dir` (``$MOLPRED_DATASETS_DIR`` overrides).

    Raises
    ------
    DataFileError
        A source has no file where it was looked for: an exclusion list that silently missed a
        benchmark would let its test molecules into the pretraining set.
    """
    from molpred.datasets.cards import datasets_dir, find_data_dir
    from molpred.exceptions import DataFileError

    data = Path(data_dir) if data_dir else find_data_dir("moleculenet")
    repo = Path(repo_datasets) if repo_datasets else datasets_dir()
    out = {
        "MoleculeACE": sorted((repo / "moleculeace").glob("*.csv")),
        "MoleculeNet": sorted((data / "moleculenet").glob("*.csv")),
        "TDC ADMET": sorted((data / "tdc_admet").glob("*.tab")),
        "AqSolDB": [data / "admet_extra" / "AqSolDB_data_curated.csv"],
        "Biogen ADME": [data / "admet_extra" / "ADME_public_set_3521.csv"],
    }
    out = {k: [p for p in v if p.exists()] for k, v in out.items()}
    missing = [k for k, v in out.items() if not v]
    if missing:
        raise DataFileError(f"benchmark files to exclude from pretraining not found for {', '.join(missing)} "
                            f"(looked in {data} and {repo / 'moleculeace'}); set MOLPRED_DATA_DIR / "
                            "MOLPRED_DATASETS_DIR, or pretrain with exclude_benchmarks=False (--no-exclude) to skip the exclusion")
    return out


def _file_smiles(path: Path) -> list:
    from molpred.data.tables import read_table, resolve_column

    frame = read_table(path)
    return frame[resolve_column(frame, None, path)].tolist()


@dataclass
class ExclusionSet:
    """Keys to exclude and, per source, how many pretraining molecules each one removed.

    Attributes
    ----------
    keys : dict
        ``key -> list of source names`` that hold a molecule with that key.
    source_molecules : dict
        ``source -> number of distinct keys`` in that source.

    The per-source counts of excluded pretraining molecules are read back from the shards
    (:func:`molpred.pretrain.cache.cache_summary`), whose ``error`` column names the sources.
    """

    keys: dict[str, list[str]] = field(default_factory=dict)
    source_molecules: dict[str, int] = field(default_factory=dict)

    def sources_of(self, key: str | None) -> list[str]:
        """Sources that hold ``key`` (empty: not excluded)."""
        if key is None:
            return []
        return self.keys.get(key, [])

    def fingerprint(self) -> str:
        """Short hash of the key set, stored in the cache manifest."""
        import hashlib

        return hashlib.sha256("\n".join(sorted(self.keys)).encode()).hexdigest()[:16]

    def save(self, path: PathType) -> None:
        Path(path).write_text(json.dumps({"rule": "InChIKey connectivity block after molpred standardisation",
                                          "source_molecules": self.source_molecules, "keys": self.keys}))

    @classmethod
    def load(cls, path: PathType) -> ExclusionSet:
        d = json.loads(Path(path).read_text())
        return cls(keys=d["keys"], source_molecules=d["source_molecules"])


def _file_keys(path) -> set[str]:
    from molpred.chem.standardize import to_mol_record

    keys = set()
    for s in _file_smiles(Path(path)):
        rec = to_mol_record(s)
        if rec.ok:
            k = molecule_key(rec.mol)
            if k:
                keys.add(k)
    return keys


def build_exclusion(sources: dict[str, Iterable[PathType]], n_jobs: int = 1) -> ExclusionSet:
    """Standardise every molecule of every source file and collect their keys.

    Parameters
    ----------
    sources : dict
        ``source name -> files`` (any table molpred reads; the SMILES column is guessed).
    n_jobs : int
        Processes (one file per task).

    Returns
    -------
    ExclusionSet
        Rows that fail to parse are skipped (they cannot match a parsed pretraining molecule).
    """
    jobs = [(name, Path(p)) for name, files in sources.items() for p in files]
    if n_jobs > 1:
        import multiprocessing as mp

        with mp.get_context("spawn").Pool(n_jobs) as pool:
            key_sets = pool.map(_file_keys, [p for _, p in jobs])
    else:
        key_sets = [_file_keys(p) for _, p in jobs]
    ex = ExclusionSet()
    per_source: dict[str, set[str]] = {name: set() for name in sources}
    for (name, _), keys in zip(jobs, key_sets):
        per_source[name] |= keys
    for name, keys in per_source.items():
        ex.source_molecules[name] = len(keys)
        for k in sorted(keys):
            ex.keys.setdefault(k, []).append(name)
    return ex
