"""Regenerate the README's results blocks from the files under ``benchmarks/results/``.

    python -m benchmarks.readme            # rewrite every generated block of README.md
    python -m benchmarks.readme --check    # exit 1 (and say which) if a block differs

A generated block sits between ``<!-- generated:NAME -->`` and ``<!-- /generated:NAME -->``
and is rebuilt entirely: no number inside it is typed by hand. Sources:

* ``moleculeace``: ``moleculeace_summary.md`` (mean over tasks; seed spread) for the table;
  ``moleculeace_results.csv`` for the comparison on the targets a partial run finished;
  ``predictions/moleculeace/`` for the effect of scoring on the molecules molpred kept;
* ``moleculenet``: ``moleculenet_summary.md`` (per-task tables, mean over seeds) and
  ``moleculenet_results.csv`` (seeds per cell);
* ``screening``: ``screen_speed.csv``;
* ``speed``: ``speed_results.csv``.

``parse_tables`` reads Markdown tables (the test ``tests/benchmarks/test_readme.py`` uses it to
check every README table against the summary it cites).
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["parse_tables", "render_blocks", "update_readme", "main", "ACE_LABELS", "NET_LABELS", "NET_SEEDS",
           "net_seed_counts", "kept_molecule_shift"]

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
README = ROOT / "README.md"
BLOCK = re.compile(r"(<!-- generated:(?P<name>[\w-]+) -->\n)(?P<body>.*?)(<!-- /generated:(?P=name) -->)", re.S)

# model -> README label, in table order
ACE_LABELS = {
    "svm": "SVM, Tanimoto kernel on ECFP4 (published mean 0.671 / 0.751)",
    "rf": "RF on ECFP4",
    "knn": "kNN (Tanimoto)",
    "molpred-mlp": "molpred fingerprint MLP, defaults",
    "molpred-dmpnn": "molpred D-MPNN from scratch (`pretrained=None`; the default before 2026-12-03)",
    "molpred-dmpnn-base": "molpred D-MPNN, defaults: fine-tuned from `molpred-base` (`pretrained=\"auto\"`)",
    "molpred-dmpnn-base-frozen": "molpred D-MPNN, `molpred-base` encoder frozen (`freeze_encoder=True`)",
    "molpred-dmpnn-base-cliff": "molpred D-MPNN, defaults + activity-cliff triplet term (`cliff_weight=0.1`)",
    "molpred-dmpnn-mt": "molpred D-MPNN fine-tuned from a multi-task model of the 30 targets (from `molpred-base`)",
    "molpred-gine": "molpred GINE, defaults",
    "molpred-attentivefp": "molpred AttentiveFP, defaults",
    "molpred-dmpnn-v1": "molpred D-MPNN from scratch, featurizer v1 (before 2026-12-01)",
    "molpred-gine-v1": "molpred GINE, defaults, featurizer v1 (before 2026-12-01)",
    "molpred-attentivefp-v1": "molpred AttentiveFP, defaults, featurizer v1 (before 2026-12-01)",
    "molpred-svr": "molpred SVR, Tanimoto kernel on ECFP4 (`model=\"svr\"`)",
    "molpred-gp": "molpred Gaussian process, Tanimoto kernel on ECFP4 (`model=\"gp\"`)",
    "molpred-svr-minmax": "molpred SVR, MinMax kernel on ECFP4 counts",
    "molpred-gp-minmax": "molpred Gaussian process, MinMax kernel on ECFP4 counts (`model=\"gp\", kernel=\"minmax\"`)",
    "molpred-svr-multi": "molpred SVR, mean MinMax kernel of ECFP4, atom-pair and torsion counts",
    "molpred-gp-multi": "molpred Gaussian process, mean MinMax kernel of ECFP4, atom-pair and torsion counts (`model=\"gp\", kernel=\"multi\"`)",
    "chemprop": "Chemprop v2 D-MPNN, `chemprop train` CLI defaults",
    "chemprop-meanagg-nobn": "Chemprop v2 D-MPNN, mean aggregation, no batch norm (ablation, not its defaults)",
    "deepchem": "DeepChem MultitaskRegressor on ECFP4",
}
NET_LABELS = {
    "molpred-dmpnn": "molpred D-MPNN (scratch)", "molpred-dmpnn-base": "molpred D-MPNN (fine-tuned, default)",
    "molpred-gine": "molpred GINE", "molpred-attentivefp": "molpred AttentiveFP",
    "molpred-mlp": "molpred MLP", "chemprop": "Chemprop v2 (CLI defaults)",
    "chemprop-meanagg-nobn": "Chemprop v2, mean agg., no BN (ablation)", "rf": "RF on ECFP4", "svm": "SVM on ECFP4",
}
NET_SETS = {"esol": "ESOL (RMSE, log mol/L)", "freesolv": "FreeSolv (RMSE, kcal/mol)",
            "lipophilicity": "Lipophilicity (RMSE, logD)", "bace": "BACE (ROC-AUC)", "bbbp": "BBBP (ROC-AUC)",
            "clintox": "ClinTox (ROC-AUC)", "tox21": "Tox21 (ROC-AUC)", "sider": "SIDER (ROC-AUC)", "hiv": "HIV (ROC-AUC)"}


# ---------------------------------------------------------------------------- Markdown tables
def parse_tables(text: str) -> list[list[dict]]:
    """Every Markdown table in ``text`` as a list of rows (``{header: cell}``, cells stripped)."""
    tables, lines, i = [], text.splitlines(), 0
    while i < len(lines) - 1:
        head, rule = lines[i].strip(), lines[i + 1].strip()
        if head.startswith("|") and re.fullmatch(r"\|(\s*:?-+:?\s*\|)+", rule):
            cols = [c.strip() for c in head.strip("|").split("|")]
            rows, i = [], i + 2
            while i < len(lines) and lines[i].strip().startswith("|"):
                cells = [c.strip() for c in lines[i].strip().strip("|").split("|")]
                rows.append(dict(zip(cols, cells)))
                i += 1
            tables.append(rows)
        else:
            i += 1
    return tables


def _section(text: str, title: str) -> str:
    """The text of the ``## title...`` section (up to the next ``## ``), '' if absent."""
    m = re.search(rf"^## {re.escape(title)}.*?$(.*?)(?=^## |\Z)", text, re.S | re.M)
    return m.group(1) if m else ""


