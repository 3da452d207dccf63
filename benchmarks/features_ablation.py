"""Ablation: D-MPNN with and without molecule-level features, paired on the MoleculeACE targets both finished.

Reads the rows of ``molpred-dmpnn-feat`` (``features=["morgan_count", "rdkit2d"]``) and of the
from-scratch ``molpred-dmpnn`` (featurizer v2, rows from ``--since`` on), keeps the targets
where both have an ``ok`` row for the same seed, and writes a markdown table: per target RMSE
and RMSE on activity-cliff compounds, their differences, the paired means and a Wilcoxon
signed-rank test. SVM rows on the same targets are shown for context.

Example::

    python -m benchmarks.features_ablation \\
        --base /work/main/benchmarks/results/moleculeace_results.csv \\
        --feat benchmarks/results-features/moleculeace_results.csv \\
        --out benchmarks/results/features_ablation.md
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["paired_rows", "ablation_markdown"]

BASE, FEAT, CONTEXT = "molpred-dmpnn", "molpred-dmpnn-feat", "svm"


def _latest_ok(frame: pd.DataFrame, model: str, seed: int, since: str | None = None) -> pd.DataFrame:
    rows = frame[(frame["model"] == model) & (frame["seed"] == seed) & (frame["status"] == "ok")]
    if since:
        rows = rows[rows["timestamp"].astype(str) >= since]
    return rows.sort_values("timestamp").drop_duplicates("task", keep="last").set_index("task")


def paired_rows(base: pd.DataFrame, feat: pd.DataFrame, seed: int = 0, since: str | None = "2026-12-01") -> pd.DataFrame:
    """One row per target finished by both models: sizes, metrics, differences (feat - base).

    Parameters
    ----------
    base : pandas.DataFrame
        Runner rows holding ``molpred-dmpnn`` (and ``svm`` for context).
    feat : pandas.DataFrame
        Runner rows holding ``molpred-dmpnn-feat``.
    seed : int
    since : str, optional
        Only ``molpred-dmpnn`` rows with a timestamp from this ISO date/time on (the featurizer v2
        re-run; older rows were measured with featurizer v1).

    Returns
    -------
    pandas.DataFrame
        Index: task, smallest training set first.
    """
    b, f = _latest_ok(base, BASE, seed, since), _latest_ok(feat, FEAT, seed)
    svm = _latest_ok(base, CONTEXT, seed)
    tasks = sorted(set(b.index) & set(f.index), key=lambda t: (int(f.loc[t, "n_train"]), t))
    out = pd.DataFrame(index=pd.Index(tasks, name="task"))
    out["n_train"] = [int(f.loc[t, "n_train"]) for t in tasks]
    out["n_test"] = [int(f.loc[t, "n_test"]) for t in tasks]
    for metric in ("rmse", "rmse_cliff"):
        out[f"{metric}_base"] = [float(b.loc[t, metric]) for t in tasks]
        out[f"{metric}_feat"] = [float(f.loc[t, metric]) for t in tasks]
        out[f"{metric}_diff"] = out[f"{metric}_feat"] - out[f"{metric}_base"]
        out[f"{metric}_svm"] = [float(svm.loc[t, metric]) if t in svm.index else np.nan for t in tasks]
    out["train_s_base"] = [float(b.loc[t, "train_time_s"]) for t in tasks]
    out["train_s_feat"] = [float(f.loc[t, "train_time_s"]) for t in tasks]
    return out


def _wilcoxon(d: pd.Series) -> str:
    if len(d) < 5:
        return "n/a (fewer than 5 targets)"
    from scipy.stats import wilcoxon

    return f"{wilcoxon(d.to_numpy()).pvalue:.3g}"


def ablation_markdown(rows: pd.DataFrame, n_feat_done: int, command: str, note: str = "") -> str:
    """The markdown report for :func:`paired_rows`."""
    lines = ["# Ablation: molecule-level features at the readout (issue 18, item 1)", ""]
    if note:
        lines += [note, ""]
    lines += [
        f"- `{FEAT}`: `MolPropertyRegressor(model=\"dmpnn\", features=[\"morgan_count\", \"rdkit2d\"])` "
        "(log1p Morgan counts, radius 2, 2,048 bits + 202 RDKit 2D descriptors, median-imputed, "
        "robustly scaled on the training molecules and clipped at +-5, concatenated after the mean readout).",
        f"- `{BASE}`: the same estimator without features (molgraph v2 featurizer, rows from 2026-12-01).",
        "- Both: every other setting at its default (50 epochs, patience 15, hidden 300, depth 3), "
        "`calibration_fraction=0`, seed 0, the shipped MoleculeACE splits, CPU.",
        f"- Paired on the {len(rows)} targets both runs had finished ({n_feat_done} finished by `{FEAT}`); "
        "differences are feat - base (negative = features help).",
        "",
        "| target | n train | RMSE base | RMSE feat | diff | cliff base | cliff feat | diff | SVM RMSE / cliff |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for task, r in rows.iterrows():
        lines.append(
            f"| {str(task).split('/')[-1]} | {int(r.n_train)} | {r.rmse_base:.3f} | {r.rmse_feat:.3f} | {r.rmse_diff:+.3f} "
            f"| {r.rmse_cliff_base:.3f} | {r.rmse_cliff_feat:.3f} | {r.rmse_cliff_diff:+.3f} "
            f"| {r.rmse_svm:.3f} / {r.rmse_cliff_svm:.3f} |")
    if len(rows):
        lines.append(
            f"| **mean ({len(rows)})** | | **{rows.rmse_base.mean():.3f}** | **{rows.rmse_feat.mean():.3f}** "
            f"| **{rows.rmse_diff.mean():+.3f}** | **{rows.rmse_cliff_base.mean():.3f}** "
            f"| **{rows.rmse_cliff_feat.mean():.3f}** | **{rows.rmse_cliff_diff.mean():+.3f}** "
            f"| {rows.rmse_svm.mean():.3f} / {rows.rmse_cliff_svm.mean():.3f} |")
        lines += [
            "",
            f"Features lower RMSE on {int((rows.rmse_diff < 0).sum())} of {len(rows)} targets "
            f"(Wilcoxon signed-rank p = {_wilcoxon(rows.rmse_diff)}) and RMSE_cliff on "
            f"{int((rows.rmse_cliff_diff < 0).sum())} of {len(rows)} (p = {_wilcoxon(rows.rmse_cliff_diff)}).",
            f"Training wall time (runner's `train_time_s`, featurisation included, on a shared and loaded machine, "
            f"so only indicative): base {rows.train_s_base.sum():.0f} s, feat {rows.train_s_feat.sum():.0f} s in total.",
        ]
    lines += ["", "Made with:", "", "```bash", command, "```", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.features_ablation",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", required=True, help="results CSV with molpred-dmpnn (and svm) rows")
    parser.add_argument("--feat", required=True, help="results CSV with molpred-dmpnn-feat rows")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--since", default="2026-12-01", help="molpred-dmpnn rows from this timestamp on")
    parser.add_argument("--note", default="", help="a line printed under the title (run state, machine load)")
    parser.add_argument("--out", default=None, help="markdown file (default: print)")
    args = parser.parse_args(argv)
    feat = pd.read_csv(args.feat)
    rows = paired_rows(pd.read_csv(args.base), feat, args.seed, args.since)
    n_done = int(((feat["model"] == FEAT) & (feat["status"] == "ok") & (feat["seed"] == args.seed)).sum())
    import shlex
    import sys

    command = "python -m benchmarks.features_ablation " + shlex.join(argv if argv is not None else sys.argv[1:])
    text = ablation_markdown(rows, n_done, command, args.note)
    if args.out:
        Path(args.out).write_text(text)
    else:
        print(text)
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
