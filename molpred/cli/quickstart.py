"""``molpred quickstart``."""

from __future__ import annotations

import sys

import pandas as pd


def cmd_quickstart(args) -> int:
    from molpred.quickstart import run_quickstart

    print(f"molpred quickstart: training a {args.model} on bundled MoleculeACE {args.target} "
          f"(shipped train/test split, {args.epochs} epochs) ...", flush=True)
    res = run_quickstart(args.out, args.target, args.model, args.epochs, progress=sys.stderr.isatty(),
                         screen=not args.no_screen, top_k=args.top)
    m = res.metrics
    print(f"train {m['n_train']} / test {m['n_test']} molecules, {res.seconds:.0f} s")
    print(f"test RMSE {m['rmse']:.3f}  RMSE_cliff {m['rmse_cliff']:.3f}  R2 {m['r2']:.3f}  "
          f"Spearman {m['spearman']:.3f}  (units: -log10(Ki/nM))")
    print(f"model: {res.model_dir}   test predictions: {res.model_dir.parent / 'test_predictions.csv'}")
    if res.screen is not None:
        _print_screen(res)
    print(f"next: molpred predict {res.model_dir} my_compounds.csv --out predictions.csv")
    print(f"      molpred screen {res.model_dir} my_library.smi --out my_screen --filters pains,lipinski")
    return 0


def _print_screen(res) -> None:
    """The screen's row accounting and its best hits as a small table."""
    s = res.screen
    counts = ", ".join(f"{k} {v}" for k, v in s.counts.items() if v)
    print(f"\nscreened {s.n_rows} bundled compounds of 29 other MoleculeACE targets ({counts}) "
          f"in {s.seconds:.0f} s, {s.rows_per_second:.0f} mol/s; filters: PAINS, Lipinski")
    pred = res.target
    kind = pred.rsplit("_", 1)[-1]  # Ki or EC50: MoleculeACE labels are -log10(value in nM)
    top = s.top_hits.head(10).copy()
    top[f"{kind}_nM"] = 10.0 ** -top[pred]
    cols = [c for c in ("rank", "id", pred, f"{kind}_nM", "in_domain", "mw", "clogp", "smiles") if c in top]
    with pd.option_context("display.width", 200, "display.max_colwidth", 70, "display.precision", 2):
        print(f"top {len(top)} by predicted {pred} (-log10 {kind}/nM, higher binds tighter; in_domain False: "
              "unlike the training compounds, trust less):")
        print(top[cols].to_string(index=False))
    print(f"all {s.n_hits} hits: {s.out}/top_hits.csv   picture: {s.out}/top_hits.png   "
          f"every row: {s.out}/shards/")
    if "in_domain" in top and not top["in_domain"].fillna(False).astype(bool).all():
        _print_in_domain(res, pred, f"{kind}_nM", cols)


def _print_in_domain(res, pred: str, nm: str, cols: list[str]) -> None:
    """The best-scored molecules inside the model's applicability domain, read from the shards."""
    from molpred.screen import load_results

    s = res.screen
    rows = load_results(s.out)
    inside = rows[rows["in_domain"].fillna(False).astype(bool) & rows["score"].notna()]
    best = inside.sort_values(["score", "row"], ascending=[False, True]).head(5).copy()
    best["rank"] = [int((rows["score"] > v).sum()) + 1 for v in best["score"]]  # among all ranked rows
    best[nm] = 10.0 ** -best[pred]
    print(f"\n{len(inside)} of {s.n_ranked} ranked compounds are inside the model's applicability domain; "
          f"the best {len(best)} of them (rank among all):")
    with pd.option_context("display.width", 200, "display.max_colwidth", 70, "display.precision", 2):
        print(best[[c for c in cols if c in best]].to_string(index=False) if len(best) else "(none)")
    print(f"rank only these in your screens: molpred screen {res.model_dir} LIBRARY --out DIR --hits-in-domain")