def _table_in(text: str, title: str) -> list[dict]:
    found = parse_tables(_section(text, title))
    return found[0] if found else []


# ---------------------------------------------------------------------------- MoleculeACE
def kept_molecule_shift(results: Path = RESULTS) -> pd.DataFrame:
    """Each peer's 30-target mean RMSE and RMSE_cliff on all test molecules and on those molpred kept.

    ``kept`` = the test molecules molpred's D-MPNN (featurizer v1) returned a prediction for (it declines peptides
    over its heavy-atom limit). Seed 0 prediction files; only models with all 30 targets.
    """
    folder = results / "predictions" / "moleculeace"
    ref = {f.name.split("__")[0]: f for f in folder.glob("*__molpred-dmpnn-v1__s0.csv.gz")}
    rows = []
    models = sorted({f.name.split("__")[1] for f in folder.glob("*__s0.csv.gz")})
    for model in models:
        if model.startswith("molpred-"):
            continue
        vals = []
        for task, ref_file in sorted(ref.items()):
            f = folder / f"{task}__{model}__s0.csv.gz"
            if not f.is_file():
                break
            keep = pd.read_csv(ref_file)["y_pred"].notna().to_numpy()
            d = pd.read_csv(f)
            e = (d["y_pred"] - d["y_true"]).to_numpy()
            c = (d["cliff_mol"] == 1).to_numpy()
            vals.append([np.sqrt(np.mean(e**2)), np.sqrt(np.mean(e[keep] ** 2)),
                         np.sqrt(np.mean(e[c] ** 2)), np.sqrt(np.mean(e[keep & c] ** 2))])
        if len(vals) == len(ref) == 30:
            m = np.mean(vals, axis=0)
            rows.append({"model": model, "rmse_all": m[0], "rmse_kept": m[1], "cliff_all": m[2], "cliff_kept": m[3]})
    return pd.DataFrame(rows)


