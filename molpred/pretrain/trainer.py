"""The pretraining run: descriptor cache -> scaler -> streaming training with checkpoints.

``molpred.pretrain(data, out)`` lays out ``out`` as::

    run.json            # the settings (checked on --resume)
    exclusion.json      # benchmark molecule keys per source
    cache/              # descriptor shards (molpred.pretrain.cache)
    scaler.json         # descriptor clip bounds, mean, std, active flags
    checkpoints/        # step-<n>/ model + Adam state (safetensors) + state.json
    latest.json         # which checkpoint to resume from
    log.jsonl           # step, epoch, molecules seen, loss, molecules/s, lr, wall time
    loss_curve.png
    encoder.safetensors, encoder.json   # the encoder bundle, rewritten at every epoch end

Training order is a function of (seed, epoch, shard) only: the shards of an epoch are visited
in a seeded permutation and each shard's molecules in another, so a resumed run continues
with exactly the batch it would have trained next and ends with the same weights.
"""

from __future__ import annotations

import json
import os
import platform
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from molpred.types import PathType

__all__ = ["PretrainConfig", "pretrain"]

OBJECTIVES = ("descriptors",)
_IDENTITY = ("data", "arch", "objective", "max_molecules", "seed", "hidden", "depth", "batch_size", "lr",
             "chunk_size", "exclude", "ffn_hidden", "ffn_layers")


@dataclass(frozen=True)
class PretrainConfig:
    """Settings of a pretraining run (saved as ``run.json``).

    Parameters
    ----------
    data : str
        SMILES file.
    arch : str
        Encoder architecture (``molpred list models``).
    objective : {"descriptors"}
    max_molecules : int, optional
        First rows of ``data`` to use.
    epochs : int
        Passes over the usable molecules (may be raised when resuming).
    seed : int
    hidden, depth : int, optional
        Encoder size (architecture default when ``None``).
    batch_size : int
    lr : float
        Adam learning rate, reached after a linear warm-up of ``warmup_steps`` from ``lr / 10``.
    warmup_steps : int
    chunk_size : int
        Molecules per descriptor shard.
    n_jobs : int
        Processes for the descriptor pass.
    checkpoint_every : int
        Steps between checkpoints (there is one at every epoch end too).
    log_every : int
        Steps between log lines.
    exclude : bool
        Exclude benchmark molecules (:mod:`molpred.pretrain.exclusion`).
    ffn_hidden, ffn_layers : int
        Descriptor head (discarded after pretraining).
    """

    data: str
    arch: str = "dmpnn"
    objective: str = "descriptors"
    max_molecules: int | None = None
    epochs: int = 1
    seed: int = 0
    hidden: int | None = None
    depth: int | None = None
    batch_size: int = 64
    lr: float = 1e-3
    warmup_steps: int = 200
    chunk_size: int = 10_000
    n_jobs: int = 1
    checkpoint_every: int = 500
    log_every: int = 50
    exclude: bool = True
    ffn_hidden: int = 300
    ffn_layers: int = 2

    def identity(self) -> dict:
        return {k: getattr(self, k) for k in _IDENTITY}


def _check(config: PretrainConfig) -> None:
    from molpred.nn.model import check_architecture

    check_architecture(config.arch)
    if config.objective not in OBJECTIVES:
        raise ValueError(f"unknown objective {config.objective!r} (known: {', '.join(OBJECTIVES)})")
    if config.epochs < 1 or config.batch_size < 2 or config.chunk_size < 1:
        raise ValueError("epochs must be >= 1, batch_size >= 2 and chunk_size >= 1")
    if config.max_molecules is not None and config.max_molecules < 2:
        raise ValueError("max_molecules must be at least 2")


def _exclusion(run: Path, config: PretrainConfig, progress: bool):
    from molpred.pretrain.exclusion import ExclusionSet, build_exclusion, default_sources

    if not config.exclude:
        return None
    path = run / "exclusion.json"
    if path.exists():
        return ExclusionSet.load(path)
    ex = build_exclusion(default_sources(), n_jobs=config.n_jobs)
    ex.save(path)
    return ex


