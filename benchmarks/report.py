"""Markdown summary and plots (matplotlib, Agg) built from a results CSV.

Every file written here states the commands that produced its rows, the machine, the package
versions and the wall time of each run (read from ``<label>_runs.jsonl``).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["write_report", "summary_markdown", "seed_spread", "REFERENCE", "REPRO_TOLERANCE"]

# Published MoleculeACE means over 30 targets (RMSE, RMSE_cliff); the project's shared REFERENCE.md.
REFERENCE = {"svm": (0.671, 0.751), "rf": (0.700, 0.786), "chemprop": (0.832, 0.896)}
REPRO_TOLERANCE = 0.02
# Models the issue asks for; the summary says which of them have no rows.
EXPECTED_MODELS = ("svm", "rf", "knn", "chemprop", "deepchem", "molpred-dmpnn", "molpred-gine",
                   "molpred-attentivefp", "molpred-mlp")


def _runs(out_dir: Path, label: str) -> list[dict]:
    path = out_dir / f"{label}_runs.jsonl"
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _fmt(x) -> str:
    return "" if x is None or (isinstance(x, float) and np.isnan(x)) else f"{x:.3f}"


def _table(frame: pd.DataFrame, float_fmt=_fmt) -> str:
    cols = [str(c) for c in frame.columns]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for row in frame.itertuples(index=False):
        lines.append("| " + " | ".join(float_fmt(v) if isinstance(v, float) else str(v) for v in row) + " |")
    return "\n".join(lines)


def _model_means(ok: pd.DataFrame, n_tasks_total: int) -> pd.DataFrame:
    metrics = [m for m in ("rmse", "rmse_cliff", "roc_auc", "r2") if ok[m].notna().any()]
    # average seeds within a task first, then tasks
    per_task = ok.groupby(["model", "epochs", "task"])[metrics + ["train_time_s", "predict_mol_per_s"]].mean()
    out = per_task.groupby(["model", "epochs"]).agg(["mean"]).droplevel(1, axis=1).reset_index()
    out.insert(2, "tasks_done", per_task.groupby(["model", "epochs"]).size().to_numpy())
    out.insert(3, "tasks_total", n_tasks_total)
    seeds = ok.groupby(["model", "epochs"])["seed"].nunique().to_numpy()
    out.insert(4, "seeds", seeds)
    if "n_failed_predictions" in ok:
        out["failed_test_preds"] = ok.groupby(["model", "epochs"])["n_failed_predictions"].sum().astype(int).to_numpy()
    return out.rename(columns={"train_time_s": "mean_train_s", "predict_mol_per_s": "predict_mol/s"})


def _paired(ok: pd.DataFrame) -> list[str]:
    """Means over the tasks every (model, epochs) finished, so partial runs compare fairly."""
    groups = ok.groupby(["model", "epochs"])["task"].apply(set)
    if len(groups) < 2:
        return []
    common = set.intersection(*groups.tolist())
    if not common or all(len(g) == len(common) for g in groups):
        return []
    sub = ok[ok["task"].isin(common)]
    metrics = [m for m in ("rmse", "rmse_cliff", "roc_auc") if sub[m].notna().any()]
    table = sub.groupby(["model", "epochs", "task"])[metrics].mean().groupby(["model", "epochs"]).mean().reset_index()
    return [f"## Paired comparison on the {len(common)} tasks every model finished", "",
            "Tasks: " + ", ".join(sorted(t.split("/", 1)[-1] for t in common)), "", _table(table), ""]


def summary_markdown(frame: pd.DataFrame, runs: list[dict], label: str) -> str:
    """The Markdown summary of a results table (see the module docstring)."""
    from benchmarks.tasks import SUITES

    ok = frame[frame["status"] == "ok"]
    suites = frame["suite"].unique()
    # a suite run counts all its tasks; a run of named tasks counts the tasks it holds
    n_tasks = max(frame["task"].nunique(), len({t for s in suites if s in SUITES for t in SUITES[s]})
                  if label.split("_quick")[0] in SUITES else 0)
    lines = [f"# Benchmark results: {label}", "",
             "Produced by `benchmarks/` (public molpred API only). Rows: one per task x model x seed "
             f"in `{label}_results.csv`; test predictions of regression tasks in `predictions/{label}/`.", ""]
    if runs:
        v = runs[-1]["versions"]

        def where(m: dict) -> str:
            return f"{m['cpu_model']}, {m['n_cores']} cores, {m['ram_gib']} GiB RAM, {m['os']}"

        machines = list(dict.fromkeys(where(r["machine"]) for r in runs))
        lines += ["## Where and how", "",
                  "Machine" + ("s (per command below)" if len(machines) > 1 else "") + ": " + "; ".join(machines)
                  + ". Compare times within one run, not across runs; how loaded the machine was is in "
                  "`suite_status.md`.",
                  "Versions (latest run): " + ", ".join(f"{k} {val}" for k, val in v.items()), "",
                  "Commands (in order; wall time; rows added):", ""]
        lines += [f"- `{r['command']}` ({r['started']}, {r['machine']['cpu_model']}, {r['wall_time_s']:.0f} s, "
                  f"{r['rows_added']} rows"
                  + (f"; unavailable: {', '.join(r['unavailable'])}" if r.get("unavailable") else "")
                  + (f"; INTERRUPTED: {r['interrupted']}" if r.get("interrupted") else "") + ")"
                  for r in sorted(runs, key=lambda r: r["started"])]
        lines.append("")
    lines += _unrecorded_commands(frame, runs)
    if len(ok):
        lines += ["## Mean over tasks", "",
                  "Metric means over the tasks each model finished (seeds averaged within a task first). "
                  "`epochs` = `default` means the model's own default. `failed_test_preds` = test molecules "
                  "the model returned no prediction for (excluded from its metrics)."
                  + ("" if set(ok["suite"]) == {"moleculeace"} or ok["task"].nunique() == 1 else
                     " The data sets have different units: compare models within a task (tables below)."),
                  "",
                  _table(_model_means(ok, n_tasks)), ""]
        lines += _paired(ok)
        lines += _seed_spread(ok)
        lines += _reproduction(ok)
        for headline, part in ok.groupby("headline_metric", sort=False):
            lines += [f"## Per task ({headline}, {_direction(headline)}; mean over seeds and epochs settings"
                      + ("; +- the standard deviation over seeds" if part["seed"].nunique() > 1 else "") + ")",
                      "", _table(_per_task(part, headline)), ""]
        if "rmse_cliff" in ok and ok["rmse_cliff"].notna().any():
            lines += ["## Per task (rmse_cliff)", "", _table(_per_task(ok, "rmse_cliff")), ""]
    lines += _not_run(frame, n_tasks)
    return "\n".join(lines) + "\n"


def _unrecorded_commands(frame: pd.DataFrame, runs: list[dict]) -> list[str]:
    """Commands that wrote rows but have no entry in the runs log (killed, or still running)."""
    if "command" not in frame or "timestamp" not in frame:
        return []
    logged = {r["command"] for r in runs}
    rows = frame[~frame["command"].isin(logged)]
    if rows.empty:
        return []
    out = ["Commands that wrote rows but recorded no run (killed, or still running; rows, first and last row):", ""]
    for command, part in rows.groupby("command", sort=False):
        out.append(f"- `{command}` ({len(part)} rows, {part['timestamp'].min()} to {part['timestamp'].max()})")
    return out + [""]


def _direction(metric: str) -> str:
    return "higher is better" if metric in ("roc_auc", "pr_auc", "r2") else "lower is better"


def _per_task(ok: pd.DataFrame, metric: str) -> pd.DataFrame:
    """``task x model`` table of ``metric``: the mean over seeds, with ``+- std`` when a task
    has several seeds (seeds averaged per epochs setting first, as in the means table)."""
    per_seed = ok.groupby(["task", "model", "seed"])[metric].mean().reset_index()
    stats = per_seed.groupby(["task", "model"])[metric].agg(["mean", "std", "count"])

    def cell(r) -> str:
        return f"{r['mean']:.3f}" + (f" +- {r['std']:.3f}" if r["count"] > 1 else "")

    table = stats.apply(cell, axis=1).unstack("model").fillna("")
    table.index = [t.split("/", 1)[-1] for t in table.index]
    return table.rename_axis("task").reset_index()


def seed_spread(ok: pd.DataFrame) -> pd.DataFrame:
    """Mean over tasks per seed, then mean +- std (ddof 1) over seeds, for models with several seeds.

    Only tasks that every seed of a (model, epochs) finished count, so the seeds are compared on
    the same targets. Columns: ``model``, ``epochs``, ``seeds`` (e.g. ``0 1 2``), ``tasks``, and per
    metric ``<metric>_mean``, ``<metric>_std`` and ``<metric>_per_seed`` (space-separated, 4 decimals).
    """
    metrics = [m for m in ("rmse", "rmse_cliff", "roc_auc") if m in ok and ok[m].notna().any()]
    rows = []
    for (model, epochs), part in ok.groupby(["model", "epochs"]):
        seeds = sorted(int(x) for x in part["seed"].unique())
        if len(seeds) < 2:
            continue
        has = part.groupby("task")["seed"].nunique()
        tasks = has.index[has == len(seeds)]
        if not len(tasks):
            continue
        sub = part[part["task"].isin(tasks)]
        per_seed = sub.groupby(["seed", "task"])[metrics].mean().groupby("seed").mean()
        row = {"model": model, "epochs": epochs, "seeds": " ".join(map(str, seeds)), "tasks": len(tasks)}
        for m in metrics:
            row[f"{m}_mean"] = float(per_seed[m].mean())
            row[f"{m}_std"] = float(per_seed[m].std(ddof=1))
            row[f"{m}_per_seed"] = " ".join(f"{v:.4f}" for v in per_seed[m])
        rows.append(row)
    return pd.DataFrame(rows)


def _seed_spread(ok: pd.DataFrame) -> list[str]:
    if not (ok["suite"] == "moleculeace").all():
        return []  # other suites mix data sets with different units: per-task tables carry the spread
    table = seed_spread(ok)
    if table.empty:
        return []
    metrics = [c[:-5] for c in table.columns if c.endswith("_mean")]
    show = table[["model", "epochs", "seeds", "tasks"]].copy()
    for m in metrics:
        show[m] = [f"{a:.3f} +- {b:.3f}" for a, b in zip(table[f"{m}_mean"], table[f"{m}_std"])]
        show[f"{m} per seed"] = table[f"{m}_per_seed"]
    return ["## Seed spread (models with several seeds)", "",
            "The mean over the tasks every seed finished, per seed; then mean +- standard deviation over "
            "the seeds (ddof 1). A difference between two models smaller than about twice this spread "
            "cannot be told from seed noise.", "", _table(show), ""]


def _reproduction(ok: pd.DataFrame) -> list[str]:
    if not (ok["suite"] == "moleculeace").any():
        return []
    out = ["## Harness check against published MoleculeACE means", ""]
    n_targets = 30
    for model, (rmse, cliff) in REFERENCE.items():
        rows = ok[(ok["model"] == model) & (ok["suite"] == "moleculeace")]
        if rows.empty:
            continue
        per = rows.groupby("task")[["rmse", "rmse_cliff"]].mean()
        got = per.mean()
        complete = len(per) == n_targets
        verdict = ("PASS" if abs(got["rmse"] - rmse) <= REPRO_TOLERANCE and abs(got["rmse_cliff"] - cliff) <= REPRO_TOLERANCE
                   else "FAIL") if complete else f"INCOMPLETE ({len(per)}/{n_targets} targets)"
        strict = " (must be within 0.02: the harness check)" if model == "svm" else " (informative)"
        out.append(f"- {model}: RMSE {got['rmse']:.3f} (published {rmse}), RMSE_cliff {got['rmse_cliff']:.3f} "
                   f"(published {cliff}) -> {verdict}{strict}")
    return out + [""]


def _not_run(frame: pd.DataFrame, n_tasks: int) -> list[str]:
    lines = ["## Not run", ""]
    bad = frame[frame["status"] != "ok"]
    for r in bad.itertuples():
        lines.append(f"- {r.task} / {r.model} / seed {r.seed}: {r.status}: {r.message}")
    ran = set(frame.loc[frame["status"] == "ok", "model"])
    missing = [m for m in EXPECTED_MODELS if m not in ran]
    if missing:
        lines.append(f"- Models with no result in this file (not run here, no numbers reported): {', '.join(missing)}")
    counts = frame[frame["status"] == "ok"].groupby("model")["task"].nunique()
    for model, n in counts.items():
        if n < n_tasks:
            lines.append(f"- {model}: only {n} of {n_tasks} tasks finished")
    return lines + ([] if len(lines) > 2 else ["- nothing: every requested row finished"]) + [""]


def _footer(fig, runs: list[dict]) -> None:
    if runs:
        cmds = "; ".join(dict.fromkeys(r["command"] for r in runs))
        m = runs[-1]["machine"]
        fig.text(0.01, 0.003, f"{cmds} | {m['cpu_model']}, {m['n_cores']} cores, {m['ram_gib']} GiB"[:250],
                 fontsize=6, color="0.4", va="bottom")


def _plots(ok: pd.DataFrame, out_dir: Path, label: str, runs: list[dict]) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    written = []
    for metric in dict.fromkeys([*ok["headline_metric"].unique(), "rmse_cliff"]):
        if metric not in ok or ok[metric].isna().all():
            continue
        rows = ok if metric == "rmse_cliff" else ok[ok["headline_metric"] == metric]
        pivot = rows.pivot_table(index="task", columns="model", values=metric, aggfunc="mean")
        pivot.index = [t.split("/", 1)[-1] for t in pivot.index]
        fig, ax = plt.subplots(figsize=(min(20, max(6, 0.1 * len(pivot) * len(pivot.columns) + 2)), 5))
        pivot.plot.bar(ax=ax, width=0.8)
        ax.set_ylabel(metric)
        ax.set_title(f"{label}: {metric} per task")
        ax.legend(fontsize=7, ncol=min(5, len(pivot.columns)))
        fig.tight_layout(rect=(0, 0.03, 1, 1))
        _footer(fig, runs)
        path = out_dir / f"{label}_{metric}_per_task.png"
        fig.savefig(path, dpi=110)
        plt.close(fig)
        written.append(path)
    pred_dir = out_dir / "predictions" / label
    files = sorted(pred_dir.glob("*.csv.gz")) if pred_dir.is_dir() else []
    if files:
        path = _parity_plot(files, out_dir / f"{label}_parity.png", runs, pool=ok["suite"].eq("moleculeace").all())
        written.append(path)
    return written


def _parity_plot(files: list[Path], path: Path, runs: list[dict], pool: bool) -> Path:
    """Measured vs predicted test values, one panel per model; one row per data set unless
    ``pool`` (MoleculeACE: every target is a log potency, so its targets share a panel)."""
    import matplotlib.pyplot as plt

    groups: dict[tuple[str, str], list[pd.DataFrame]] = {}
    for f in files:
        task, model = f.name.split("__")[:2]
        groups.setdefault(("all targets" if pool else task.split("_", 1)[-1], model), []).append(pd.read_csv(f))
    tasks = sorted({t for t, _ in groups})
    models = sorted({m for _, m in groups})
    fig, axes = plt.subplots(len(tasks), len(models), figsize=(3.2 * len(models), 3.4 * len(tasks)), squeeze=False)
    for i, task in enumerate(tasks):
        for j, model in enumerate(models):
            ax = axes[i][j]
            if (task, model) not in groups:
                ax.set_axis_off()
                continue
            d = pd.concat(groups[task, model]).dropna(subset=["y_pred"])
            ax.scatter(d["y_true"], d["y_pred"], s=3, alpha=0.3)
            lo, hi = np.nanmin(d[["y_true", "y_pred"]].to_numpy()), np.nanmax(d[["y_true", "y_pred"]].to_numpy())
            ax.plot([lo, hi], [lo, hi], "k--", lw=0.8)
            rmse = float(np.sqrt(np.mean((d["y_true"] - d["y_pred"]) ** 2)))
            ax.set_title(f"{model} ({task})\npooled RMSE {rmse:.3f}", fontsize=8)
            ax.set_xlabel("measured", fontsize=7)
        axes[i][0].set_ylabel("predicted")
    fig.tight_layout(rect=(0, 0.05 / len(tasks), 1, 1))
    _footer(fig, runs)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def write_report(frame: pd.DataFrame, out_dir, label: str) -> Path:
    """Write ``<label>_summary.md`` and the plots next to the CSV; return the summary path."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    runs = _runs(out_dir, label)
    text = summary_markdown(frame, runs, label)
    ok = frame[frame["status"] == "ok"]
    if len(ok):
        plots = _plots(ok, out_dir, label, runs)
        if plots:
            text += "## Plots\n\n" + "\n".join(f"![{p.stem}]({p.name})" for p in plots) + "\n"
    path = out_dir / f"{label}_summary.md"
    path.write_text(text, encoding="utf-8")
    return path
