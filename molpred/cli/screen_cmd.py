"""``molpred screen MODEL_DIR [MODEL_DIR ...] LIBRARY --out RESULTS_DIR``.

Only argument parsing; the work is :func:`molpred.screen.screen` (imported when the command
runs, so ``molpred --help`` stays fast).
"""

from __future__ import annotations

import argparse

from molpred.cli.help import DefaultsRawFormatter

_EPILOG = """\
score expressions (--score), comma-separated terms:
  COLUMN[:max|min[:WEIGHT[:z|raw]]]   e.g. pki:max:1.0,logs:max:0.5
  desirability:COLUMN:A:B[:WEIGHT]    0 at A, 1 at B, linear between, e.g. desirability:logs:-6:-2
  COLUMN is a model target (or <model>.<target> if two models share it), <target>_std, _lo, _hi,
  max_sim_train, or a property (qed, mw, clogp, tpsa, hbd, hba, rotb, ...). Regression targets are
  z-scored with the model's training-label mean and std by default (raw for everything else);
  score = sum of weight * term. Default: the first model's first target, higher is better.
filters (--filters): pains, brenk, lipinski[:N], veber, PROPERTY:LO-HI (e.g. mw:200-500).
ranking (--rank): domain (default) ranks molecules inside every model's applicability domain
  first (top_hits.csv, top_hits.png) and lists the best out-of-domain ones apart
  (top_hits_out_of_domain.csv): a molecule unlike anything the model was trained on can get an
  extrapolated, meaningless top score. raw: one list by score alone.
outputs: RESULTS_DIR/shards/part-*.parquet (one row per library row, with status/error),
  summary.json, top_hits.csv, top_hits.png (48 hits a page: top_hits_2.png...),
  top_hits_out_of_domain.csv, manifest.json (checked by --resume).
"""



def register(sub) -> argparse.ArgumentParser:
    """Add the ``screen`` subcommand to ``sub`` (an argparse subparsers object)."""
    p = sub.add_parser(
        "screen",
        help="rank a compound library (millions of rows) with one or more models; streaming, resumable",
        description="Predict, filter and rank every molecule of a library. "
        "Rows are processed in chunks by worker processes and written as Parquet shards, "
        "so memory stays flat and an interrupted run can be resumed.",
        epilog=_EPILOG,
        formatter_class=DefaultsRawFormatter,
    )
    p.add_argument("models", nargs="+", metavar="MODEL_DIR", help="model directory (one or more)")
    p.add_argument("library", metavar="LIBRARY", help=".smi, .csv, .tsv, .parquet or .sdf, optionally .gz")
    p.add_argument("--out", required=True, help="results directory")
    p.add_argument("--top", type=int, default=100, help="number of hits in top_hits.csv")
    p.add_argument("--score", default=None, help="ranking expression (see below)")
    p.add_argument("--filters", default=None, help="e.g. pains,brenk,lipinski,veber,mw:200-500")
    p.add_argument("--diversity", type=float, default=None, metavar="THRESH",
                   help="no two hits with ECFP4 Tanimoto >= THRESH (e.g. 0.6)")
    p.add_argument("--resume", action="store_true", help="continue an interrupted screen in --out")
    p.add_argument("--overwrite", action="store_true", help="delete earlier results in --out first")
    p.add_argument("--engine", choices=["local", "ray"], default="local")
    p.add_argument("--workers", type=int, default=None, help="worker processes or Ray actors (default: CPUs)")
    p.add_argument("--chunk-size", type=int, default=None,
                   help="rows per chunk and shard (default 2000, or the resumed screen's; the first chunk is at "
                        "most 500 rows, so work is saved early)")
    p.add_argument("--ray-address", default=None, help="existing Ray cluster (with --engine ray)")
    p.add_argument("--smiles-col", default=None, help="SMILES column of CSV/TSV/Parquet libraries")
    p.add_argument("--id-col", default=None, help="identifier column to carry into the results")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--no-image", action="store_true", help="do not draw top_hits.png")
    p.add_argument("--precision", choices=["auto", "fp32", "bf16"], default="auto",
                   help="network arithmetic: auto = mixed on CUDA, fp32 on CPU; bf16 is faster on AMX CPUs")
    p.add_argument("--hits-in-domain", action="store_true",
                   help="rank only molecules inside every model's applicability domain (no out-of-domain list)")
    p.add_argument("--rank", choices=["domain", "raw"], default="domain",
                   help="domain: in-domain molecules first, out-of-domain listed apart; raw: by score alone")
    return p


def cmd_screen(args) -> int:
    """Run the screen described by the parsed ``args``; prints a short report."""
    from molpred.screen import screen

    summary = screen(
        args.models, args.library, args.out, top_k=args.top, score=args.score, filters=args.filters,
        diversity=args.diversity, resume=args.resume, overwrite=args.overwrite, engine=args.engine,
        workers=args.workers, chunk_size=args.chunk_size, ray_address=args.ray_address,
        smiles_col=args.smiles_col, id_col=args.id_col,
        progress=False if args.no_progress else None, image=not args.no_image, precision=args.precision,
        hits_in_domain=args.hits_in_domain, rank=args.rank,
    )
    counts = ", ".join(f"{k}={v}" for k, v in summary.counts.items() if v)
    resumed = f" ({summary.n_chunks_resumed} of {summary.n_chunks} chunks from an earlier run)" if summary.n_chunks_resumed else ""
    print(f"{summary.n_rows} rows screened in {summary.seconds:.1f} s{resumed}; {counts}")
    if summary.rank == "domain":
        print(f"score: {summary.score}; {summary.n_hits} in-domain hits written to {summary.out}/top_hits.csv, "
              f"the best {summary.n_hits_out_of_domain} out-of-domain molecules to "
              f"{summary.out}/top_hits_out_of_domain.csv (--rank raw: one list by score)")
    else:
        print(f"score: {summary.score}; {summary.n_hits} hits written to {summary.out}/top_hits.csv")
    return 0
