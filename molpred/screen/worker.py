"""The CPU-heavy half of a screen, run in worker processes: text -> status, filters, features.

A worker gets a :class:`~molpred.screen.reader.LibraryChunk` and returns a :class:`ChunkResult`
with a status for every row and, for the rows that pass, the model inputs (graphs packed into
a few large arrays, which cross the process boundary far faster than thousands of small
objects) and the packed fingerprints the applicability domain needs. Nothing in this stage
imports torch. When the models run on the CPU, :func:`init_worker` also gets the prediction
stage (:class:`~molpred.screen.engine.ShardBuilder`) and the worker returns the finished shard
table; otherwise the process that owns the GPU predicts the features.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import numpy as np

from molpred.chem.standardize import MolRecord, StandardizeConfig, Status, to_mol_record
from molpred.data.packed import PackedGraphs, pack_records

__all__ = ["ChunkPlan", "ChunkResult", "process_chunk", "FILTERED"]

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
        Per featurizer of the plan: :class:`~molpred.data.packed.PackedGraphs` (graphs or
        fingerprints) of the ``ok_index`` rows in order.
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


SLICE = 500
"""Molecules standardised and featurised at a time within a chunk: RDKit molecules take about
40 kB each, so a worker's memory depends on this, not on the chunk size."""


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
    starts = range(0, len(chunk), SLICE) or [0]  # an empty chunk still gives one (empty) part
    parts = [_process_slice(plan, chunk, lo, min(lo + SLICE, len(chunk))) for lo in starts]
    first = parts[0]
    features = [PackedGraphs.concat([p.features[f] for p in parts]) for f in range(len(plan.featurizers))]
    return ChunkResult(
        index=chunk.index, start=chunk.start, smiles=[v for p in parts for v in p.smiles], ids=chunk.ids,
        smiles_std=[v for p in parts for v in p.smiles_std], status=[v for p in parts for v in p.status],
        error=[v for p in parts for v in p.error], filter_reasons=[v for p in parts for v in p.filter_reasons],
        properties={k: np.concatenate([p.properties[k] for p in parts]) for k in first.properties},
        ok_index=np.concatenate([p.ok_index for p in parts]),
        features=features,
        domain=[np.concatenate([p.domain[d] for p in parts]) for d in range(len(plan.domain_fingerprints))],
    )


def _process_slice(plan: ChunkPlan, chunk, lo: int, hi: int) -> ChunkResult:
    """Rows ``lo:hi`` of a chunk (``ok_index`` relative to the chunk)."""
    smiles, records = _standardise(chunk.records[lo:hi], chunk.kind, plan.std_config)
    n = len(records)
    status = [r.status for r in records]
    error = [r.error for r in records]
    reasons = [""] * n
    keep, properties = _filter(plan, records, status, reasons)
    features, good, failures, domain = _featurise(plan, [records[i].mol for i in keep])
    smiles_std = [r.smiles for r in records]
    for j, message in failures.items():
        i = keep[j]
        status[i], error[i], smiles_std[i] = Status.UNSUPPORTED.value, message, None
    return ChunkResult(
        index=chunk.index, start=chunk.start + lo, smiles=smiles, ids=None, smiles_std=smiles_std,
        status=status, error=error, filter_reasons=reasons, properties=properties,
        ok_index=np.asarray([lo + keep[j] for j in good], dtype=np.int64), features=features, domain=domain,
    )


def _standardise(items: list, kind: str, config: StandardizeConfig) -> tuple[list, list]:
    """Input SMILES and standardised records of SMILES texts or SD molblocks."""
    if kind == "molblock":
        pairs = [_molblock_record(b, config) for b in items]
        return [p[0] for p in pairs], [p[1] for p in pairs]
    smiles = [s if isinstance(s, str) else "" for s in items]
    return smiles, [to_mol_record(s, config) for s in smiles]


