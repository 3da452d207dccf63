"""An encoder bundle taken from a pretraining run's latest checkpoint (a run still going, or stopped).

:func:`molpred.pretrain.trainer.pretrain` writes the bundle itself at every epoch end; this is
for the steps since then.
"""

from __future__ import annotations

import json
import os
import platform
from pathlib import Path

from molpred.types import PathType

__all__ = ["export_encoder"]


def export_encoder(run_dir: PathType, out: PathType, note: str = "") -> Path:
    """Write an encoder bundle and its ``MODEL_CARD.md`` from a run's latest checkpoint.

    This is how a bundle is taken from a run that is still going (or was stopped mid-epoch).

    Parameters
    ----------
    run_dir : path
        A ``molpred pretrain`` output directory.
    out : path
        Bundle directory to write.
    note : str
        Stored in ``encoder.json`` (e.g. "partial run, continues").
    """
    import torch

    from molpred.chem.standardize import StandardizeConfig
    from molpred.featurize.registry import get_featurizer
    from molpred.nn.model import ARCHITECTURES, ModelSpec, build_model
    from molpred.pretrain.bundle import save_encoder
    from molpred.pretrain.cache import cache_summary
    from molpred.pretrain.checkpoint import latest_checkpoint, load_checkpoint
    from molpred.pretrain.descriptors import descriptor_names
    from molpred.pretrain.scaling import DescriptorScaler

    run = Path(run_dir)
    cfg = json.loads((run / "run.json").read_text())
    ckpt = latest_checkpoint(run)
    if ckpt is None:
        raise ValueError(f"{run}: no checkpoint yet")
    featurizer = get_featurizer(ARCHITECTURES[cfg["arch"]][0])
    names = descriptor_names()
    spec = ModelSpec(arch=cfg["arch"], d_atom=featurizer.d_atom, d_bond=featurizer.d_bond, n_tasks=len(names),
                     hidden=cfg["hidden"], depth=cfg["depth"], readout=ARCHITECTURES[cfg["arch"]][1]["readout"],
                     ffn_hidden=cfg["ffn_hidden"], ffn_layers=cfg["ffn_layers"])
    model = build_model(spec)
    state = load_checkpoint(ckpt, model, None)
    scaler = DescriptorScaler.load(run / "scaler.json")
    summary = cache_summary(run / "cache", cfg["max_molecules"])
    ex = json.loads((run / "exclusion.json").read_text()) if (run / "exclusion.json").exists() else {}
    info = {"objective": cfg["objective"], "descriptors": [n for n, a in zip(names, scaler.active) if a],
            "descriptor_scaler": "clip at 0.1%/99.9% quantiles, then mean/std",
            "data": {"file": Path(cfg["data"]).name, "max_molecules": cfg["max_molecules"], **summary},
            "exclusion": {"rule": ex.get("rule"), "source_molecules": ex.get("source_molecules", {})},
            "training": {"steps": state["step"], "molecules_seen": state["molecules_seen"],
                         "epochs_completed": state["epoch"],
                         "epochs_fraction": round(state["molecules_seen"] / max(summary["usable"], 1), 4),
                         "wall_seconds": round(state["wall_seconds"], 1), "batch_size": cfg["batch_size"],
                         "lr": cfg["lr"], "seed": cfg["seed"], "torch": torch.__version__,
                         "machine": f"{platform.machine()} {os.cpu_count()} cpus"},
            "checkpoint": ckpt.name, "note": note}
    d = save_encoder(model, spec, featurizer, StandardizeConfig(), out, info)
    from molpred.pretrain.report import model_card

    (d / "MODEL_CARD.md").write_text(model_card(d, title=Path(out).name))
    return d