def _fit_scaler(run: Path, shards: list, names: list, seed: int, max_rows: int = 200_000):
    from molpred.pretrain.cache import read_shard
    from molpred.pretrain.scaling import DescriptorScaler

    path = run / "scaler.json"
    if path.exists():
        return DescriptorScaler.load(path)
    blocks = [read_shard(p)[names].to_numpy(np.float32) for p in shards]
    values = np.concatenate(blocks) if blocks else np.zeros((0, len(names)), np.float32)
    if len(values) > max_rows:
        values = values[np.random.default_rng(seed).choice(len(values), max_rows, replace=False)]
    scaler = DescriptorScaler.fit(values, names)
    scaler.save(path)
    return scaler


def _lr(config: PretrainConfig, step: int) -> float:
    if step >= config.warmup_steps:
        return config.lr
    return config.lr * (0.1 + 0.9 * step / max(config.warmup_steps, 1))


def _append_log(run: Path, record: dict) -> None:
    with open(run / "log.jsonl", "a") as fh:
        fh.write(json.dumps(record) + "\n")


def _truncate_log(run: Path, step: int) -> None:
    """Drop log lines written after the checkpoint a resumed run restarts from."""
    f = run / "log.jsonl"
    if not f.exists():
        return
    keep = [ln for ln in f.read_text().splitlines() if ln.strip() and json.loads(ln).get("step", 0) <= step]
    f.write_text("".join(ln + "\n" for ln in keep))


def _start(run: Path, config: PretrainConfig, resume: bool) -> None:
    cfg_path = run / "run.json"
    if cfg_path.exists():
        old = json.loads(cfg_path.read_text())
        if not resume:
            raise ValueError(f"{run} already holds a pretraining run; pass resume=True (--resume) to continue it "
                             "or choose another directory")
        changed = [k for k in _IDENTITY if old.get(k) != config.identity()[k]]
        if changed:
            raise ValueError(f"cannot resume {run}: settings differ from the saved run ({', '.join(changed)})")
    run.mkdir(parents=True, exist_ok=True)
    cfg_path.write_text(json.dumps(asdict(config), indent=1))