def _short_label(model: str) -> str:
    """The README's short name of a MoleculeACE row (for sentences)."""
    if model == "chemprop-meanagg-nobn":
        return "the mean-aggregation ablation"
    short = ACE_LABELS[model].split(",")[0]
    return f"{short} (featurizer v1)" if model.endswith("-v1") else short


def _ace_block(results: Path) -> str:
    text = (results / "moleculeace_summary.md").read_text(encoding="utf-8")
    means = {r["model"]: r for r in _table_in(text, "Mean over tasks") if r["epochs"] == "default"}
    spread = {r["model"]: r for r in _table_in(text, "Seed spread") if r["epochs"] == "default"}
    lines = ["| model | targets | seeds | RMSE | RMSE_cliff |", "|---|---|---|---|---|"]
    partial_seeds: list = []
    for model, label in ACE_LABELS.items():
        if model not in means:
            continue
        r = means[model]
        done, total = int(r["tasks_done"]), int(r["tasks_total"])
        targets = str(done) if done == total else f"{done} of {total} (partial)"
        rmse, cliff, seeds = r["rmse"], r["rmse_cliff"], "0" if r["seeds"] == "1" else r["seeds"]
        if model in spread:
            s = spread[model]
            if int(s["tasks"]) == done:  # every seed on every target: mean +- std over seeds
                rmse, cliff, seeds = s["rmse"], s["rmse_cliff"], s["seeds"].replace(" ", ", ")
            else:
                seeds = f"{s['seeds'].replace(' ', ', ')} on {s['tasks']} targets, else 0"
                partial_seeds.append((model, s))
        lines.append(f"| {label} | {targets} | {seeds} | {rmse} | {cliff} |")
    out = ["**MoleculeACE, 30 targets, shipped split** (`benchmarks/results/moleculeace_summary.md`; "
           "RMSE in -log10(K/nM); `a +- b` = mean +- standard deviation over seeds of the 30-target mean):", "",
           *lines, ""]
    for model, s in partial_seeds:
        out += [f"{model}: the other seeds have run on {s['tasks']} targets so far (resumable); there, seeds {s['seeds']} "
                f"finished, RMSE {s['rmse']} and RMSE_cliff {s['rmse_cliff']} (mean +- std over seeds; "
                "the table's value averages the seeds a target has).", ""]
    frame = pd.read_csv(results / "moleculeace_results.csv")
    ok = frame[(frame["status"] == "ok") & (frame["epochs"].astype(str) == "default") & (frame["seed"] == 0)]
    cli = set(ok.loc[ok["model"] == "chemprop", "task"])
    if cli and len(cli) < 30:
        sub = ok[ok["task"].isin(cli)].groupby(["model", "task"])[["rmse", "rmse_cliff"]].mean()
        paired = sub.groupby("model").mean()
        counts = sub.groupby("model").size()
        who = [m for m in ("chemprop", "chemprop-meanagg-nobn", "molpred-dmpnn", "molpred-dmpnn-v1", "molpred-mlp", "svm")
               if m in paired.index and counts[m] == len(cli)]  # only models with a row on every one of them
        out += [f"Chemprop with its CLI defaults has finished {len(cli)} of the 30 targets (the re-run is in "
                "progress; the row above is its mean over those targets only). On those same targets, seed 0: "
                + "; ".join(f"{_short_label(m)}"
                            f" {paired.loc[m, 'rmse']:.3f} / {paired.loc[m, 'rmse_cliff']:.3f}" for m in who) + ".", ""]
    shift = kept_molecule_shift(results)
    if len(shift):
        d = pd.DataFrame({"rmse": (shift["rmse_kept"] - shift["rmse_all"]).abs().to_numpy(),
                          "rmse_cliff": (shift["cliff_kept"] - shift["cliff_all"]).abs().to_numpy()},
                         index=shift["model"].to_numpy())
        model, metric = d.stack().idxmax()
        row = shift.set_index("model").loc[model]
        a, b = (row["rmse_all"], row["rmse_kept"]) if metric == "rmse" else (row["cliff_all"], row["cliff_kept"])
        out += [f"molpred declines the test molecules counted in `failed_test_preds` (peptides over its heavy-atom "
                f"limit); scoring each of the {len(shift)} peers with 30 targets ({', '.join(shift['model'])}) on the "
                f"molecules molpred kept moves its means by at most {d.to_numpy().max():.4f} ({model}'s {metric}, "
                f"{a:.4f} -> {b:.4f}).", ""]
    speed = _speed_ratios(results)
    if "molpred-dmpnn" in speed:
        out += ["Training times in the summary are not a like-for-like comparison (molpred stops early, patience 15; "
                "Chemprop runs its 50 epochs): at the same size, batch and number of epochs molpred's D-MPNN trains "
                f"at {speed['molpred-dmpnn']['train']:.2f}x Chemprop's rate per CPU second (speed block below).", ""]
    return "\n".join(out)


