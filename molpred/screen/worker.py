"""The CPU-heavy half of a screen, run in worker processes: text -> status, filters, features.

A worker gets a :class:`~molpred.screen.reader.LibraryChunk` and returns a :class:`ChunkResult`
with a status for every row and, for the rows that pass, the model inputs (graphs packed into
a few large arrays, which cross the process boundary far faster than thousands of small
objects) and the packed fingerprints the applicability domain needs. Nothing here imports
torch: the main process turns the features into PyG batches and runs the networks.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import numpy as np

from molpred.chem.standardize import MolRecord, StandardizeConfig, Status, to_mol_record
from molpred.featurize.graph import MolGraph

__all__ = ["ChunkPlan", "ChunkResult", "PackedGraphs", "process_chunk", "FILTERED"]

FILTERED = "filtered"
"""Status of rows that parsed but were rejected by the screen's filters."""


@dataclass(frozen=True)
class ChunkPlan:
    """What every worker does to a chunk; identical for all chunks of a screen.

    Parameters
    ----------
    std_config : StandardizeConfig
    featurizers : tuple
        Distinct featurizers of the screen's models (Mol -> record with ``to_pyg()``).
    filters : FilterConfig or None
        Rows failing these get status ``filtered`` and no features.
    properties : tuple of str
        Property columns (``molpred.chem.filters.PROPERTIES``) to compute for parsed rows.
    domain_fingerprints : tuple of (int, int)
        ``(radius, n_bits)`` Morgan settings of the models' applicability domains.
    """

    std_config: StandardizeConfig
    featurizers: tuple = ()
    filters: object = None
    properties: tuple = ()
    domain_fingerprints: tuple = ()


@dataclass
class PackedGraphs:
    """Many :class:`MolGraph` in concatenated arrays (cheap to pickle).

    Attributes
    ----------
    x : numpy.ndarray
        ``sum(n_atoms) x d_atom``.
    edge_index : numpy.ndarray
        ``2 x sum(n_edges)``, indices local to each graph.
    edge_attr : numpy.ndarray
        ``sum(n_edges) x d_bond``.
    n_atoms, n_edges : numpy.ndarray
        ``n_graphs`` int64 sizes.
    """

    x: np.ndarray
    edge_index: np.ndarray
    edge_attr: np.ndarray
    n_atoms: np.ndarray
    n_edges: np.ndarray

    @classmethod
    def pack(cls, graphs: list[MolGraph], d_atom: int, d_bond: int) -> PackedGraphs:
        if not graphs:
            return cls(np.zeros((0, d_atom), np.float32), np.zeros((2, 0), np.int64),
                       np.zeros((0, d_bond), np.float32), np.zeros(0, np.int64), np.zeros(0, np.int64))
        return cls(
            np.concatenate([g.x for g in graphs]),
            np.concatenate([g.edge_index for g in graphs], axis=1),
            np.concatenate([g.edge_attr for g in graphs]),
            np.array([g.n_atoms for g in graphs], dtype=np.int64),
            np.array([g.n_edges for g in graphs], dtype=np.int64),
        )

    def unpack(self) -> list[MolGraph]:
        """The graphs again (views into the packed arrays)."""
        a = np.concatenate([[0], np.cumsum(self.n_atoms)])
        e = np.concatenate([[0], np.cumsum(self.n_edges)])
        return [
            MolGraph(self.x[a[i]:a[i + 1]], self.edge_index[:, e[i]:e[i + 1]], self.edge_attr[e[i]:e[i + 1]])
            for i in range(len(self.n_atoms))
        ]

    def __len__(self) -> int:
        return len(self.n_atoms)


@dataclass
class ChunkResult:
    """Per-row outcome of the worker stage for one chunk.

    Attributes
    ----------
    index, start : int
        Chunk number and first row.
    smiles : list of str
        Input SMILES per row (for SDF input: the record's SMILES, empty if unreadable).
    ids : list of str or None
    smiles_std, status, error, filter_reasons : list
        One per row.
    properties : dict of str -> numpy.ndarray
        ``n`` float64 per requested property (NaN for rows that did not parse).
    ok_index : numpy.ndarray
        int64 positions (``0..n-1``) of the rows to predict (status ``ok``).
    features : list
        Per featurizer of the plan: :class:`PackedGraphs` or a list of records, for
        ``ok_index`` rows in order.
    domain : list of numpy.ndarray
        Per domain setting of the plan: ``len(ok_index) x n_bits / 8`` packed uint8 bits.
    """

    index: int
    start: int
    smiles: list
    ids: list | None
    smiles_std: list
    status: list
    error: list
    filter_reasons: list
    properties: dict = field(default_factory=dict)
    ok_index: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    features: list = field(default_factory=list)
    domain: list = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.status)


