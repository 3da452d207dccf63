"""Before/after table of a suite re-run: each (task, model) cell's mean over the seeds both runs finished.

The MoleculeNet and ADMET results measured on the splits before 2026-12-02 (isomeric scaffolds,
duplicates not merged; graph featurizer version 1) live in ``benchmarks/results/<suite>_v1/``;
the re-run on the current splits in ``benchmarks/results/``. Example::

    python -m benchmarks.rerun_compare moleculenet --out benchmarks/results/moleculenet_rerun.md
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks.environment import command_line

__all__ = ["compare", "worst_molecule", "main"]

RESULTS = Path(__file__).resolve().parent / "results"


def _headline(frame: pd.DataFrame) -> pd.Series:
    """Each row's headline metric value (``headline_metric`` names the column)."""
    return pd.Series([r[r["headline_metric"]] for _, r in frame.iterrows()], index=frame.index, dtype=float)


def compare(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    """One row per (task, model) that has ``ok`` rows in both frames, on the seeds both have.

    Parameters
    ----------
    before, after : pandas.DataFrame
        ``<suite>_results.csv`` tables written by the runner.

    Returns
    -------
    pandas.DataFrame
        Columns ``task``, ``model``, ``metric``, ``seeds`` (those both runs finished, e.g.
        ``"0 1 2"``), ``before``, ``after`` (means over those seeds) and ``change``
        (``after - before``).
    """
    frames = []
    for frame in (before, after):
        ok = frame[frame["status"] == "ok"].drop_duplicates(["task", "model", "seed"], keep="last").copy()
        ok["value"] = _headline(ok)
        frames.append(ok[["task", "model", "seed", "headline_metric", "value"]])
    both = frames[0].merge(frames[1], on=["task", "model", "seed"], suffixes=("_before", "_after"))
    rows = []
    for (task, model), part in both.groupby(["task", "model"], sort=True):
        rows.append({"task": task.split("/")[-1], "model": model, "metric": part["headline_metric_after"].iloc[0],
                     "seeds": " ".join(str(int(s)) for s in sorted(part["seed"])),
                     "before": part["value_before"].mean(), "after": part["value_after"].mean()})
    out = pd.DataFrame(rows, columns=["task", "model", "metric", "seeds", "before", "after"])
    out["change"] = out["after"] - out["before"]
    return out


def _prediction_file(folder: Path, suite: str, task: str, model: str, seed: str) -> Path:
    """The runner's prediction file of one regression cell (``runner._save_predictions``)."""
    from benchmarks.runner import _safe

    return folder / f"{_safe(f'{suite}/{task}__{model}__s{seed}')}.csv.gz"


def worst_molecule(table: pd.DataFrame, predictions: Path, suite: str, min_change: float = 0.05) -> pd.DataFrame:
    """For each RMSE cell that rose by more than ``min_change``: how much of it one molecule explains.

    The molecule is the test molecule with the largest squared error summed over the seeds of the
    cell (read from the runner's prediction files); the RMSE is recomputed per seed without it.

    Parameters
    ----------
    table : pandas.DataFrame
        Output of :func:`compare`.
    predictions : pathlib.Path
        Folder of the re-run's prediction files (``results/predictions/<suite>``).
    suite : str
    min_change : float
        RMSE increase above which a cell is examined.

    Returns
    -------
    pandas.DataFrame
        Columns ``task``, ``model``, ``smiles``, ``y_true``, ``y_pred`` (predictions in the seeds
        whose test set holds the molecule, ``"seed: value"``), ``after`` (mean RMSE) and
        ``after_without`` (mean RMSE with that molecule left out). Cells without prediction files
        are skipped.
    """
    rows = []
    for _, cell in table[(table["metric"] == "rmse") & (table["change"] > min_change)].iterrows():
        files = {s: _prediction_file(predictions, suite, cell["task"], cell["model"], s) for s in cell["seeds"].split()}
        if not all(f.exists() for f in files.values()):
            continue
        frames = {s: pd.read_csv(f) for s, f in files.items()}
        sq = pd.concat([(f["y_pred"] - f["y_true"]) ** 2 for f in frames.values()],
                       keys=list(frames), names=["seed", "row"]).to_frame("sq")
        sq["smiles"] = pd.concat([f["smiles"] for f in frames.values()], keys=list(frames)).values
        worst = sq.groupby("smiles")["sq"].sum().idxmax()
        rmse, rmse_without, preds, y_true = [], [], [], np.nan
        for s, f in frames.items():
            err = f["y_pred"] - f["y_true"]
            hit = f["smiles"] == worst
            rmse.append(float(np.sqrt((err ** 2).mean())))
            rmse_without.append(float(np.sqrt((err[~hit] ** 2).mean())))
            if hit.any():
                y_true = float(f.loc[hit, "y_true"].iloc[0])
                preds.append(f"{s}: {f.loc[hit, 'y_pred'].iloc[0]:.2f}")
        rows.append({"task": cell["task"], "model": cell["model"], "smiles": worst, "y_true": y_true,
                     "y_pred": ", ".join(preds), "after": np.mean(rmse), "after_without": np.mean(rmse_without)})
    return pd.DataFrame(rows, columns=["task", "model", "smiles", "y_true", "y_pred", "after", "after_without"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.rerun_compare", description=__doc__.split("\n")[0])
    parser.add_argument("suite", help="moleculenet or admet")
    parser.add_argument("--results", default=str(RESULTS))
    parser.add_argument("--out", default=None, help="write the Markdown table here (default: print it)")
    args = parser.parse_args(argv)
    root = Path(args.results)
    before = pd.read_csv(root / f"{args.suite}_v1" / f"{args.suite}_results.csv")
    after = pd.read_csv(root / f"{args.suite}_results.csv")
    table = compare(before, after)
    text = "\n".join([
        f"# {args.suite}: results before and after the split and featurizer changes",
        "",
        f"Command: `{command_line(argv, module='benchmarks.rerun_compare')}`.",
        f"Before: `{args.suite}_v1/{args.suite}_results.csv` (isomeric Bemis-Murcko scaffolds over the rows, "
        "duplicates after standardisation not merged, graph featurizer `molgraph` version 1). After: "
        f"`{args.suite}_results.csv` (stereo-free scaffolds over distinct standardised molecules, duplicates merged, "
        "`molgraph` version 2). Test sets differ between the two (`split_changes.md`), so a change mixes the "
        "new split with the new features; only the graph networks' rows see the featurizer change. Means over "
        "the seeds both runs finished (column `seeds`); RMSE: lower is better, ROC-AUC: higher.",
        "",
        table.to_markdown(index=False, floatfmt=".3f") if len(table) else "No (task, model) has rows in both yet.",
        "",
    ])
    worst = worst_molecule(table, root / "predictions" / args.suite, args.suite)
    if len(worst):
        text += "\n".join([
            "",
            "## How much one molecule explains",
            "",
            "Each RMSE cell that rose by more than 0.05: the test molecule with the largest squared error summed "
            "over the cell's seeds, its label and the predictions in the seeds whose test set holds it, and "
            "the mean RMSE after the re-run with and without that one molecule.",
            "",
            worst.to_markdown(index=False, floatfmt=".3f"),
            "",
        ])
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
    else:
        print(text)
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