# ---------------------------------------------------------------------------- MoleculeNet
NET_SEEDS = 3


def net_seed_counts(results: Path = RESULTS) -> dict[tuple[str, str], int]:
    """``(task, model) -> number of seeds`` with an ``ok`` row in ``moleculenet_results.csv``.

    Task names without the ``moleculenet/`` prefix, as in the summary's per-task tables.
    """
    path = results / "moleculenet_results.csv"
    if not path.is_file():
        return {}
    frame = pd.read_csv(path)
    frame = frame[frame["status"] == "ok"]
    counts = frame.groupby(["task", "model"])["seed"].nunique()
    return {(task.split("/")[-1], model): int(n) for (task, model), n in counts.items()}


def _net_block(results: Path) -> str:
    summary = results / "moleculenet_summary.md"
    text = summary.read_text(encoding="utf-8") if summary.is_file() else ""
    cells: dict[tuple[str, str], str] = {}
    for title in ("Per task (rmse", "Per task (roc_auc"):
        for r in _table_in(text, title):
            for model, v in r.items():
                if model != "task" and v:
                    cells[r["task"], model] = v.split(" +- ")[0]
    seeds = net_seed_counts(results)
    models = [m for m in NET_LABELS if any(k[1] == m for k in cells)]
    lines = ["| data set (metric) | " + " | ".join(NET_LABELS[m] for m in models) + " |",
             "|---|" + "---|" * len(models)]
    n_partial = 0
    for task, label in NET_SETS.items():
        row = [cells.get((task, m), "") for m in models]
        full = [bool(v) and seeds.get((task, m), 0) >= NET_SEEDS for v, m in zip(row, models)]
        nums = [float(v) if ok else np.nan for v, ok in zip(row, full)]
        best = -1
        if not np.all(np.isnan(nums)):
            best = int(np.nanargmin(nums) if "RMSE" in label else np.nanargmax(nums))
        shown = []
        for i, (v, m) in enumerate(zip(row, models)):
            if not v:
                shown.append("not run")
            elif full[i]:
                shown.append(f"**{v}**" if i == best else v)
            else:
                n_partial += 1
                n = seeds.get((task, m), 0)
                shown.append(f"{v} ({n} of {NET_SEEDS} seeds)")
        lines.append(f"| {label} | " + " | ".join(shown) + " |")
    head = ("**MoleculeNet, balanced scaffold split 80/10/10 over stereo-free scaffolds of distinct standardised "
            f"molecules, graph featurizer `molgraph` version 2, {NET_SEEDS} seeds** "
            "(`benchmarks/results/moleculenet_summary.md`, mean over seeds; best in bold among cells with "
            f"all {NET_SEEDS} seeds")
    if n_partial:
        head += "; a cell with fewer seeds says how many: the re-run on these splits is in progress"
    head += ("). The same table on the splits before 2026-12-02 (isomeric scaffolds, duplicates not merged; "
             "featurizer version 1): `benchmarks/results/moleculenet_v1/moleculenet_summary.md`.")
    if not models:
        return "\n".join([head, "", "No row has been recorded on these splits yet.", ""])
    return "\n".join([head, "", *lines, ""])


# ---------------------------------------------------------------------------- speed
def _speed_ratios(results: Path) -> dict:
    path = results / "speed_results.csv"
    if not path.is_file():
        return {}
    frame = pd.read_csv(path)
    if "x_vs_peer" not in frame:
        return {}
    out: dict = {}
    for r in frame.dropna(subset=["x_vs_peer"]).itertuples():
        out.setdefault(r.model, {"peer": r.peer})[r.step] = float(r.x_vs_peer)
    return out