def pretrain(
    data: PathType,
    out: PathType,
    arch: str = "dmpnn",
    objective: str = "descriptors",
    max_molecules: int | None = None,
    epochs: int = 1,
    resume: bool = False,
    seed: int = 0,
    hidden_size: int | None = None,
    depth: int | None = None,
    batch_size: int = 64,
    lr: float = 1e-3,
    chunk_size: int = 10_000,
    n_jobs: int = 1,
    checkpoint_every: int = 500,
    log_every: int = 50,
    exclude_benchmarks: bool = True,
    progress: bool = False,
    max_steps: int | None = None,
) -> dict:
    """Pretrain a graph encoder to regress standardised RDKit descriptors.

    Parameters
    ----------
    data : path
        Unlabelled SMILES file (``.smi``, ``.csv(.gz)`` with a SMILES column, ...).
    out : path
        Run directory (see the module docstring); ends with ``encoder.safetensors`` and
        ``encoder.json``.
    arch : str
        ``molpred list models``; the featurizer is the architecture's default.
    objective : {"descriptors"}
    max_molecules : int, optional
        Use the first ``max_molecules`` rows of ``data``.
    epochs : int
        Total epochs (a resumed run continues up to this many).
    resume : bool
        Continue the run in ``out`` from its latest checkpoint.
    seed, hidden_size, depth, batch_size, lr : training settings
    chunk_size, n_jobs : int
        Rows per descriptor shard; worker processes of the descriptor pass, and ``> 1`` also
        featurises the next shard in a worker process while the current one trains
        (:mod:`molpred.pretrain.stream`).
    checkpoint_every, log_every : int
        Steps between checkpoints and between log lines.
    exclude_benchmarks : bool
        Drop molecules found in the benchmark sets (MoleculeACE, MoleculeNet, TDC ADMET, AqSolDB,
        Biogen); their counts go to the encoder card.
    progress : bool
        tqdm progress bars.
    max_steps : int, optional
        Stop (after a checkpoint) once this many optimiser steps are done in total; the run
        can be resumed later. ``None``: train to ``epochs``.

    Returns
    -------
    dict
        The final state: ``step``, ``epoch`` (completed epochs), ``molecules_seen``,
        ``wall_seconds``, ``finished``.
    """
    import torch

    from molpred.chem.standardize import StandardizeConfig
    from molpred.data.batching import GraphBatcher
    from molpred.featurize.registry import get_featurizer
    from molpred.nn.model import ARCHITECTURES, ModelSpec, build_model
    from molpred.pretrain.cache import build_descriptor_cache, shard_paths
    from molpred.pretrain.checkpoint import latest_checkpoint, load_checkpoint, save_checkpoint
    from molpred.pretrain.descriptors import descriptor_names
    from molpred.pretrain.stream import ShardStream, visits
    from molpred.train.losses import masked_loss

    defaults = ARCHITECTURES[arch][1] if arch in ARCHITECTURES else {}
    config = PretrainConfig(
        data=str(Path(data).resolve()), arch=arch, objective=objective, max_molecules=max_molecules,
        epochs=epochs, seed=seed, hidden=hidden_size or defaults.get("hidden"), depth=depth or defaults.get("depth"),
        batch_size=batch_size, lr=lr, chunk_size=chunk_size, n_jobs=n_jobs, checkpoint_every=checkpoint_every,
        log_every=log_every, exclude=exclude_benchmarks,
    )
    _check(config)
    run = Path(out)
    _start(run, config, resume)

    t_desc = time.perf_counter()
    exclusion = _exclusion(run, config, progress)
    manifest = build_descriptor_cache(data, run / "cache", exclusion, max_molecules, chunk_size, n_jobs,
                                      progress=progress)
    desc_seconds = time.perf_counter() - t_desc
    shards = shard_paths(run / "cache", max_molecules)
    names = descriptor_names()
    scaler = _fit_scaler(run, shards, names, seed)
    if manifest["computed_rows"]:  # throughput of the descriptor pass, when this call ran it
        (run / "descriptor_pass.json").write_text(json.dumps(
            {"seconds": round(desc_seconds, 1), "rows": manifest["computed_rows"], "n_jobs": n_jobs,
             "mol_per_s": round(manifest["computed_rows"] / max(desc_seconds, 1e-9), 1)}))
    n_ok = [s["ok"] for s in sorted(manifest["shards"], key=lambda s: s["index"])]
    if sum(n_ok) < 2:
        raise ValueError(f"{data}: fewer than 2 usable molecules after standardisation and exclusion")

    featurizer = get_featurizer(ARCHITECTURES[arch][0])
    std_config = StandardizeConfig()
    spec = ModelSpec(arch=arch, d_atom=featurizer.d_atom, d_bond=featurizer.d_bond, n_tasks=len(names),
                     hidden=config.hidden, depth=config.depth, readout=defaults.get("readout", "mean"),
                     ffn_hidden=config.ffn_hidden, ffn_layers=config.ffn_layers)
    torch.manual_seed(seed)
    model = build_model(spec)
    opt = torch.optim.Adam(model.parameters(), lr=_lr(config, 0))
    state = {"step": 0, "epoch": 0, "shard_pos": 0, "batch_pos": 0, "molecules_seen": 0, "wall_seconds": 0.0}
    ckpt = latest_checkpoint(run) if resume else None
    if ckpt is not None:
        state = load_checkpoint(ckpt, model, opt)
        _truncate_log(run, state["step"])
    elif (run / "log.jsonl").exists():
        (run / "log.jsonl").unlink()

    def card_info() -> dict:
        from molpred.pretrain.cache import cache_summary

        usable = sum(n_ok)
        return {"objective": objective, "descriptors": [n for n, a in zip(names, scaler.active) if a],
                "descriptor_scaler": "clip at 0.1%/99.9% quantiles, then mean/std (scaler.json in the run)",
                "data": {"file": Path(data).name, "max_molecules": max_molecules, **cache_summary(run / "cache", max_molecules)},
                "exclusion": {"rule": "InChIKey connectivity block after molpred standardisation",
                              "source_molecules": exclusion.source_molecules if exclusion else {}},
                "training": {"steps": state["step"], "molecules_seen": state["molecules_seen"],
                             "epochs_completed": state["epoch"],
                             "epochs_fraction": round(state["molecules_seen"] / usable, 4),
                             "wall_seconds": round(state["wall_seconds"], 1), "batch_size": batch_size, "lr": lr,
                             "seed": seed, "threads": torch.get_num_threads(),
                             "machine": f"{platform.machine()} {os.cpu_count()} cpus",
                             "torch": torch.__version__}}

    model.train()
    t0, since = time.perf_counter(), time.perf_counter()
    wall0 = state["wall_seconds"]
    window_loss, window_n, window_mols = 0.0, 0, 0
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=sum(n_ok) * config.epochs, initial=state["molecules_seen"], desc="pretrain", unit="mol")

    def checkpoint() -> None:
        state["wall_seconds"] = wall0 + time.perf_counter() - t0
        save_checkpoint(run, model, opt, state)

    stream = ShardStream(shards, names, scaler, featurizer, std_config, n_jobs)
    stopped = False
    try:
        plan = visits(len(shards), seed, state["epoch"], state["shard_pos"], config.epochs)
        for visit, shard in stream.iterate(plan):
            batcher = GraphBatcher(shard.graphs)
            perm = np.random.default_rng([seed, visit.epoch, visit.shard]).permutation(len(shard.position))
            n_batches = (len(perm) + batch_size - 1) // batch_size
            while state["batch_pos"] < n_batches and not stopped:
                rows = perm[state["batch_pos"] * batch_size:(state["batch_pos"] + 1) * batch_size]
                index = shard.positions(rows)
                if len(index) >= 2:
                    batch = batcher.batch(index)
                    for g in opt.param_groups:
                        g["lr"] = _lr(config, state["step"])
                    opt.zero_grad(set_to_none=True)
                    loss = masked_loss("regression", model(batch), batch.y, batch.mask)
                    loss.backward()
                    torch.nn.utils.clip_grad_norm_(model.parameters(), 10.0)
                    opt.step()
                    window_loss += float(loss.detach()) * len(index)
                    window_n += len(index)
                state["step"] += 1
                state["batch_pos"] += 1
                state["molecules_seen"] += len(rows)
                window_mols += len(rows)
                if bar is not None:
                    bar.update(len(rows))
                if state["step"] % config.log_every == 0:
                    now = time.perf_counter()
                    rec = {"step": state["step"], "epoch": round(state["molecules_seen"] / sum(n_ok), 5),
                           "molecules_seen": state["molecules_seen"], "loss": window_loss / max(window_n, 1),
                           "mol_per_s": window_mols / max(now - since, 1e-9), "lr": _lr(config, state["step"]),
                           "wall_seconds": round(wall0 + now - t0, 2)}
                    _append_log(run, rec)
                    if bar is not None:
                        bar.set_postfix(loss=f"{rec['loss']:.4f}", mol_s=f"{rec['mol_per_s']:.0f}")
                    window_loss, window_n, window_mols, since = 0.0, 0, 0, now
                if state["step"] % config.checkpoint_every == 0:
                    checkpoint()
                stopped = max_steps is not None and state["step"] >= max_steps
            if stopped:
                break
            state["shard_pos"] += 1
            state["batch_pos"] = 0
            if state["shard_pos"] == len(shards):
                state["epoch"] += 1
                state["shard_pos"] = 0
                _append_log(run, {"step": state["step"], "event": "epoch_end", "epoch": state["epoch"],
                                  "molecules_seen": state["molecules_seen"],
                                  "wall_seconds": round(wall0 + time.perf_counter() - t0, 2)})
                checkpoint()
                from molpred.pretrain.bundle import save_encoder

                save_encoder(model, spec, featurizer, std_config, run, card_info())
    finally:
        stream.close()
    if bar is not None:
        bar.close()
    checkpoint()
    _plot(run)
    return {**state, "finished": state["epoch"] >= config.epochs}


def _plot(run: Path) -> None:
    try:
        from molpred.pretrain.report import plot_loss_curve

        plot_loss_curve(run / "log.jsonl", run / "loss_curve.png")
    except Exception:  # noqa: BLE001 - a missing plot must not fail a finished run
        pass
