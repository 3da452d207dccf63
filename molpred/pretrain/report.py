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


def model_card(bundle_dir: PathType, title: str | None = None, notes: str = "") -> str:
    """A Markdown model card for an encoder bundle, written from its ``encoder.json``.

    Parameters
    ----------
    bundle_dir : path
        Directory with ``encoder.json`` (and ``encoder.safetensors``).
    title : str, optional
        Heading (default: the directory name).
    notes : str
        Extra Markdown appended (e.g. the state of a run that continues).
    """
    d = Path(bundle_dir)
    cfg = json.loads((d / "encoder.json").read_text())
    enc, data, tr, ex = cfg["encoder_spec"], cfg.get("data", {}), cfg.get("training", {}), cfg.get("exclusion", {})
    lines = [
        f"# {title or d.name}", "",
        f"A {enc['arch']} graph encoder (hidden {enc['hidden']}, depth {enc['depth']}, {enc['readout']} readout) "
        f"pretrained by `molpred pretrain` to regress {len(cfg.get('descriptors', []))} standardised RDKit 2D "
        "descriptors. Fine-tune it with `MolPropertyRegressor(model=\"dmpnn\", pretrained=\"molpred-base\")` "
        "or `molpred train --pretrained molpred-base`.", "",
        "| | |", "|---|---|",
        f"| featurizer | `{cfg['featurizer']}` |",
        f"| objective | {cfg.get('objective')} (masked MSE; {cfg.get('descriptor_scaler', '')}) |",
        f"| data | {data.get('file')}, first {data.get('max_molecules') or 'all'} rows: {data.get('rows')} rows, "
        f"{data.get('usable')} used, {data.get('excluded')} excluded as benchmark molecules, "
        f"statuses {data.get('statuses')} |",
        f"| training | {tr.get('steps')} steps, {tr.get('molecules_seen')} molecules seen = "
        f"{tr.get('epochs_fraction')} epochs ({tr.get('epochs_completed')} complete), batch {tr.get('batch_size')}, "
        f"Adam lr {tr.get('lr')}, seed {tr.get('seed')} |",
        f"| compute | {tr.get('wall_seconds')} s of training wall time on {tr.get('machine')} (one thread, shared "
        f"machine), torch {tr.get('torch')} |",
        f"| weights | `{cfg['weights']['file']}`, {cfg['weights'].get('bytes')} bytes, sha256 `{cfg['weights']['sha256']}` |",
        "", "## Molecules excluded from pretraining", "",
        f"Rule: {ex.get('rule')}. A pretraining molecule is dropped when it matches any molecule of these "
        "benchmark sets (a superset of every test split molpred reports):", "",
        "| source | distinct benchmark molecules | pretraining molecules excluded |", "|---|---|---|",
    ]
    per = data.get("excluded_per_source", {})
    for src, n in ex.get("source_molecules", {}).items():
        lines.append(f"| {src} | {n} | {per.get(src, 0)} |")
    lines += ["", "A molecule found in several sources counts once in each row.", "",
              "## Descriptors", "", ", ".join(cfg.get("descriptors", [])), ""]
    if cfg.get("note") or notes:
        lines += ["## State of the run", "", cfg.get("note", ""), "", notes, ""]
    return "\n".join(lines)