def _speed_block(results: Path) -> str:
    if not _speed_ratios(results):
        return ("**Training and prediction speed, like for like**: no run of the like-for-like speed suite "
                "(`python -m benchmarks speed`) is recorded in `benchmarks/results/speed_results.csv` yet; the "
                "earlier ratios compared unlike things and were withdrawn.\n")
    frame = pd.read_csv(results / "speed_results.csv")
    ratios = _speed_ratios(results)
    r0 = frame.iloc[0]
    start = frame[frame["step"] == "startup"].set_index("model")["seconds"]
    lines = ["| model | peer | featurise | train (epochs only) | predict |", "|---|---|---|---|---|"]
    for model, r in ratios.items():
        lines.append(f"| {model} | {r['peer']} | {r['featurize']:.2f}x | {r['train']:.2f}x | {r['predict']:.2f}x |")
    other = float(frame["other_cpu_cores"].max())
    return "\n".join([
        f"**Training and prediction speed, like for like** (`benchmarks/results/speed_summary.md`, "
        f"`{r0['command']}`: {int(r0['n_molecules'])} MoleculeACE molecules, {int(frame['epochs_run'].max())} epochs, "
        "batch 64, one thread per process; molpred's rate / the peer's in the same run, per CPU second of the "
        "process (the machine was shared; wall-clock rates are in the summary); each D-MPNN at hidden 300, "
        "depth 3; the fingerprint MLP against scikit-learn's `MLPRegressor` of the same layers on the same "
        "fingerprints):", "", *lines, "",
        "Start-up (imports, wall clock, not in the rates): " + ", ".join(f"{m} {s:.1f} s" for m, s in start.items())
        + ". "
        + (f"Other jobs used up to {other:.1f} of the 2 cores during the run: wall-clock times are inflated "
           "and noisy; CPU-second rates much less so."
           if other > 0.1 else "Nothing else ran."), ""])


# ---------------------------------------------------------------------------- screening
def _screen_block(results: Path) -> str:
    if not (results / "screen_speed.csv").is_file():
        return ("**Screening throughput and memory**: no run with the Lipophilicity model is recorded in "
                "`benchmarks/results/screen_speed.csv` yet (`python -m benchmarks.screen_speed`).\n")
    frame = pd.read_csv(results / "screen_speed.csv")
    ok = frame[frame["status"] == "ok"]
    cmd = frame["command"].iloc[0]
    has_cpu = "mol_per_cpu_s" in ok
    cpu_rate = {int(r.n): r.mol_per_cpu_s for r in ok.itertuples() if r.step == "chemprop-predict"} if has_cpu else {}
    pss = "peak_tree_pss_mib" in ok and ok["peak_tree_pss_mib"].notna().any()
    limit = "x_of_limit" in ok and ok["x_of_limit"].notna().any()
    lines = ["| step | molecules | mol/s (wall clock) | x Chemprop (wall clock) | mol per CPU second "
             "| x Chemprop (CPU) |" + (" of this machine's limit | main process share of CPU |" if limit else "")
             + (" peak memory, PSS (RSS) MiB |" if pss else " peak memory (MiB) |"),
             "|---|---|---|---|---|---|---|" + ("---|---|" if limit else "")]

    def _pct(v) -> str:
        return "" if v is None or pd.isna(v) else f"{v:.0%}"

    for r in ok.itertuples():
        if r.step == "rdkit-parse":
            continue
        x = f"{r.x_vs_chemprop:.2f}x" if pd.notna(r.x_vs_chemprop) else "not measured at this size"
        cpu = getattr(r, "mol_per_cpu_s", np.nan) if has_cpu else np.nan
        xc = (f"{cpu / cpu_rate[int(r.n)]:.2f}x" if pd.notna(cpu) and int(r.n) in cpu_rate
              else "not measured at this size")
        mem = (f"{r.peak_tree_pss_mib:,.0f} ({r.peak_tree_rss_mib:,.0f})" if pss and pd.notna(r.peak_tree_pss_mib)
               else f"{r.peak_tree_rss_mib:,.0f}")
        extra = (f" {_pct(getattr(r, 'x_of_limit', None))} | {_pct(getattr(r, 'main_cpu_share', None))} |"
                 if limit else "")
        lines.append(f"| {r.step} | {int(r.n):,} | {r.mol_per_s:,.0f} | {x} | "
                     f"{'' if pd.isna(cpu) else f'{cpu:,.0f}'} | {xc} |{extra} {mem} |")
    goals = _screen_goals(ok, limit, pss)
    other = float(frame["other_cpu_cores"].max())
    sizes = sorted({int(n) for n in ok["n"]})
    return "\n".join([
        f"**Screening throughput and memory** (`benchmarks/results/screen_speed.md` and `screen_speed.csv`, "
        f"`{cmd}`, {' and '.join(f'{n:,}' for n in sizes)} generated molecules"
        + (" (2x10^4: the machine was too busy for 10^5)" if max(sizes) < 100_000 else "") + "): `molpred-screen` "
        "uses a D-MPNN of Chemprop's default size fitted on Lipophilicity (4,200 molecules) with applicability "
        "domain and conformal intervals on, as a user would have it; Chemprop predicts the same molecules at each "
        "size in the same run; the 100-molecule model is an ablation only. `mol per CPU second` counts the CPU "
        "time of the measured process and its workers (molpred screens with 2 worker processes, Chemprop "
        "predicts in one), so it shows the work per molecule whatever else ran.", "", *lines, "",
        *([goals, ""] if goals else []),
        (f"Other jobs used up to {other:.1f} of the 2 cores during this run: wall-clock rates are low and noisy, "
         "and a screen with 2 worker processes gets a larger share of a busy machine than a single process, "
         "which favours molpred's wall-clock ratio; the CPU ratio does not have that bias."
         if other > 0.5 else
         f"A nearly quiet machine: other processes (the benchmark's own sampling parent among them) used at most "
         f"{other:.2f} of the 2 cores during any step." if other > 0.1 else "Nothing else ran during this run."), ""])


