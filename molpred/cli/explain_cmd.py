"""``molpred explain``: per-atom attribution pictures and tables for a file of molecules."""

from __future__ import annotations


def register(sub) -> None:
    """Add the ``explain`` subcommand to an ``argparse`` subparsers object."""
    p = sub.add_parser(
        "explain",
        help="per-atom attributions (integrated gradients): one picture per molecule plus tables",
        description="Write DIR/mol_00001.png (one per input row; orange atoms raise the prediction, "
        "blue atoms lower it), DIR/molecules.csv (one row per input row) and DIR/atom_scores.csv "
        "(one row per atom).",
    )
    p.add_argument("model_dir")
    p.add_argument("input", help="CSV/TSV/SMI/SDF/Parquet file (optionally .gz)")
    p.add_argument("--out", required=True, help="output directory")
    p.add_argument("--smiles-col", default=None, help="SMILES column (default: guessed)")
    p.add_argument("--target", default=None, help="target to explain (needed for multi-target models)")
    p.add_argument("--format", dest="fmt", choices=["png", "svg", "both", "none"], default="png",
                   help="picture format (default png)")
    p.add_argument("--max", dest="max_rows", type=int, default=None, metavar="N",
                   help="explain only the first N rows")
    p.add_argument("--steps", type=int, default=50, help="integrated-gradients steps (default 50)")
    p.add_argument("--id-col", action="append", default=None, metavar="COLUMN",
                   help="input column carried into molecules.csv, the first also into the captions "
                   "(repeatable; default: columns named id, name, compound_id, title...)")


def cmd_explain(args) -> int:
    import molpred
    from molpred.explain.report import explain_file

    est = molpred.load(args.model_dir)
    result = explain_file(est, args.input, args.out, smiles_col=args.smiles_col, target=args.target,
                          fmt=args.fmt, max_rows=args.max_rows, n_steps=args.steps, id_cols=args.id_col)
    mols = result.molecules
    counts = mols["status"].value_counts().to_dict()
    n_images = int(((mols["image_png"] != "") | (mols["image_svg"] != "")).sum())
    print(f"{len(mols)} rows explained ({counts}); {n_images} pictures, molecules.csv and "
          f"atom_scores.csv written to {args.out}")
    return 0
