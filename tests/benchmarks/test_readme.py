"""The README's results tables equal the results files they cite, and cannot drift from them.

Two independent checks: (1) ``python -m benchmarks.readme --check`` finds nothing to rewrite;
(2) every number in the README's MoleculeACE, MoleculeNet, screening and speed tables is
parsed and compared with the summary / results file named above the table.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from benchmarks.readme import (
    ACE_LABELS,
    MOLPAL_ROWS,
    NET_LABELS,
    NET_SEEDS,
    NET_SETS,
    README,
    RESULTS,
    parse_tables,
    update_readme,
)

TEXT = README.read_text(encoding="utf-8")


def _block(name: str) -> str:
    m = re.search(rf"<!-- generated:{name} -->\n(.*?)<!-- /generated:{name} -->", TEXT, re.S)
    assert m, f"README has no generated block {name!r}"
    return m.group(1)


def _summary_table(path: Path, title: str) -> list[dict]:
    text = path.read_text(encoding="utf-8")
    part = text.split(f"## {title}", 1)[1].split("\n## ", 1)[0]
    return parse_tables(part)[0]


def test_parse_tables_reads_plain_and_aligned_tables():
    text = "x\n| a | b |\n|---|---|\n| 1 | 2 |\n\n| c |  d |\n|:--|--:|\n|  3 | 4.5 |\n| 5 | 6 |\n"
    assert parse_tables(text) == [[{"a": "1", "b": "2"}], [{"c": "3", "d": "4.5"}, {"c": "5", "d": "6"}]]


def test_readme_is_what_the_results_generate():
    text, changed = update_readme()
    assert changed == [], f"run `python -m benchmarks.readme`: blocks out of date: {changed}"
    assert text == TEXT


def test_a_number_typed_into_the_readme_is_caught(tmp_path):
    body = _block("moleculeace")
    row = next(line for line in body.splitlines() if line.startswith("| RF on ECFP4"))
    drifted = TEXT.replace(row, row.rsplit("|", 2)[0] + "| 0.001 |")
    assert drifted != TEXT
    path = tmp_path / "README.md"
    path.write_text(drifted, encoding="utf-8")
    _, changed = update_readme(path, RESULTS)
    assert changed == ["moleculeace"]


def test_moleculeace_table_equals_the_summary_it_cites():
    assert "`benchmarks/results/moleculeace_summary.md`" in _block("moleculeace")
    summary = RESULTS / "moleculeace_summary.md"
    means = {r["model"]: r for r in _summary_table(summary, "Mean over tasks") if r["epochs"] == "default"}
    text = summary.read_text(encoding="utf-8")
    spread = ({r["model"]: r for r in _summary_table(summary, "Seed spread") if r["epochs"] == "default"}
              if "## Seed spread" in text else {})
    label_to_model = {v: k for k, v in ACE_LABELS.items()}
    rows = parse_tables(_block("moleculeace"))[0]
    assert len(rows) >= 9
    seen = set()
    for row in rows:
        model = label_to_model[row["model"]]
        seen.add(model)
        done = int(means[model]["tasks_done"])
        if model in spread and int(spread[model]["tasks"]) == done:
            want = (spread[model]["rmse"], spread[model]["rmse_cliff"])
        else:
            want = (means[model]["rmse"], means[model]["rmse_cliff"])
        assert (row["RMSE"], row["RMSE_cliff"]) == want, model
        assert row["targets"].split()[0] == str(done), model
    assert seen == {m for m in means if m in ACE_LABELS}  # no model of the summary left out


def test_moleculeace_kept_molecule_claim_equals_the_prediction_files():
    body = _block("moleculeace")
    m = re.search(r"moves its means by at most (\d\.\d+) \(([\w-]+)'s (rmse(?:_cliff)?), (\d\.\d+) -> (\d\.\d+)\)", body)
    assert m, "the kept-molecule sentence is missing"
    folder = RESULTS / "predictions" / "moleculeace"
    model, metric = m.group(2), m.group(3)
    vals = []
    for ref in sorted(folder.glob("*__molpred-dmpnn-v1__s0.csv.gz")):
        keep = pd.read_csv(ref)["y_pred"].notna().to_numpy()
        d = pd.read_csv(folder / ref.name.replace("__molpred-dmpnn-v1__", f"__{model}__"))
        e = (d["y_pred"] - d["y_true"]).to_numpy()
        sel = (d["cliff_mol"] == 1).to_numpy() if metric == "rmse_cliff" else np.ones(len(d), bool)
        vals.append([np.sqrt(np.mean(e[sel] ** 2)), np.sqrt(np.mean(e[sel & keep] ** 2))])
    a, b = np.mean(vals, axis=0)
    assert (f"{a:.4f}", f"{b:.4f}", f"{abs(b - a):.4f}") == (m.group(4), m.group(5), m.group(1))


def test_moleculenet_table_equals_the_summary_it_cites():
    body = _block("moleculenet")
    assert "`benchmarks/results/moleculenet_summary.md`" in body
    assert "`benchmarks/results/moleculenet_v1/moleculenet_summary.md`" in body
    assert (RESULTS / "moleculenet_v1" / "moleculenet_summary.md").is_file()
    summary = RESULTS / "moleculenet_summary.md"
    if not summary.is_file():
        assert "No row has been recorded" in body and "|" not in body
        return
    cells = {}
    for title in ("Per task (rmse", "Per task (roc_auc"):
        if f"## {title}" not in summary.read_text(encoding="utf-8"):  # no task of this kind has run yet
            continue
        for r in _summary_table(summary, title):
            cells.update({(r["task"], k): v.split(" +- ")[0] for k, v in r.items() if k != "task" and v})
    frame = pd.read_csv(RESULTS / "moleculenet_results.csv")
    frame = frame[frame["status"] == "ok"]
    seeds = frame.groupby([frame["task"].str.split("/").str[-1], "model"])["seed"].nunique()
    label_to_model = {v: k for k, v in NET_LABELS.items()}
    set_to_task = {v: k for k, v in NET_SETS.items()}
    rows = parse_tables(body)[0]
    assert len(rows) == 9
    for row in rows:
        task = set_to_task[row["data set (metric)"]]
        for label, value in row.items():
            if label == "data set (metric)":
                continue
            key = (task, label_to_model[label])
            want = cells.get(key, "not run")
            n = int(seeds.get(key, 0))
            if key in cells and n < NET_SEEDS:
                want = f"{want} ({n} of {NET_SEEDS} seeds)"
                assert not value.startswith("**"), (task, label)  # partial cells are never marked best
            assert value.strip("*") == want, (task, label)


def test_screening_table_equals_the_results_it_cites():
    body = _block("screening")
    if not (RESULTS / "screen_speed.csv").is_file():
        assert "no run with the Lipophilicity model" in body and "|" not in body
        return
    frame = pd.read_csv(RESULTS / "screen_speed.csv")
    assert frame["command"].iloc[0] in body
    ok = frame[(frame["status"] == "ok") & (frame["step"] != "rdkit-parse")]
    rows = parse_tables(body)[0]
    assert len(rows) == len(ok)
    chem = {int(r.n): r.mol_per_s for r in ok.itertuples() if r.step == "chemprop-predict"}
    chem_cpu = ({int(r.n): r.mol_per_cpu_s for r in ok.itertuples() if r.step == "chemprop-predict"}
                if "mol_per_cpu_s" in ok else {})
    for row, r in zip(rows, ok.itertuples()):
        assert (row["step"], int(row["molecules"].replace(",", ""))) == (r.step, int(r.n))
        assert float(row["mol/s (wall clock)"].replace(",", "")) == pytest.approx(r.mol_per_s, abs=0.5)
        x = row["x Chemprop (wall clock)"]
        if int(r.n) in chem:  # every ratio uses Chemprop at the same size in the same run
            assert float(x.rstrip("x")) == pytest.approx(r.mol_per_s / chem[int(r.n)], abs=0.006)
        else:
            assert x == "not measured at this size"
        if int(r.n) in chem_cpu and pd.notna(r.mol_per_cpu_s):
            want = r.mol_per_cpu_s / chem_cpu[int(r.n)]
            assert float(row["x Chemprop (CPU)"].rstrip("x")) == pytest.approx(want, abs=0.006)
        if "peak_tree_pss_mib" in ok and ok["peak_tree_pss_mib"].notna().any():
            pss, rss = re.fullmatch(r"([\d,]+) \(([\d,]+)\)", row["peak memory, PSS (RSS) MiB"]).groups()
            assert float(pss.replace(",", "")) == pytest.approx(r.peak_tree_pss_mib, abs=0.5)
            assert float(rss.replace(",", "")) == pytest.approx(r.peak_tree_rss_mib, abs=0.5)
        if "x_of_limit" in ok and ok["x_of_limit"].notna().any():
            limit = row["of this machine's limit"]
            assert limit == ("" if pd.isna(r.x_of_limit) else f"{r.x_of_limit:.0%}")


def test_speed_table_equals_the_results_it_cites():
    body = _block("speed")
    path = RESULTS / "speed_results.csv"
    if not path.is_file() or "x_vs_peer" not in pd.read_csv(path, nrows=0).columns:
        assert "no run of the like-for-like speed suite" in body and "|" not in body
        return
    frame = pd.read_csv(path)
    assert frame["command"].iloc[0] in body
    rate = {(r.model, r.step): r.per_s for r in frame.itertuples() if pd.notna(r.per_s)}
    rows = parse_tables(body)[0]
    assert {(r["model"], r["peer"]) for r in rows} == {("molpred-dmpnn", "chemprop"), ("molpred-mlp", "sklearn-mlp")}
    for row in rows:
        for col, step in (("featurise", "featurize"), ("train (epochs only)", "train"), ("predict", "predict")):
            want = rate[row["model"], step] / rate[row["peer"], step]
            assert float(row[col].rstrip("x")) == pytest.approx(want, abs=0.006), (row["model"], step)


def test_molpal_table_equals_the_results_it_cites():
    body = _block("molpal")
    assert "`benchmarks/results/molpal.md`" in body and "*scores*" in body  # names the metric it quotes
    frame = pd.read_csv(RESULTS / "molpal.csv").set_index(["library", "method"])
    rows = parse_tables(body)[0]
    labels = dict(MOLPAL_ROWS)
    methods = {label: method for method, label in labels.items()}
    assert {r["strategy"] for r in rows} >= {labels["molpal-nn-greedy"], labels["gp-ucb"]}
    for row in rows:
        r = frame.loc[(row["library, k"].split(",")[0], methods[row["strategy"]])]
        assert row["seeds"] == str(r["n_seeds"])
        assert float(row["% top-k scores"].split(" ± ")[0]) == pytest.approx(r["scores_pct_mean"], abs=0.05)
        if pd.notna(r["molpal_scores_pct"]):
            assert float(row["MolPAL, scores"]) == r["molpal_scores_pct"]
        here = row["MolPAL's code here, scores (seeds)"]
        if pd.notna(r["molpal_code_scores_pct"]):  # MolPAL's own code run here, with its seeds
            assert float(here.split(" ")[0]) == r["molpal_code_scores_pct"] and f"({r['molpal_code_seeds']})" in here
        else:
            assert here == ""


def test_domain_sentence_equals_the_results_it_cites():
    body = _block("domain")
    frame = pd.read_csv(RESULTS / "domain_speed.csv")
    for r in frame.itertuples():
        assert f"{r.n_train:,}: {r.us_per_query_cpu:,.0f} us" in body
    assert ("NOT identical" in body) != bool(frame["max_sim_identical_to_rdkit"].all())
