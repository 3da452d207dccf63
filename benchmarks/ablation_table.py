"""Issue 18's ablation table: every MoleculeACE configuration measured, beside one reference.

Reads the runner's MoleculeACE result files (seed 0, ``ok`` rows; a model found in several
files is taken from the first that has it), and for each configuration gives the targets it
finished, its mean RMSE and RMSE_cliff over them, and the reference model's means over the
*same* targets, so partial runs are compared like for like.

Example::

    python -m benchmarks.ablation_table --out benchmarks/results/accuracy_ablation.md
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

import pandas as pd

__all__ = ["ABLATIONS", "ablation_table"]

ROOT = Path(__file__).resolve().parent
DEFAULT_FILES = ("results/moleculeace_results.csv", "results-features/moleculeace_results.csv",
                 "results-auto/moleculeace_results.csv", "results-auto-kernels/moleculeace_results.csv",
                 "results/tune/gp/moleculeace_results.csv", "results/tune/mlp/moleculeace_results.csv")
REFERENCE = "molpred-gp-multi"

# (group, model, what it is, the configuration it changes: compared on the same targets too)
ABLATIONS = (
    ("peers", "svm", "Tanimoto SVR on ECFP4 bits (MoleculeACE's best)", None),
    ("peers", "rf", "random forest on ECFP4 bits", None),
    ("peers", "chemprop", "Chemprop v2 through its CLI defaults", None),
    ("networks", "molpred-mlp", "fingerprint MLP on Morgan counts", None),
    ("networks", "molpred-dmpnn", "D-MPNN from scratch", None),
    ("networks", "molpred-gine", "GINE from scratch", None),
    ("networks", "molpred-attentivefp", "AttentiveFP from scratch", None),
    ("1 features", "molpred-dmpnn-feat", "D-MPNN + Morgan counts + RDKit 2D at the readout", "molpred-dmpnn"),
    ("1 features", "molpred-mlp-feat", "MLP + RDKit 2D", "molpred-mlp"),
    ("2 pretraining", "molpred-dmpnn-base", "D-MPNN fine-tuned from molpred-base (r3)", "molpred-dmpnn"),
    ("2 pretraining", "molpred-dmpnn-base-frozen", "molpred-base encoder frozen, head trained", "molpred-dmpnn"),
    ("2 pretraining", "molpred-dmpnn-mt", "fine-tuned from a multi-task source (30 targets, from molpred-base)", "molpred-dmpnn-base"),
    ("3 learners", "molpred-svr", "Tanimoto SVR (molpred estimator)", "svm"),
    ("3 learners", "molpred-gp", "Tanimoto GP", None),
    ("3 learners", "molpred-svr-minmax", "SVR, MinMax kernel on ECFP4 counts", "molpred-svr"),
    ("3 learners", "molpred-gp-minmax", "GP, MinMax kernel on ECFP4 counts", "molpred-gp"),
    ("3 learners", "molpred-gp-multi", "GP, mean MinMax kernel of ECFP4, atom-pair, torsion counts", "molpred-gp-minmax"),
    ("4 auto", "molpred-auto", "CV stack: gp-minmax, svr-minmax, MLP", "molpred-gp-minmax"),
    ("4 auto", "molpred-auto-kernels", "CV stack of four kernel learners", "molpred-gp-minmax"),
    ("4 auto", "molpred-auto-multi", "CV stack: gp-multi, svr-multi, MLP", "molpred-gp-multi"),
    ("5 tuning", "molpred-gp-minmax-tuned", "gp-minmax, Optuna CV search inside the training split", "molpred-gp-minmax"),
    ("5 tuning", "molpred-mlp-tuned", "MLP, Optuna CV search inside the training split", "molpred-mlp"),
    ("6 cliff loss", "molpred-dmpnn-base-cliff", "fine-tuned D-MPNN + triplet cliff term, weight 0.1", "molpred-dmpnn-base"),
    ("6 cliff loss", "molpred-dmpnn-base-cliff1", "fine-tuned D-MPNN + triplet cliff term, weight 1.0", "molpred-dmpnn-base"),
)


def _rows(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Seed-0 ``ok`` rows, one per (model, task): a model comes from the first frame that has it."""
    seen: set[str] = set()
    parts = []
    for frame in frames:
        ok = frame[(frame["seed"] == 0) & (frame["status"] == "ok")]
        models = set(ok["model"]) - seen
        parts.append(ok[ok["model"].isin(models)])
        seen |= models
    return pd.concat(parts, ignore_index=True).drop_duplicates(["model", "task"], keep="last")


