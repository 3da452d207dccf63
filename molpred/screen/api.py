"""``screen()``: rank a library of any size with one or more models, resumably."""

from __future__ import annotations

import json
import os
import sys
import time
from dataclasses import asdict

import pandas as pd

from molpred.exceptions import MolpredError
from molpred.screen.engine import ENGINES, ShardBuilder, run_local, run_ray
from molpred.screen.models import BASE_COLUMNS, ModelSet, domain_columns, load_models
from molpred.screen.ranking import RANKS, TopPool, draw_top_hits, in_domain_mask, select_hits, write_top_hits
from molpred.screen.reader import open_library
from molpred.screen.scoring import parse_score
from molpred.screen.shards import ResultsDir, ScreenResumeError, arrow_schema, frame_to_parquet_bytes
from molpred.screen.summary import ScreenSummary
from molpred.screen.worker import FILTERED

__all__ = ["screen", "ScreenSummary", "STATUSES"]

CHUNK_SIZE = 2000
"""Default rows per chunk and shard. Peak memory grows with the rows in flight (each worker's
chunk and the finished ones waiting to be written): 2,000 kept a 2-worker screen ~50 MB below
5,000, and was no slower (``benchmarks/results/screen_speed.md``; the 5,000-row run of the same
benchmark is in git history)."""

FIRST_CHUNK = 500
"""Rows of a screen's first chunk (when ``chunk_size`` is larger): its shard is on disk within
seconds, so an interrupt early in a long screen loses little and ``--resume`` has a start."""

# candidates kept for diverse selection: max(factor * top_k, top_k + extra); more are read
# back from the shards only if these run out of sufficiently dissimilar molecules
_DIVERSITY_POOL = (10, 1000)

STATUSES = ("ok", "invalid_smiles", "empty", "standardization_failed", "unsupported", FILTERED)
"""Row statuses in screen output: those of :class:`molpred.chem.Status` plus ``filtered``."""


def _auto_workers() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


