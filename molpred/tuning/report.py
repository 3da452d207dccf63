"""The study's picture: every trial's score, the best so far, pruned trials marked apart."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["history_plot"]


def history_plot(trials: pd.DataFrame, metric: str, direction: str, path) -> Path:
    """Write ``optimization_history.png``: score per trial and the running best.

    Parameters
    ----------
    trials : pandas.DataFrame
        :func:`molpred.tuning.study.trials_frame` rows (``number``, ``state``, ``value``,
        ``defaults``, ``last_intermediate``).
    metric : str
        Axis label (``"rmse"`` or ``"roc_auc"``).
    direction : {"minimize", "maximize"}
    path : str or Path

    Returns
    -------
    Path
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.0, 4.0))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    done = trials[trials["state"] == "COMPLETE"].sort_values("number")
    pruned = trials[trials["state"] == "PRUNED"]
    if len(done):
        values = done["value"].to_numpy(dtype=float)
        best = np.minimum.accumulate(values) if direction == "minimize" else np.maximum.accumulate(values)
        ax.scatter(done["number"], values, s=18, color="#1f77b4", label="complete (mean over folds)")
        ax.step(done["number"], best, where="post", color="#d62728", label="best so far")
    defaults = done[done["defaults"].astype(bool)] if "defaults" in done else done.iloc[:0]
    if len(defaults):
        ax.scatter(defaults["number"], defaults["value"].astype(float), marker="*", s=120, color="#ff7f0e",
                   zorder=3, label="the estimator's defaults")
    if len(pruned):
        ax.scatter(pruned["number"], pruned["last_intermediate"].astype(float), marker="x", s=22,
                   color="#7f7f7f", label="pruned (last reported value)")
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("trial")
    ax.set_ylabel(f"cross-validated {metric}")
    ax.set_title(f"optimisation history ({len(trials)} trials)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=120)
    return path