def ablation_table(frames: list[pd.DataFrame], reference: str = REFERENCE, ablations=ABLATIONS) -> pd.DataFrame:
    """One row per measured configuration of ``ablations``.

    Returns
    -------
    pandas.DataFrame
        Columns ``group``, ``model``, ``what``, ``targets``, ``rmse``, ``rmse_cliff``,
        ``ref_rmse``/``ref_rmse_cliff`` (the reference's means over the same targets) and
        ``d_rmse``/``d_rmse_cliff`` (model - reference; negative = better than the reference),
        ``changes`` (the configuration this one modifies) and ``vs_changes_rmse``/
        ``vs_changes_rmse_cliff`` (model - that configuration on the targets both finished) and
        ``lower_rmse``/``lower_rmse_cliff`` (on how many of those targets the model is lower, ``"k/n"``).
    """
    rows = _rows(frames)
    ref = rows[rows["model"] == reference].set_index("task")
    out = []
    for group, model, what, changes in ablations:
        mine = rows[rows["model"] == model].set_index("task")
        tasks = mine.index.intersection(ref.index)
        if not len(tasks):
            continue
        rec = {"group": group, "model": model, "what": what, "targets": len(tasks)}
        for m in ("rmse", "rmse_cliff"):
            rec[m] = mine.loc[tasks, m].mean()
            rec[f"ref_{m}"] = ref.loc[tasks, m].mean()
            rec[f"d_{m}"] = rec[m] - rec[f"ref_{m}"]
        base = rows[rows["model"] == changes].set_index("task") if changes else None
        shared = mine.index.intersection(base.index) if base is not None else []
        rec["changes"] = changes if len(shared) else None
        for m in ("rmse", "rmse_cliff"):
            diff = mine.loc[shared, m] - base.loc[shared, m] if len(shared) else None
            rec[f"vs_changes_{m}"] = diff.mean() if diff is not None else None
            rec[f"lower_{m}"] = f"{int((diff < 0).sum())}/{len(diff)}" if diff is not None else None
        out.append(rec)
    return pd.DataFrame(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.ablation_table", description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="*", type=Path, help="MoleculeACE result CSVs (default: the committed ones)")
    parser.add_argument("--reference", default=REFERENCE)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    files = args.files or [ROOT / f for f in DEFAULT_FILES]
    frames = [pd.read_csv(f) for f in files if Path(f).is_file()]
    table = ablation_table(frames, args.reference)
    command = "python -m benchmarks.ablation_table " + " ".join(shlex.quote(a) for a in (argv or sys.argv[1:]))
    shown = table.rename(columns={"ref_rmse": f"{args.reference} RMSE (same targets)",
                                  "ref_rmse_cliff": f"{args.reference} RMSE_cliff (same targets)"})
    text = "\n".join([
        "# MoleculeACE ablation (issue 18): every configuration measured, seed 0",
        "",
        f"Written by `{command}` from "
        + ", ".join(f"`{Path(f).relative_to(ROOT.parent) if Path(f).is_absolute() else f}`" for f in files) + ".",
        f"Means over the targets each configuration finished (30 = all), beside `{args.reference}` on the same",
        "targets; `d_` = configuration - reference (negative: better); `vs_changes_` = configuration - the",
        "configuration it modifies (`changes`), on the targets both finished, and `lower_` on how many of them it",
        "is lower. Goal: RMSE <= 0.62, RMSE_cliff <= 0.70.",
        "",
        shown.round(4).to_markdown(index=False).replace(" nan ", " - "),
        "",
    ])
    print(text)
    if args.out is not None:
        args.out.write_text(text)
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
