"""``molpred quickstart``."""

from __future__ import annotations

import sys


def cmd_quickstart(args) -> int:
    from molpred.quickstart import run_quickstart

    print(f"molpred quickstart: training a {args.model} on bundled MoleculeACE {args.target} "
          f"(shipped train/test split, {args.epochs} epochs) ...", flush=True)
    res = run_quickstart(args.out, args.target, args.model, args.epochs, progress=sys.stderr.isatty())
    m = res.metrics
    print(f"train {m['n_train']} / test {m['n_test']} molecules, {res.seconds:.0f} s")
    print(f"test RMSE {m['rmse']:.3f}  RMSE_cliff {m['rmse_cliff']:.3f}  R2 {m['r2']:.3f}  "
          f"Spearman {m['spearman']:.3f}  (units: -log10(Ki/nM))")
    print(f"model: {res.model_dir}   test predictions: {res.model_dir.parent / 'test_predictions.csv'}")
    print(f"next: molpred predict {res.model_dir} my_compounds.csv --out predictions.csv")
    return 0