class _Progress:
    """tqdm over rows with an ETA from the share of the file read (rows unknown up front)."""

    def __init__(self, enabled: bool, source, done_rows: int):
        self.bar = None
        self.source = source
        if enabled:
            from tqdm.auto import tqdm

            self.bar = tqdm(total=source.n_rows, initial=done_rows, unit="mol", desc="screen",
                            dynamic_ncols=True, smoothing=0.05)
        self.rows = done_rows

    def update(self, n: int, best: float | None) -> None:
        self.rows += n
        if self.bar is None:
            return
        if self.source.n_rows is None:
            frac = self.source.fraction_read()
            if frac:
                self.bar.total = max(self.rows, int(self.rows / frac))
        self.bar.update(n)
        if best is not None:
            self.bar.set_postfix(best=f"{best:.3g}", refresh=False)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def screen(
    models,
    library,
    out,
    *,
    top_k: int = 100,
    score: str | None = None,
    filters=None,
    diversity: float | None = None,
    resume: bool = False,
    overwrite: bool = False,
    engine: str = "local",
    workers: int | None = None,
    chunk_size: int | None = None,
    ray_address: str | None = None,
    smiles_col: str | None = None,
    id_col: str | None = None,
    coverage: float | None = None,
    progress: bool | None = None,
    image: bool = True,
    precision: str = "auto",
    hits_in_domain: bool = False,
    rank: str = "domain",
) -> ScreenSummary:
    """Predict, filter and rank every molecule of a library, streaming, with resumable output.

    Parameters
    ----------
    models : str, Path, estimator, or a list (or ``{label: model}`` dict) of them
        Model directories or fitted estimators. Output columns are the models' target names
        (prefixed ``<label>.`` when two models produce the same name; a directory's label is
        its name).
    library : str or Path
        ``.smi``, ``.csv``, ``.tsv``, ``.parquet`` or ``.sdf``, optionally ``.gz``
        (:mod:`molpred.screen.reader` says what a row is for each).
    out : str or Path
        Results directory (:mod:`molpred.screen.shards` describes its layout).
    top_k : int
        Hits in ``top_hits.csv``.
    score : str, optional
        Ranking expression, e.g. ``"pki:max:1.0,logs:max:0.5"`` or
        ``"pki,desirability:logs:-6:-2"`` (grammar in :mod:`molpred.screen.scoring`);
        default: the first model's first prediction, higher is better.
    filters : str, list of str or FilterConfig, optional
        ``"pains,brenk,lipinski,veber,mw:200-500"`` (:func:`molpred.chem.filters.parse_filters`).
        Rejected rows get status ``filtered``, the reasons in ``filter_reasons``, and no
        prediction.
    diversity : float, optional
        Tanimoto (ECFP4) threshold: no two hits are this similar or more (best first).
    resume : bool
        Continue the screen in ``out`` (after a crash or kill): finished shards are kept,
        the rest computed; the outcome equals an uninterrupted run. Refused if the library,
        models or any setting that changes the rows differ.
    overwrite : bool
        Delete earlier results in ``out`` first.
    engine : {"local", "ray"}
    workers : int, optional
        Worker processes (local) or Ray actors; default: the CPUs available. ``0`` runs the
        local pipeline in this process.
    chunk_size : int, optional
        Rows per chunk and shard (the first chunk has at most :data:`FIRST_CHUNK` rows, so
        work is saved early); default :data:`CHUNK_SIZE`, or, with ``resume``, the chunk
        size the screen in ``out`` was started with. Peak memory grows with it (about 60 MB
        per 5,000 drug-like molecules in flight), not with the library.
    ray_address : str, optional
        Existing Ray cluster to use with ``engine="ray"``.
    smiles_col, id_col : str, optional
        Columns of table libraries (guessed when omitted; ``id_col=""`` for none).
    coverage : float, optional
        Nominal coverage of conformal intervals (default: each model's).
    progress : bool, optional
        Progress bar with rate and ETA (default: when stderr is a terminal).
    image : bool
        Draw every hit: ``top_hits.png`` (48 a page; ``top_hits_2.png``... for more).
    precision : {"auto", "fp32", "bf16"}
        Arithmetic of the networks (:func:`molpred.inference.device.autocast`). ``"auto"``:
        mixed precision on CUDA, float32 on the CPU. ``"bf16"`` on a CPU with bfloat16
        units (Intel AMX, AVX512-BF16) about halves the network's time and the screen's by
        5-11% (benchmarks/results/screen_speed_1e6_2026-11-29.md); network batches are padded to a few
        shapes, so peak memory stays flat. Predictions move by about 0.002 of the training
        labels' standard deviation (0.008 at most; benchmarks/results/bf16_accuracy.md).
    hits_in_domain : bool
        Rank only rows inside every model's applicability domain (``in_domain`` True):
        the others keep their predictions but get no score and cannot be hits. Needs a
        model fitted with a domain (the default for molpred's estimators).
    rank : {"domain", "raw"}
        ``"domain"`` (default): molecules inside every model's applicability domain are
        ranked first and fill ``top_hits.csv``; the best-scored molecules outside it are
        listed apart in ``top_hits_out_of_domain.csv``, so a far-out-of-domain molecule with
        an extrapolated score never tops the list. Models without a domain rank ``raw``.
        ``"raw"``: one list by score alone. Changes only the hit lists, not the shards
        (a finished screen can be resumed with the other ranking).

    Returns
    -------
    ScreenSummary

    Raises
    ------
    DataFileError
        Unreadable library or missing column.
    ModelFileError
        Invalid model directory.
    ScoreSpecError, FilterSpecError
        Malformed score or filter specification.
    ScreenResumeError
        ``out`` holds other results (without ``resume``/``overwrite``), or resuming with
        different settings.

    Examples
    --------
    >>> from molpred.screen import screen
    >>> s = screen("models/pki", "library.smi.gz", "results", top_k=50,
    ...            filters="pains,lipinski", diversity=0.6)  # doctest: +SKIP
    >>> s.counts, s.top_hits.head()  # doctest: +SKIP
    """
    from molpred.chem.filters import PROPERTIES, FilterConfig, parse_filters

    t0 = time.perf_counter()
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}; choose from {', '.join(ENGINES)}")
    if top_k < 0:
        raise ValueError(f"top_k must be >= 0, got {top_k}")
    if diversity is not None and not 0.0 < float(diversity) <= 1.0:
        raise ValueError(f"diversity is a Tanimoto threshold in (0, 1], got {diversity}")
    if chunk_size is None:
        chunk_size = _resumed_chunk_size(out) if resume else None
        chunk_size = CHUNK_SIZE if chunk_size is None else chunk_size
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be >= 1, got {chunk_size}")
    if rank not in RANKS:
        raise ValueError(f"unknown rank {rank!r}; choose from {', '.join(RANKS)}")
    workers = _auto_workers() if workers is None else int(workers)
    if progress is None:
        progress = sys.stderr.isatty()

    source = open_library(library, smiles_col, id_col)
    model_set = ModelSet(load_models(models), coverage, precision)
    filter_cfg = filters if isinstance(filters, FilterConfig) else parse_filters(filters)
    available = model_set.columns + [p for p in PROPERTIES if p not in model_set.columns]
    spec = parse_score(score, available, model_set.z_stats(), model_set.target_columns()[0])
    properties = tuple(c for c in spec.columns if c in PROPERTIES and c not in model_set.columns)
    plan = model_set.plan(None if filter_cfg.is_empty else filter_cfg, properties)
    if hits_in_domain and not domain_columns(model_set.columns):
        raise ValueError("hits_in_domain needs a model with an applicability domain (in_domain column); "
                         "these models have none")
    build = ShardBuilder(model_set, properties, source.has_ids, spec, bool(hits_in_domain))
    dom_cols = domain_columns(model_set.columns)
    tiered = rank == "domain" and bool(dom_cols) and not hits_in_domain

    first_chunk = min(int(chunk_size), FIRST_CHUNK)
    settings = {
        "chunk_size": int(chunk_size),
        **({"first_chunk": first_chunk} if first_chunk != chunk_size else {}),
        "score": spec.text(), "filters": asdict(filter_cfg),
        "standardize": model_set.std_config.to_dict(), "coverage": coverage,
        "properties": list(properties), "precision": precision,
        **({"hits_in_domain": True} if hits_in_domain else {}),  # absent when off: older screens still resume
    }
    manifest = {
        "library": source.identity(),
        "settings": settings,
        "models": [{"label": m.label, "source": m.source, "sha256": m.sha256} for m in model_set.models],
        "run": {"top_k": top_k, "diversity": diversity, "engine": engine, "workers": workers,
                "rank": "domain" if tiered else "raw"},
    }
    manifest = json.loads(json.dumps(manifest))  # compare as stored: tuples become lists
    results = ResultsDir(out)
    results.prepare(manifest, resume=resume, overwrite=overwrite)
    for p in (results.summary_path, results.top_csv, results.top_png, results.top_ood_csv,
              *results.path.glob("top_hits_[0-9]*.png"), *results.path.glob("top_hits_out_of_domain*.png")):
        p.unlink(missing_ok=True)  # only a finished run has them

    factor, extra = _DIVERSITY_POOL
    capacity = top_k if diversity is None else max(factor * top_k, top_k + extra)
    if tiered:
        def inside(frame):
            return in_domain_mask(frame, dom_cols)

        def outside(frame):
            return ~in_domain_mask(frame, dom_cols)

        tally = _Tally(TopPool(capacity, inside), TopPool(capacity, outside))
    else:
        tally = _Tally(TopPool(capacity))
    bar = _Progress(progress, source, 0)

    def pending():
        """Chunks without a complete shard; complete ones (from a killed run) are read back."""
        for chunk in source.chunks(chunk_size, first_chunk):
            if results.shard_rows(chunk.index) == len(chunk):
                tally.add(results.read_shard(chunk.index), resumed=True)
                bar.update(len(chunk), None)
            else:
                yield chunk

    if engine == "local":
        stream = run_local(pending(), plan, build, workers)
    else:
        stream = run_ray(pending(), plan, build, workers, ray_address)
    try:
        for index, frame in stream:
            results.write_shard(index, frame_to_parquet_bytes(frame, arrow_schema(frame)))
            tally.add(frame)
            bar.update(len(frame), tally.best())
    finally:
        bar.close()
    if tally.rows == 0:
        raise MolpredError(f"{library}: the library has no rows")

    def best(pool):
        if diversity is None:
            return pool.result().head(top_k)
        return _diverse_hits(results, pool, top_k, float(diversity))

    hits = best(tally.pool)
    model_cols = [c for c in tally.columns if c not in BASE_COLUMNS and c != "score" and c not in properties]
    top = write_top_hits(hits, results.top_csv, model_cols)
    ood = None
    if tally.ood_pool is not None:
        ood = write_top_hits(best(tally.ood_pool), results.top_ood_csv, model_cols)
    if image and len(top):
        draw_top_hits(top, results.top_png, model_set.target_columns()[0])
    if image and ood is not None and len(ood):
        draw_top_hits(ood, results.top_ood_png, model_set.target_columns()[0])
    seconds = time.perf_counter() - t0
    summary = ScreenSummary(
        out=str(results.path), n_rows=tally.rows, counts=tally.counts, n_ranked=tally.n_ranked(),
        n_hits=len(top), n_chunks=tally.chunks, n_chunks_resumed=tally.resumed, seconds=round(seconds, 2),
        rows_per_second=round((tally.rows - tally.resumed_rows) / seconds, 1) if seconds > 0 else 0.0,
        score=spec.text(), columns=tally.columns, settings={**manifest["settings"], **manifest["run"]},
        rank="domain" if tiered else "raw", n_hits_out_of_domain=0 if ood is None else len(ood),
        top_hits=top, out_of_domain_hits=ood,
    )
    payload = dict(summary.to_dict(), library=manifest["library"], models=manifest["models"])
    tmp = results.summary_path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(payload, indent=2, default=str))
    os.replace(tmp, results.summary_path)
    return summary