def _screen_goals(ok: pd.DataFrame, limit: bool, pss: bool) -> str:
    """One sentence: the default screen against the throughput and memory goals, from the CSV."""
    rate = {(r.step, int(r.n)): r.mol_per_s for r in ok.itertuples()}
    plain = ok[ok["step"] == "molpred-screen"].set_index("n")
    chem = {int(n): v for (st, n), v in rate.items() if st == "chemprop-predict"}
    parts = []
    for n, r in plain.iterrows():
        bits = []
        if pd.notna(r.get("x_vs_chemprop")):
            bits.append(f"{r['x_vs_chemprop']:.2f}x Chemprop's rate (goal: 3x)")
        elif chem:  # Chemprop ran at another size of this run: say which rate the ratio uses
            m = max(chem)
            bits.append(f"{r['mol_per_s'] / chem[m]:.2f}x Chemprop's rate at {m:,} molecules in this run "
                        "(not run at this size)")
        if limit and pd.notna(r.get("x_of_limit")):
            bits.append(f"{r['x_of_limit']:.0%} of this machine's limit (goal: 70%)")
        if bits:
            parts.append(f"at {int(n):,} molecules, " + " and ".join(bits))
    for step in [st for st in dict.fromkeys(ok["step"]) if "--filters" in st]:
        for n in ok.loc[ok["step"] == step, "n"]:
            if ("molpred-screen", int(n)) in rate:
                ratio = rate[("molpred-screen", int(n))] / rate[(step, int(n))]
                parts.append(f"`{step}` takes {ratio:.2f}x the time of the unfiltered screen at {int(n):,} "
                             "molecules (goal: at most 1.5x)")
    if {100_000, 1_000_000} <= set(plain.index):
        col = "peak_tree_pss_mib" if pss else "peak_tree_rss_mib"
        lo, hi = plain.loc[100_000, col], plain.loc[1_000_000, col]
        parts.append(f"peak memory ({'PSS' if pss else 'RSS'}) {lo:,.0f} MiB at 10^5 and {hi:,.0f} MiB "
                     f"({hi * 2**20 / 1e9:.2f} GB) at 10^6 molecules (goal: at most 1.5 GB, flat)")
    if not parts:
        return ""
    return ("Against the goals, the default screen (`molpred-screen`): " + "; ".join(parts) + ". This machine's "
            "limit is its cores divided by the CPU time per molecule of parsing + standardising plus the "
            "network's matrix products, profiled in the same run (`screen_speed.md`).")


