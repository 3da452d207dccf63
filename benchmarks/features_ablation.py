"""Ablation: networks with and without molecule-level features, paired on the MoleculeACE targets both finished.

Two pairs: ``molpred-dmpnn-feat`` (``features=["morgan_count", "rdkit2d"]``) against the
from-scratch ``molpred-dmpnn``, and ``molpred-mlp-feat`` (``features=["rdkit2d"]``) against
``molpred-mlp``. Only rows from ``--since`` on count (the D-MPNN rows before 2026-12-01 were
measured with featurizer v1, the MLP rows before it with older training code). For each pair
the targets where both have an ``ok`` row for the same seed give a markdown table: per target
RMSE and RMSE on activity-cliff compounds, their differences, paired means and a Wilcoxon
signed-rank test; SVM rows on the same targets are shown for context.

Example::

    python -m benchmarks.features_ablation \\
        --results benchmarks/results/moleculeace_results.csv \\
                  benchmarks/results-features/moleculeace_results.csv \\
        --out benchmarks/results/features_ablation.md
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["PAIRS", "paired_rows", "pair_markdown", "ablation_markdown"]

CONTEXT = "svm"
PAIRS = (("molpred-dmpnn", "molpred-dmpnn-feat", 'model="dmpnn", features=["morgan_count", "rdkit2d"]'),
         ("molpred-mlp", "molpred-mlp-feat", 'model="mlp", features=["rdkit2d"]'))


def _latest_ok(frame: pd.DataFrame, model: str, seed: int, since: str | None = None) -> pd.DataFrame:
    rows = frame[(frame["model"] == model) & (frame["seed"] == seed) & (frame["status"] == "ok")]
    if since:
        rows = rows[rows["timestamp"].astype(str) >= since]
    return rows.sort_values("timestamp").drop_duplicates("task", keep="last").set_index("task")


def paired_rows(results: pd.DataFrame, base_model: str, feat_model: str, seed: int = 0,
                since: str | None = "2026-12-01") -> pd.DataFrame:
    """One row per target finished by both models: sizes, metrics, differences (feat - base).

    Parameters
    ----------
    results : pandas.DataFrame
        Runner rows holding both models (and ``svm`` for context).
    base_model, feat_model : str
    seed : int
    since : str, optional
        Only rows of the two models with a timestamp from this ISO date/time on.

    Returns
    -------
    pandas.DataFrame
        Index: task, smallest training set first.
    """
    b, f = _latest_ok(results, base_model, seed, since), _latest_ok(results, feat_model, seed, since)
    svm = _latest_ok(results, CONTEXT, seed)
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


def pair_markdown(rows: pd.DataFrame, base_model: str, feat_model: str, setting: str, n_feat_done: int) -> list[str]:
    """The markdown section of one pair (:func:`paired_rows`)."""
    lines = [
        f"## `{feat_model}` against `{base_model}`", "",
        f"`{feat_model}` is `MolPropertyRegressor({setting})`; `{base_model}` the same estimator without features. "
        f"Paired on the {len(rows)} targets both runs had finished ({n_feat_done} finished by `{feat_model}`); "
        "differences are feat - base (negative = features help).", "",
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
            f"{int((rows.rmse_cliff_diff < 0).sum())} of {len(rows)} (p = {_wilcoxon(rows.rmse_cliff_diff)}). "
            f"Training wall time (runner's `train_time_s`, featurisation included; the machine was shared and "
            f"loaded, so only indicative): base {rows.train_s_base.sum():.0f} s, feat {rows.train_s_feat.sum():.0f} s "
            "in total.",
        ]
    return lines + [""]


def _unpaired_context(results: pd.DataFrame, feat_model: str, seed: int, since: str | None) -> list[str]:
    """Means over every target ``feat_model`` finished, beside older rows (not like for like)."""
    f = _latest_ok(results, feat_model, seed, since)
    if f.empty:
        return []
    parts = [f"`{feat_model}` {f['rmse'].mean():.3f} / {f['rmse_cliff'].mean():.3f}"]
    for model, label in ((feat_model.replace("-feat", "-v1"), "featurizer v1, measured before 2026-12-01"),
                         (feat_model.replace("-feat", ""), "latest row per target, any date"), (CONTEXT, "")):
        other = _latest_ok(results, model, seed)
        common = f.index.intersection(other.index)
        if model == feat_model or len(common) < len(f):
            continue
        parts.append(f"`{model}`{' (' + label + ')' if label else ''} {other.loc[common, 'rmse'].mean():.3f} / "
                     f"{other.loc[common, 'rmse_cliff'].mean():.3f}")
    return [f"Not paired, for context: mean RMSE / RMSE_cliff over all {len(f)} targets `{feat_model}` finished: "
            + "; ".join(parts) + ".", ""]


def ablation_markdown(results: pd.DataFrame, command: str, seed: int = 0, since: str | None = "2026-12-01",
                      note: str = "") -> str:
    """The whole report: a section per pair of :data:`PAIRS`."""
    lines = ["# Ablation: molecule-level features at the readout (issue 18, item 1)", ""]
    if note:
        lines += [note, ""]
    lines += [
        "Features: `morgan_count` = log1p Morgan counts (radius 2, 2,048 bits), `rdkit2d` = 202 RDKit 2D "
        "descriptors, median-imputed, scaled by median and IQR of the training molecules and clipped at +-5; "
        "concatenated after the readout, before the head. Every other setting at its default (50 epochs, "
        "patience 15; D-MPNN hidden 300, depth 3, mean readout), `calibration_fraction=0`, seed "
        f"{seed}, the shipped MoleculeACE splits, CPU; rows from {since} on.", "",
    ]
    for base_model, feat_model, setting in PAIRS:
        rows = paired_rows(results, base_model, feat_model, seed, since)
        done = results[(results["model"] == feat_model) & (results["status"] == "ok") & (results["seed"] == seed)]
        lines += pair_markdown(rows, base_model, feat_model, setting, done["task"].nunique())
        lines += _unpaired_context(results, feat_model, seed, since)
    models = [m for pair in PAIRS for m in pair[:2]]
    used = results[results["model"].isin(models) & (results["seed"] == seed) & (results["status"] == "ok")]
    if since:
        used = used[used["timestamp"].astype(str) >= since]
    runs = sorted(set(used["command"].dropna().astype(str))) if "command" in used else []
    lines += ["Rows made by:", "", "```bash", *runs, "```", "", "Table made with:", "", "```bash", command, "```", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.features_ablation",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--results", nargs="+", required=True, help="runner results CSVs (rows are pooled)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--since", default="2026-12-01", help="rows of the compared models from this timestamp on")
    parser.add_argument("--note", default="", help="a line printed under the title (run state, machine load)")
    parser.add_argument("--out", default=None, help="markdown file (default: print)")
    args = parser.parse_args(argv)
    import shlex

    results = pd.concat([pd.read_csv(p) for p in args.results], ignore_index=True)
    shown = ["--results", *args.results, "--seed", str(args.seed), "--since", args.since]
    if args.out:
        shown += ["--out", args.out]
    command = "python -m benchmarks.features_ablation " + shlex.join(shown) + (' --note "..."' if args.note else "")
    text = ablation_markdown(results, command, args.seed, args.since, args.note)
    if args.out:
        Path(args.out).write_text(text)
    else:
        print(text)
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