def _filter(plan: ChunkPlan, records: list, status: list, reasons: list) -> tuple[list, dict]:
    """Apply the filters (updating ``status``/``reasons``); return kept positions and properties."""
    from molpred.chem.filters import apply_filters, compute_properties

    parsed = [i for i, r in enumerate(records) if r.ok]
    mols = [records[i].mol for i in parsed]
    keep, props = parsed, None
    if plan.filters is not None and not plan.filters.is_empty:
        table = apply_filters(mols, plan.filters, columns=list(plan.properties), report_needed=False)
        passes = table["passes"].to_numpy()
        for j, i in enumerate(parsed):
            if not passes[j]:
                status[i] = FILTERED
                reasons[i] = table["filter_reasons"].iat[j]
        keep = [i for j, i in enumerate(parsed) if passes[j]]
        props = table
    elif plan.properties:
        props = compute_properties(mols, list(plan.properties))
    properties = {}
    for name in plan.properties:
        col = np.full(len(records), np.nan)
        col[parsed] = props[name].to_numpy(dtype=np.float64)
        properties[name] = col
    return keep, properties


def _featurise(plan: ChunkPlan, mols: list) -> tuple[list, list, dict, list]:
    """Features of every featurizer and domain fingerprints for the molecules all featurizers take.

    Returns ``(features per featurizer, positions kept, {position: failure message},
    packed fingerprints per domain setting)``.
    """
    per_featurizer, failures = [], {}
    for featurizer in plan.featurizers:
        records = []
        for j, mol in enumerate(mols):
            try:
                records.append(featurizer(mol))
            except Exception as exc:  # noqa: BLE001 - one molecule must not break the chunk
                failures.setdefault(j, f"featurisation failed: {exc}")
                records.append(None)
        per_featurizer.append(records)
    good = [j for j in range(len(mols)) if j not in failures]
    features = [pack_records([records[j] for j in good], featurizer)
                for featurizer, records in zip(plan.featurizers, per_featurizer)]
    domain = []
    if plan.domain_fingerprints:
        from molpred.chem.fingerprints import morgan_fingerprints

        good_mols = [mols[j] for j in good]
        for radius, n_bits in plan.domain_fingerprints:
            domain.append(np.packbits(morgan_fingerprints(good_mols, radius=radius, n_bits=n_bits), axis=1))
    return features, good, failures, domain


# ---------------------------------------------------------------------- worker processes
_PLAN: ChunkPlan | None = None
_BUILD = None


def init_worker(plan: ChunkPlan, parent: int | None = None, build=None) -> None:
    """Process-pool initializer: one thread per worker, quiet RDKit, remember the plan, and
    exit when the screening process ``parent`` (its pid) dies: a killed screen must not leave
    idle workers. The pid comes from the parent itself, as the parent may already be gone
    when a worker that was still starting gets here.

    Parameters
    ----------
    plan : ChunkPlan
    parent : int, optional
    build : ShardBuilder, optional
        Prediction stage to run here too (models on the CPU): tasks then return shard tables.
    """
    global _PLAN, _BUILD
    if parent is not None:
        _watch_parent(parent)
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[var] = "1"
    import sys

    if "torch" in sys.modules:  # not imported by the worker stage itself
        sys.modules["torch"].set_num_threads(1)
    _PLAN, _BUILD = plan, build


def _watch_parent(parent: int, interval: float = 1.0) -> None:
    """Exit this process soon after ``parent`` is gone (killed with SIGKILL, for instance)."""
    import threading
    import time

    def watch() -> None:
        while os.getppid() == parent:  # false at once if the parent died before the watch began
            time.sleep(interval)
        os._exit(0)

    threading.Thread(target=watch, name="molpred-parent-watch", daemon=True).start()


def run_in_worker(chunk) -> tuple:
    """Entry point of a pool task (uses what :func:`init_worker` got).

    Returns
    -------
    (int, ChunkResult or pandas.DataFrame)
        The chunk's index and its features, or its shard table when the worker predicts.
    """
    assert _PLAN is not None, "init_worker was not called"
    result = process_chunk(_PLAN, chunk)
    return chunk.index, result if _BUILD is None else _BUILD(result)