# ---------------------------------------------------------------------------- README
def _scaling_block(results: Path) -> str:
    import json

    data = json.loads((results / "screen_scaling.json").read_text(encoding="utf-8"))
    stages, net = data["measured"]["stages"], data["measured"]["network"]
    from benchmarks.screen_scaling import CPU_STAGES

    cpu = sum(stages[k] for k in CPU_STAGES)
    largest = max(CPU_STAGES, key=lambda k: stages[k])
    lines = ["| scenario | network | molecules/s (upper bound) | node-hours for 10^9 | bound by |", "|---|---|---|---|---|"]
    lines += [f"| {r['scenario']} | {r['network']} | {r['mol_per_s']:,.0f} | {r['node_hours_1e9']:,.1f} | {r['bound']} |"
              for r in data["projections"] if not r["scenario"].startswith("this machine")]
    return "\n".join([
        "**Scaling out, on paper** (`benchmarks/results/screen_scaling.md`, `python -m benchmarks.screen_scaling --n 3000`): "
        f"per molecule, the CPU stages (parse + standardise, canonical SMILES, featurise, domain fingerprints and "
        f"similarity search against {data['measured']['n_train_fingerprints']:,} training fingerprints, packing) cost "
        f"{cpu:,.0f} us of CPU (largest: {largest}, {stages[largest]:,.0f} us) and the D-MPNN forward "
        f"{stages['batches + forward, fp32 (as the screen builds them)']:,.0f} us in float32 "
        f"({net['flops'] / 1e6:.1f} MFLOP), measured on one core here; projected with perfect scaling and an "
        "assumed (not measured) GPU rate:", "", *lines, ""])


def _domain_block(results: Path) -> str:
    frame = pd.read_csv(results / "domain_speed.csv")
    md = (results / "domain_speed.md").read_text(encoding="utf-8")
    command = re.search(r"command: `([^`]+)`", md).group(1)
    load = re.search(r"Load average at the end: ([0-9.]+)", md).group(1)
    cells = ", ".join(f"{r.n_train:,}: {r.us_per_query_cpu:,.0f} us (RDKit's BulkTanimotoSimilarity "
                      f"{r.rdkit_us_per_query_cpu:,.0f}; before {r.before_us_per_query_cpu:,.0f})"
                      for r in frame.itertuples())
    same = "identical" if frame["max_sim_identical_to_rdkit"].all() and frame["identical_to_before"].all() else \
        "NOT identical"
    kernels = " / ".join(dict.fromkeys(frame["kernel"]))
    return (f"**Applicability-domain scoring** (`benchmarks/results/domain_speed.md`, `{command}`): CPU time per "
            f"query molecule by number of training molecules, one thread ({kernels}): {cells}. Similarities are "
            f"{same} to RDKit's and to the popcount kernel it replaced (`before`); load average {load} on the 2 "
            "cores at the end of the run.\n")


MOLPAL_ROWS = (("random", "random"), ("molpal-rf-greedy", "MolPAL's RF (`molpal-rf`), greedy"),
               ("molpal-nn-greedy", "MolPAL's NN (`molpal-nn`), greedy"),
               ("molpal-mpn-greedy", "MolPAL's MPN (`molpal-mpn`), greedy"),
               ("molpal-mpn-greedy (mse head)", "MolPAL's MPN trained with MSE (not MolPAL's runs), greedy"),
               ("molpal-mpn-ucb", "MolPAL's MPN (`molpal-mpn`), UCB"),
               ("gp-ucb", "**molpred: `--surrogate gp --acquisition ucb`**"))
"""Rows of the README's MolPAL table: the reproduction rows, then molpred's best strategy."""
MOLPAL_GOALS = {"10k": 75.0, "50k": 80.0}
"""Issue goals, % of the top-k scores found after 6% of the library."""


def _pm(mean, std, missing: str = "not run") -> str:
    """``mean ± std`` to one decimal (``mean`` alone without a std, ``missing`` without a mean)."""
    if pd.isna(mean):
        return missing
    return f"{mean:.1f}" if std is None or pd.isna(std) else f"{mean:.1f} ± {std:.1f}"


