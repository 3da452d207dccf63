"""Run checkpoints: model and Adam state as safetensors, position and counters as JSON.

A checkpoint is a directory ``checkpoints/step-<n>/`` written in full before ``latest.json``
is atomically replaced to point at it, so a kill at any moment leaves the previous checkpoint
usable. Nothing is pickled.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import torch

__all__ = ["save_checkpoint", "load_checkpoint", "latest_checkpoint"]

LATEST = "latest.json"


def _optimizer_tensors(opt: torch.optim.Optimizer, params: list) -> dict:
    out = {}
    for i, p in enumerate(params):
        for k, v in opt.state.get(p, {}).items():
            if torch.is_tensor(v):
                out[f"{i}.{k}"] = v.detach().cpu().contiguous().clone()
    return out


def save_checkpoint(run_dir: Path, model: torch.nn.Module, opt: torch.optim.Optimizer, state: dict, keep: int = 2) -> Path:
    """Write a checkpoint for ``state["step"]`` and point ``latest.json`` at it."""
    from safetensors.torch import save_file

    root = run_dir / "checkpoints"
    d = root / f"step-{int(state['step']):09d}"
    if d.exists():
        shutil.rmtree(d)
    d.mkdir(parents=True)
    save_file({k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}, str(d / "model.safetensors"))
    save_file(_optimizer_tensors(opt, list(model.parameters())), str(d / "optimizer.safetensors"))
    (d / "state.json").write_text(json.dumps(state, indent=1))
    tmp = run_dir / (LATEST + ".tmp")
    tmp.write_text(json.dumps({"checkpoint": str(d.relative_to(run_dir)), "step": state["step"]}))
    os.replace(tmp, run_dir / LATEST)
    for old in sorted(root.glob("step-*"))[:-keep]:
        shutil.rmtree(old, ignore_errors=True)
    return d


def latest_checkpoint(run_dir: Path) -> Path | None:
    """The directory ``latest.json`` points at, or ``None``."""
    f = run_dir / LATEST
    if not f.exists():
        return None
    return run_dir / json.loads(f.read_text())["checkpoint"]


def load_checkpoint(d: Path, model: torch.nn.Module, opt: torch.optim.Optimizer | None) -> dict:
    """Restore model (and optimizer) state from checkpoint directory ``d``; returns its state dict."""
    from safetensors.torch import load_file

    model.load_state_dict(load_file(str(d / "model.safetensors")), strict=True)
    if opt is not None:
        tensors = load_file(str(d / "optimizer.safetensors"))
        params = list(model.parameters())
        for key, v in tensors.items():
            i, name = key.split(".", 1)
            opt.state[params[int(i)]][name] = v
    return json.loads((d / "state.json").read_text())