class _Tally:
    """Counts per status, the running top-K pool and row totals, over shards as they come."""

    def __init__(self, pool: TopPool, ood_pool: TopPool | None = None):
        self.pool = pool
        self.ood_pool = ood_pool  # out-of-domain rows, listed apart (rank="domain")
        self.counts = {s: 0 for s in STATUSES}
        self.rows = self.chunks = self.resumed = self.resumed_rows = 0
        self.columns: list[str] = []

    def add(self, frame: pd.DataFrame, resumed: bool = False) -> None:
        for status, n in frame["status"].value_counts().items():
            self.counts[str(status)] = self.counts.get(str(status), 0) + int(n)
        self.pool.add(frame)
        if self.ood_pool is not None:
            self.ood_pool.add(frame)
        self.rows += len(frame)
        self.chunks += 1
        if resumed:
            self.resumed += 1
            self.resumed_rows += len(frame)
        self.columns = self.columns or list(frame.columns)

    def n_ranked(self) -> int:
        """Rows with a finite score, in or out of the domain."""
        return self.pool.n_seen + (self.ood_pool.n_seen if self.ood_pool is not None else 0)

    def best(self) -> float | None:
        return None if self.pool.frame is None else float(self.pool.frame["score"].iat[0])


def _diverse_hits(results: ResultsDir, pool: TopPool, k: int, threshold: float) -> pd.DataFrame:
    """Diverse top-k; if the pool runs out of diverse candidates, rescan the shards with a bigger one."""
    hits = select_hits(pool.result(), k, threshold)
    capacity = pool.capacity
    while len(hits) < k and pool.truncated:
        capacity *= 4
        pool = TopPool(capacity, pool.keep)
        for index in results.shard_indices():
            pool.add(results.read_shard(index))
        hits = select_hits(pool.result(), k, threshold)
    return hits


def _resumed_chunk_size(out) -> int | None:
    """The chunk size stored in the manifest of the screen in ``out`` (None if there is none),
    so a screen started with another default resumes with its own chunks."""
    try:
        manifest = ResultsDir(out).read_manifest()
    except ScreenResumeError:  # an unreadable manifest: prepare() reports it
        return None
    size = (manifest or {}).get("settings", {}).get("chunk_size")
    return int(size) if isinstance(size, int) and size >= 1 else None