def _molpal_block(results: Path) -> str:
    frame = pd.read_csv(results / "molpal.csv")
    lines = ["| strategy | library, k | seeds | % top-k scores | MolPAL, scores | MolPAL's code here, scores (seeds) "
             "| % top-k SMILES | MolPAL, SMILES | CPU s / round |",
             "|---|---|---|---|---|---|---|---|---|"]
    best = {}
    for library in ("10k", "50k"):
        for method, label in MOLPAL_ROWS:
            row = frame[(frame["library"] == library) & (frame["method"] == method)]
            if row.empty:
                continue
            r = row.iloc[0]
            cpu = _pm(r["round_cpu_seconds_mean"], None, "not logged")
            code = r.get("molpal_code_scores_pct")
            here = "" if pd.isna(code) else f"{_pm(code, r['molpal_code_scores_pct_std'])} ({r['molpal_code_seeds']})"
            lines.append(f"| {label} | {library}, top-{r['top_k']} | {r['n_seeds']} | "
                         f"{_pm(r['scores_pct_mean'], r['scores_pct_std'])} | {_pm(r['molpal_scores_pct'], None, '')} | "
                         f"{here} | "
                         f"{_pm(r['smiles_pct_mean'], r['smiles_pct_std'])} | {_pm(r['molpal_smiles_pct'], None, '')} | {cpu} |")
            if method == "gp-ucb":
                best[library] = r["scores_pct_mean"]
    goals = "; ".join(f"{lib}: {best[lib]:.1f} against a goal of {goal:.0f} ({'met' if best[lib] >= goal else 'NOT met'})"
                      for lib, goal in MOLPAL_GOALS.items() if lib in best)
    return "\n".join([
        "**Active learning, MolPAL protocol** (`benchmarks/results/molpal.md`, `python -m benchmarks.molpal "
        "report`; Enamine docking scores, 1% random then 5 rounds of 1%, the surrogate retrained from scratch "
        "every round, mean ± std over seeds). The metric is MolPAL's headline number: % of the true top-k "
        "*scores* found after 6% of the library, ties at the k-th score counted as MolPAL counts them; "
        "% of the top-k molecules (SMILES) found is beside it. MolPAL's columns are its paper's numbers; "
        "\"MolPAL's code here\" is MolPAL's own paper code (a78bc21) run on this machine with its experiment "
        "script's arguments and the same seeds (`python -m benchmarks.molpal_paper_code`, "
        "`benchmarks/results/molpal_paper_code.md`); CPU per round is this process's, on one thread.", "", *lines, "",
        f"molpred's best strategy against the goals: {goals}.", ""])


RENDERERS = {"moleculeace": _ace_block, "moleculenet": _net_block, "speed": _speed_block, "screening": _screen_block,
             "scaling": _scaling_block, "molpal": _molpal_block, "domain": _domain_block}


def render_blocks(results: Path = RESULTS) -> dict[str, str]:
    """``name -> Markdown`` for every generated block."""
    return {name: fn(Path(results)) for name, fn in RENDERERS.items()}


def update_readme(readme: Path = README, results: Path = RESULTS) -> tuple[str, list[str]]:
    """README text with every generated block rebuilt, and the names of blocks that changed."""
    text = Path(readme).read_text(encoding="utf-8")
    blocks = render_blocks(results)
    changed: list[str] = []

    def sub(m: re.Match) -> str:
        name = m.group("name")
        if name not in blocks:
            raise KeyError(f"README block {name!r} has no renderer (known: {', '.join(blocks)})")
        if m.group("body") != blocks[name]:
            changed.append(name)
        return m.group(1) + blocks[name] + m.group(4)

    return BLOCK.sub(sub, text), changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.readme", description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="only report blocks that differ (exit 1 if any)")
    parser.add_argument("--readme", default=str(README))
    parser.add_argument("--results", default=str(RESULTS))
    args = parser.parse_args(argv)
    text, changed = update_readme(Path(args.readme), Path(args.results))
    if args.check:
        print("README up to date" if not changed else f"README blocks out of date: {', '.join(changed)}")
        return 1 if changed else 0
    Path(args.readme).write_text(text, encoding="utf-8")
    print(f"rewrote {len(changed)} block(s): {', '.join(changed) or 'none changed'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
