"""``molpred pretrain``: pretrain a graph encoder on unlabelled SMILES (calls ``molpred.pretrain``)."""

from __future__ import annotations

import sys


def register(sub) -> None:
    p = sub.add_parser("pretrain", help="pretrain a graph encoder to regress RDKit descriptors of unlabelled "
                       "molecules; writes checkpoints and an encoder bundle (encoder.safetensors + encoder.json)")
    p.add_argument("--data", required=True, help="SMILES file (.smi, .csv[.gz] with a SMILES column, .parquet...)")
    p.add_argument("--out", required=True, help="run directory (cache, checkpoints, log, encoder bundle)")
    p.add_argument("--objective", default="descriptors", choices=["descriptors"])
    p.add_argument("--model", default="dmpnn", help="encoder architecture (molpred list models)")
    p.add_argument("--max-molecules", type=int, default=None, help="use the first N rows of --data")
    p.add_argument("--epochs", type=int, default=1, help="total epochs (raise it with --resume to continue)")
    p.add_argument("--resume", action="store_true", help="continue the run in --out from its latest checkpoint")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--hidden-size", type=int, default=None)
    p.add_argument("--depth", type=int, default=None)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--chunk-size", type=int, default=10_000, help="molecules per descriptor shard")
    p.add_argument("--jobs", type=int, default=1, help="processes for the descriptor pass")
    p.add_argument("--checkpoint-every", type=int, default=500, help="steps between checkpoints")
    p.add_argument("--log-every", type=int, default=50, help="steps between log lines")
    p.add_argument("--max-steps", type=int, default=None, help="stop (resumably) after this many steps in total")
    p.add_argument("--no-exclude", action="store_true",
                   help="do not exclude benchmark molecules (MoleculeACE, MoleculeNet, TDC, AqSolDB, Biogen)")


def cmd_pretrain(args) -> int:
    from molpred.pretrain import pretrain

    state = pretrain(
        args.data, args.out, arch=args.model, objective=args.objective, max_molecules=args.max_molecules,
        epochs=args.epochs, resume=args.resume, seed=args.seed, hidden_size=args.hidden_size, depth=args.depth,
        batch_size=args.batch_size, lr=args.lr, chunk_size=args.chunk_size, n_jobs=args.jobs,
        checkpoint_every=args.checkpoint_every, log_every=args.log_every,
        exclude_benchmarks=not args.no_exclude, progress=sys.stderr.isatty(), max_steps=args.max_steps,
    )
    done = "finished" if state["finished"] else "stopped (resume with --resume)"
    print(f"{done}: {state['epoch']} epochs, {state['step']} steps, {state['molecules_seen']} molecules seen, "
          f"{state['wall_seconds']:.0f} s of training; run in {args.out}")
    return 0
