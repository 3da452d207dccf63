"""``molpred quickstart``."""

from __future__ import annotations

import sys

FAST = {"epochs": 2, "library_size": 600}
"""``--fast``: the same pipeline (model, training, screen, ranking, pictures) on a small budget,
for CI and a first look (a few tens of seconds)."""


def register_options(p) -> None:
    """Options of ``molpred quickstart`` (the parser lives in :mod:`molpred.cli.main`)."""
    from molpred.quickstart import QUICKSTART_EPOCHS, QUICKSTART_LIBRARY

    p.add_argument("--out", default="molpred-quickstart", help="directory for the model and outputs")
    p.add_argument("--epochs", type=int, default=QUICKSTART_EPOCHS)
    p.add_argument("--model", default="dmpnn")
    p.add_argument("--target", default="CHEMBL204_Ki", help="bundled MoleculeACE target")
    p.add_argument("--top", type=int, default=20, help="hits kept by the screen")
    p.add_argument("--library-size", type=int, default=QUICKSTART_LIBRARY,
                   help="compounds screened (a seeded sample of ~33,000 bundled compounds; 0 = all)")
    p.add_argument("--rank", choices=["domain", "raw"], default="domain",
                   help="domain: in-domain hits first, out-of-domain listed apart; raw: by score alone")
    p.add_argument("--fast", action="store_true",
                   help=f"small budget for a first look or CI: {FAST['epochs']} epochs, "
                   f"{FAST['library_size']} compounds screened (same pipeline)")
    p.add_argument("--no-screen", action="store_true", help="train and evaluate only")


def cmd_quickstart(args) -> int:
    from molpred.quickstart import run_quickstart

    epochs, size = args.epochs, args.library_size
    if args.fast:
        epochs, size = min(epochs, FAST["epochs"]), min(size or FAST["library_size"], FAST["library_size"])
    size = None if not size else size
    screened = "" if args.no_screen else (
        f"; then screen {'all' if size is None else f'{size:,}'} bundled compounds of 29 other targets, "
        f"ranked {'in-domain first' if args.rank == 'domain' else 'by score alone'}")
    print(f"molpred quickstart: {args.model}, {epochs} epochs, on the shipped train split of MoleculeACE "
          f"{args.target}{screened} (change with --epochs, --library-size, --model; --fast for a quick look)",
          flush=True)
    res = run_quickstart(args.out, args.target, args.model, epochs, progress=sys.stderr.isatty(),
                         screen=not args.no_screen, top_k=args.top, library_size=size, rank=args.rank)
    m = res.metrics
    other = m["n_train"] - m["n_fit"] - m["n_val"] - m["n_cal"]
    start = (f"fine-tuned from the shipped {m['encoder_start']} encoder" if m.get("encoder_start")
             else "from scratch")
    print(f"trained on {m['n_train']} molecules ({m['n_fit']} fitted, {m['n_val']} for early stopping, "
          f"{m['n_cal']} for calibration, {other} merged duplicates or unusable), {start}, tested on {m['n_test']}: "
          f"{res.train_seconds:.0f} s")
    print(f"test RMSE {m['rmse']:.3f}  RMSE_cliff {m['rmse_cliff']:.3f}  R2 {m['r2']:.3f}  "
          f"Spearman {m['spearman']:.3f}  (units: -log10(Ki/nM), i.e. pKi - 9)")
    print(f"model: {res.model_dir}   test predictions: {res.model_dir.parent / 'test_predictions.csv'}")
    if res.screen is not None:
        _print_screen(res)
    print(f"total {res.seconds:.0f} s: training {res.train_seconds:.0f} s, screening {res.screen_seconds:.0f} s "
          f"(CPU time: training {res.train_cpu_seconds:.0f} s, screening "
          f"{res.cpu_seconds - res.train_cpu_seconds:.0f} s over {_cores()} cores)")
    print(f"next: molpred predict {res.model_dir} my_compounds.csv --out predictions.csv")
    print(f"      molpred screen {res.model_dir} my_library.smi --out my_screen --filters pains,lipinski")
    return 0


def _cores() -> int:
    import os

    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def _hit_table(hits, pred: str):
    """Rank, id, prediction with interval, concentration (nM), domain flag, similarity, SMILES."""
    import pandas as pd

    from molpred.labels import format_nanomolar, potency_kind, to_nanomolar

    kind = (potency_kind(pred) or ("value", 0))[0]
    out = pd.DataFrame({"rank": hits["rank"], "id": hits.get("id", "")})
    out[pred] = hits[pred].map(lambda v: f"{v:.2f}")
    if f"{pred}_lo" in hits and f"{pred}_hi" in hits:
        out["interval"] = [f"[{lo:.1f}, {hi:.1f}]" for lo, hi in zip(hits[f"{pred}_lo"], hits[f"{pred}_hi"])]
    out[f"{kind} (pred.)"] = [format_nanomolar(to_nanomolar(pred, v)) if to_nanomolar(pred, v) is not None else ""
                              for v in hits[pred]]
    for c in ("in_domain", "max_sim_train"):
        if c in hits:
            out[c] = hits[c].map(lambda v: f"{v:.2f}" if isinstance(v, float) else v)
    out["smiles"] = hits["smiles"].astype(str).map(lambda x: x if len(x) <= 60 else x[:57] + "...")
    return out


def _print_screen(res) -> None:
    """The screen's row accounting, its in-domain hits and, apart, the best out-of-domain ones."""
    import pandas as pd

    s = res.screen
    counts = ", ".join(f"{k} {v}" for k, v in s.counts.items() if v)
    print(f"\nscreened {s.n_rows} bundled compounds of 29 other MoleculeACE targets ({counts}) "
          f"in {res.screen_seconds:.0f} s ({s.rows_per_second:.0f} mol/s with PAINS and Lipinski filters)")
    pred = res.target
    with pd.option_context("display.width", 220, "display.max_colwidth", 70):
        top = s.top_hits.head(10)
        if s.rank == "domain":
            print(f"top {len(top)} inside the model's applicability domain, by predicted {pred} "
                  "(higher binds tighter):")
        else:
            print(f"top {len(top)} by predicted {pred} (higher binds tighter; in_domain False: unlike the "
                  "training compounds, trust less):")
        print(_hit_table(top, pred).to_string(index=False) if len(top) else "  (none)")
        ood = s.out_of_domain_hits
        if ood is not None and len(ood):
            print(f"\nlisted apart: the best {min(5, len(ood))} of {s.n_hits_out_of_domain} out-of-domain "
                  "compounds (unlike every training compound: their predictions are extrapolations):")
            print(_hit_table(ood.head(5), pred).to_string(index=False))
    pages = sorted(p.name for p in __import__("pathlib").Path(s.out).glob("top_hits*.png"))
    print(f"hits: {s.out}/top_hits.csv   pictures: {', '.join(pages) or '(none)'}   "
          f"out of domain: {s.out}/top_hits_out_of_domain.csv   every row: {s.out}/shards/")
