"""The pretraining loss curve (matplotlib)."""

from __future__ import annotations

import json
from pathlib import Path

from molpred.types import PathType

__all__ = ["plot_loss_curve", "read_log"]


def read_log(path: PathType) -> list[dict]:
    """The step records of ``log.jsonl`` (epoch-end events left out)."""
    p = Path(path)
    if not p.exists():
        return []
    rows = [json.loads(ln) for ln in p.read_text().splitlines() if ln.strip()]
    return [r for r in rows if "loss" in r]


def plot_loss_curve(log: PathType, out: PathType) -> Path:
    """Plot descriptor loss (masked MSE on standardised descriptors) against molecules seen."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = read_log(log)
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot([r["molecules_seen"] for r in rows], [r["loss"] for r in rows], lw=1)
    ax.set_xlabel("molecules seen")
    ax.set_ylabel("descriptor loss (MSE, standardised)")
    ax.set_yscale("log")
    ax.set_title("molpred pretraining")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    plt.close(fig)
    return Path(out)
