"""Pictures of campaign progress (matplotlib, Agg backend: no display needed)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["plot_progress", "plot_top_k"]


def _pyplot():
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def plot_progress(history: pd.DataFrame, proposals: pd.DataFrame, out_dir, objective: str = "value",
                  direction: str = "max") -> list[Path]:
    """Write ``best_so_far.png`` (best measured value after each round) and
    ``values_per_round.png`` (every measured value by round) into ``out_dir``.

    Parameters
    ----------
    history : pandas.DataFrame
        :meth:`CampaignStore.history` (``round``, ``best_so_far``, ``best_in_round``).
    proposals : pandas.DataFrame
        :meth:`CampaignStore.proposals` (``round``, ``value``).
    out_dir : path
        Created if missing.
    objective : str
        Axis label.
    direction : {"max", "min"}

    Returns
    -------
    list of pathlib.Path
        The files written.
    """
    plt = _pyplot()
    from matplotlib.ticker import MaxNLocator

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    fig, ax = plt.subplots(figsize=(5, 3.5))
    if len(history):
        ax.plot(history["round"], history["best_so_far"], marker="o", label="best so far")
        ax.plot(history["round"], history["best_in_round"], marker="x", ls=":", label="best in round")
        ax.legend()
    ax.set_xlabel("round")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # rounds are whole numbers
    ax.set_ylabel(f"{objective} ({'higher' if direction == 'max' else 'lower'} is better)")
    ax.set_title("Campaign progress")
    fig.tight_layout()
    paths.append(out / "best_so_far.png")
    fig.savefig(paths[-1], dpi=120)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(5, 3.5))
    m = proposals[proposals["value"].notna()] if len(proposals) else proposals
    if len(m):
        jitter = np.random.default_rng(0).uniform(-0.15, 0.15, len(m))
        ax.scatter(m["round"] + jitter, m["value"], s=8, alpha=0.6)
    ax.set_xlabel("round")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # rounds are whole numbers
    ax.set_ylabel(objective)
    ax.set_title("Measured values of each round's batch")
    fig.tight_layout()
    paths.append(out / "values_per_round.png")
    fig.savefig(paths[-1], dpi=120)
    plt.close(fig)
    return paths


def plot_top_k(curves: pd.DataFrame, path, top_k: int, x: str = "n_evaluated") -> Path:
    """Fraction of the true top-k found against the number evaluated, one line per method.

    Parameters
    ----------
    curves : pandas.DataFrame
        Columns ``method``, ``seed``, ``x`` and ``top<top_k>_scores`` (MolPAL's top-k scores
        metric, plotted) or, in frames from before it existed, ``found_top<top_k>`` (molecules).
    path : path
        PNG to write.
    top_k : int
    x : str
        Column for the horizontal axis.

    Returns
    -------
    pathlib.Path
    """
    plt = _pyplot()
    col = f"top{top_k}_scores" if f"top{top_k}_scores" in curves.columns else f"found_top{top_k}"
    fig, ax = plt.subplots(figsize=(5, 3.5))
    for method, g in curves.groupby("method", sort=False):
        agg = g.groupby(x)[col].agg(["mean", "std"]).reset_index()
        ax.plot(agg[x], 100 * agg["mean"], marker="o", label=str(method))
        if g["seed"].nunique() > 1:
            ax.fill_between(agg[x], 100 * (agg["mean"] - agg["std"]), 100 * (agg["mean"] + agg["std"]), alpha=0.2)
    ax.set_xlabel("compounds evaluated" if x == "n_evaluated" else x)
    ax.set_ylabel(f"% of true top-{top_k} {'scores' if col.endswith('_scores') else 'molecules'} found")
    ax.legend()
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