def _molblock_record(block: str, config: StandardizeConfig) -> tuple[str, MolRecord]:
    """SDF record -> (its SMILES, standardised record), as ``read_table`` + ``predict`` would."""
    from rdkit import Chem

    try:
        mol = Chem.MolFromMolBlock(block, sanitize=True, removeHs=True)
    except Exception:  # noqa: BLE001 - malformed records must not stop the chunk
        mol = None
    if mol is None or mol.GetNumAtoms() == 0:
        return "", MolRecord(None, None, Status.INVALID_SMILES.value, "RDKit could not read this SD record")
    smiles = Chem.MolToSmiles(mol)
    return smiles, to_mol_record(smiles, config)


def _featurize(featurizer, mols: list):
    """Records of one featurizer; returns (packed or list, failures {position: message})."""
    records, failures = [], {}
    for j, mol in enumerate(mols):
        try:
            records.append(featurizer(mol))
        except Exception as exc:  # noqa: BLE001 - one molecule must not break the chunk
            failures[j] = f"featurisation failed: {exc}"
            records.append(None)
    return records, failures


def process_chunk(plan: ChunkPlan, chunk) -> ChunkResult:
    """Standardise, filter and featurise one chunk; never raises for a bad row.

    Parameters
    ----------
    plan : ChunkPlan
    chunk : LibraryChunk

    Returns
    -------
    ChunkResult
    """
    from molpred.chem.filters import apply_filters, compute_properties

    n = len(chunk.records)
    if chunk.kind == "molblock":
        pairs = [_molblock_record(b, plan.std_config) for b in chunk.records]
        smiles = [p[0] for p in pairs]
        records = [p[1] for p in pairs]
    else:
        smiles = [s if isinstance(s, str) else "" for s in chunk.records]
        records = [to_mol_record(s, plan.std_config) for s in smiles]
    status = [r.status for r in records]
    error = [r.error for r in records]
    reasons = [""] * n
    parsed = [i for i, r in enumerate(records) if r.ok]
    mols = [records[i].mol for i in parsed]

    properties: dict = {}
    keep = parsed
    if plan.filters is not None and not plan.filters.is_empty:
        table = apply_filters(mols, plan.filters, columns=list(plan.properties))
        passes = table["passes"].to_numpy()
        for j, i in enumerate(parsed):
            if not passes[j]:
                status[i] = FILTERED
                reasons[i] = table["filter_reasons"].iat[j]
        keep = [i for j, i in enumerate(parsed) if passes[j]]
        props = table[[c for c in plan.properties]] if plan.properties else None
    else:
        props = compute_properties(mols, list(plan.properties)) if plan.properties else None
    for name in plan.properties:
        col = np.full(n, np.nan)
        col[parsed] = props[name].to_numpy(dtype=np.float64)
        properties[name] = col

    keep_mols = [records[i].mol for i in keep]
    per_featurizer, bad = [], set()
    for featurizer in plan.featurizers:
        recs, failures = _featurize(featurizer, keep_mols)
        for j, msg in failures.items():
            i = keep[j]
            if i not in bad:
                bad.add(i)
                status[i], error[i] = Status.UNSUPPORTED.value, msg
        per_featurizer.append(recs)
    good = [j for j, i in enumerate(keep) if i not in bad]
    features = []
    for featurizer, recs in zip(plan.featurizers, per_featurizer):
        recs = [recs[j] for j in good]
        if featurizer_output_type(featurizer) is MolGraph:
            features.append(PackedGraphs.pack(recs, featurizer.d_atom, featurizer.d_bond))
        else:
            features.append(recs)
    ok_index = np.asarray([keep[j] for j in good], dtype=np.int64)
    domain = []
    if plan.domain_fingerprints:
        from molpred.chem.fingerprints import morgan_fingerprints

        good_mols = [keep_mols[j] for j in good]
        for radius, n_bits in plan.domain_fingerprints:
            fps = morgan_fingerprints(good_mols, radius=radius, n_bits=n_bits)
            domain.append(np.packbits(fps, axis=1))
    smiles_std = [r.smiles for r in records]
    for i in bad:
        smiles_std[i] = None
    return ChunkResult(
        index=chunk.index, start=chunk.start, smiles=smiles, ids=chunk.ids, smiles_std=smiles_std,
        status=status, error=error, filter_reasons=reasons, properties=properties,
        ok_index=ok_index, features=features, domain=domain,
    )


def featurizer_output_type(featurizer) -> type | None:
    """``MolGraph`` for graph featurizers (packed for transfer), else None."""
    from molpred.featurize.atom_bond import MolGraphFeaturizer

    return MolGraph if isinstance(featurizer, MolGraphFeaturizer) else None


# ---------------------------------------------------------------------- worker processes
_PLAN: ChunkPlan | None = None


def init_worker(plan: ChunkPlan) -> None:
    """Process-pool initializer: one thread per worker, quiet RDKit, remember the plan."""
    global _PLAN
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[var] = "1"
    import sys

    if "torch" in sys.modules:  # not imported by the worker stage itself
        sys.modules["torch"].set_num_threads(1)
    _PLAN = plan


def run_in_worker(chunk) -> ChunkResult:
    """Entry point of a pool task (uses the plan given to :func:`init_worker`)."""
    assert _PLAN is not None, "init_worker was not called"
    return process_chunk(_PLAN, chunk)
