"""``molpred`` command line: argument parsing only; every command calls the Python API.

Heavy libraries (torch, RDKit, DeepChem) are imported inside the command handlers, so
``molpred --help`` answers at once.
"""

from __future__ import annotations

import argparse
import os
import sys

from molpred import __version__

COMMANDS = {
    "train": "molpred.cli.model_cmds",
    "predict": "molpred.cli.model_cmds",
    "evaluate": "molpred.cli.model_cmds",
    "list": "molpred.cli.model_cmds",
    "quickstart": "molpred.cli.quickstart",
}
# commands whose modules define their own parser: register(subparsers) + cmd_<name>(args);
# these modules import nothing heavy at load time
EXTRA_COMMANDS = {
    "explain": "molpred.cli.explain_cmd",
    "bench": "molpred.cli.bench_cmd",
    "screen": "molpred.cli.screen_cmd",
    "campaign": "molpred.cli.campaign_cmd",
    "pretrain": "molpred.cli.pretrain_cmd",
    "tune": "molpred.cli.tune_cmd",
}


def _add_train(sub) -> None:
    p = sub.add_parser("train", help="train a model on a table and write a model directory")
    p.add_argument("--data", required=True, help="CSV/TSV/SMI/SDF/Parquet file (optionally .gz)")
    p.add_argument("--smiles-col", default=None, help="SMILES column (default: guessed)")
    p.add_argument("--target", action="append", required=True, help="target column (repeatable)")
    p.add_argument("--task", choices=["regression", "classification"], default="regression")
    p.add_argument("--split", default="scaffold", help="random | scaffold | cluster | column:NAME | time:NAME")
    p.add_argument("--model", default="dmpnn",
                   help="dmpnn | gine | attentivefp | mlp | svr | gp | rf | auto (molpred list models)")
    p.add_argument("--out", required=True, help="model directory to write")
    p.add_argument("--epochs", type=int, default=50)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--ensemble", type=int, default=1, help="number of independently seeded networks")
    p.add_argument("--uncertainty", choices=["ensemble", "dropout", "mve"], default=None)
    p.add_argument("--device", default="auto", help="auto | cpu | cuda")
    p.add_argument("--no-domain", action="store_true",
                   help="do not store training fingerprints (no applicability-domain columns)")
    p.add_argument("--duplicates", choices=["merge", "keep", "error"], default="merge",
                   help="rows that standardise to one molecule: merge labels (default), keep all, or refuse")
    p.add_argument("--max-heavy-atoms", type=int, default=None,
                   help="refuse molecules with more heavy atoms (default: no limit; 150 was the old limit)")
    p.add_argument("--require-carbon", action="store_true",
                   help="refuse molecules without carbon (inorganic), as molpred did before")
    p.add_argument("--calibration-fraction", type=float, default=0.1,
                   help="share of the training part held out to calibrate intervals/probabilities "
                        "(0: calibrate on the early-stopping set)")
    p.add_argument("--calibration-split", choices=["random", "scaffold", "cluster"], default=None,
                   help="how the calibration set is drawn (default: like --split when scaffold or cluster, else random)")
    g = p.add_argument_group("training controls (defaults: the estimator's)")
    g.add_argument("--lr", type=float, default=None, help="peak learning rate (default 1e-3)")
    g.add_argument("--hidden-size", type=int, default=None, help="encoder width (default: per architecture)")
    g.add_argument("--depth", type=int, default=None, help="message-passing steps (default: per architecture)")
    g.add_argument("--dropout", type=float, default=None, help="dropout probability (default 0)")
    g.add_argument("--patience", type=int, default=None, help="early-stopping patience in epochs (default 15; 0 = off)")
    g.add_argument("--split-fractions", default=None, metavar="TRAIN,VAL,TEST",
                   help="split fractions (default 0.8,0.1,0.1)")
    g.add_argument("--val-fraction", type=float, default=None,
                   help="validation fraction (early stopping, calibration); the test fraction stays, train shrinks")
    g.add_argument("--no-standardize", action="store_true",
                   help="read SMILES as given (no fragment stripping/neutralisation)")
    g.add_argument("--weight-col", default=None, help="column of non-negative sample weights")
    g.add_argument("--class-weight", choices=["balanced"], default=None,
                   help="classification: weight classes inversely to their frequency")
    g.add_argument("--kernel", choices=["tanimoto", "minmax", "multi"], default="tanimoto",
                   help="svr/gp similarity: Tanimoto on ECFP4 bits, MinMax on ECFP4 counts, or the mean "
                        "MinMax of ECFP4, atom-pair and torsion counts (multi)")
    g.add_argument("--members", default=None, metavar="NAME,NAME",
                   help="--model auto: stack candidates (default gp-minmax,svr-minmax,mlp; also svr, gp, rf, gine...)")
    g.add_argument("--cv-folds", type=int, default=None, help="--model auto: stacking folds (default 5)")
    g.add_argument("--loss", choices=["mse", "mae", "huber", "censored"], default="mse",
                   help="regression loss; 'censored' reads qualified labels such as '>10 uM' or '<5'")
    g.add_argument("--cliff-weight", type=float, default=None, metavar="W",
                   help="regression networks: weight of the activity-cliff triplet term (ACANet-style; default 0 = off)")
    g.add_argument("--cliff-lower", type=float, default=None, metavar="DY",
                   help="cliff term: label difference under which two molecules count as alike (default 0.2)")
    g.add_argument("--cliff-upper", type=float, default=None, metavar="DY",
                   help="cliff term: label difference from which two molecules count as a cliff (default 1.0)")
    g.add_argument("--features", nargs="+", default=None, metavar="NAME",
                   help="molecule-level features beside the graph, at the readout: morgan_count, rdkit2d "
                        "(molpred list features)")
    p.add_argument("--progress", action="store_true",
                   help="progress bar with per-epoch losses even when stderr is not a terminal")
    p.add_argument("--pretrained", default="auto", metavar="NAME|DIR|auto|none",
                   help="start the encoder from a pretrained bundle (molpred list pretrained, or a molpred pretrain dir); "
                        "default auto: molpred-base for a dmpnn of its sizes on <= 5,000 training molecules; "
                        "none: from scratch")
    p.add_argument("--freeze-encoder", nargs="?", const=-1, type=int, default=0, metavar="EPOCHS",
                   help="keep the encoder fixed (all epochs, or only the first EPOCHS) and train the head")
    p.add_argument("--init-from", default=None, metavar="MODEL_DIR",
                   help="start the encoder from another molpred model directory")


def _add_predict(sub) -> None:
    p = sub.add_parser("predict", help="predict every row of a file (one output row per input row)")
    p.add_argument("model_dir")
    p.add_argument("input")
    p.add_argument("--out", required=True, help="output .csv or .parquet")
    p.add_argument("--smiles-col", default=None)


def _add_evaluate(sub) -> None:
    p = sub.add_parser("evaluate", help="score a model on a labelled file")
    p.add_argument("model_dir")
    p.add_argument("data")
    p.add_argument("--target", action="append", default=None, help="target column(s); default: model's names")
    p.add_argument("--smiles-col", default=None)
    p.add_argument("--out", default=None, help="optional directory for predictions, metrics and plots")


def _add_list(sub) -> None:
    p = sub.add_parser("list", help="list the names of models, featurizers, splits, data sets...")
    p.add_argument("what", choices=["models", "featurizers", "features", "splits", "datasets", "filters",
                                         "acquisitions", "pretrained"])


def _add_quickstart(sub) -> None:
    from molpred.cli.quickstart import register_options

    p = sub.add_parser("quickstart", help="train on bundled real data (MoleculeACE CHEMBL204_Ki, thrombin), report "
                       "test metrics, then screen other bundled compounds and show the top hits (about 2 minutes)")
    register_options(p)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="molpred",
        description="Graph neural networks for molecular properties: train, predict, screen.",
    )
    parser.add_argument("--version", action="version", version=f"molpred {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for add in (_add_train, _add_predict, _add_evaluate, _add_list, _add_quickstart):
        add(sub)
    import importlib

    for module in EXTRA_COMMANDS.values():
        importlib.import_module(module).register(sub)
    from molpred.cli.help import DefaultsFormatter

    for command in sub.choices.values():  # show defaults in every command's --help
        if command.formatter_class is argparse.HelpFormatter:
            command.formatter_class = DefaultsFormatter
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``molpred`` console script; returns the exit code."""
    import importlib

    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    _one_line_warnings()
    from molpred.exceptions import MolpredError

    module = importlib.import_module({**COMMANDS, **EXTRA_COMMANDS}[args.command])
    handler = getattr(module, f"cmd_{args.command.replace('-', '_')}")
    try:
        return int(handler(args) or 0)
    except (MolpredError, ValueError, FileNotFoundError, PermissionError, IsADirectoryError) as exc:
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        print(f"molpred {args.command}: error: {message}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into `head` and closed early
        return 0
    except KeyboardInterrupt:
        print(_interrupted_message(args), file=sys.stderr)
        return 130


def _one_line_warnings() -> None:
    """Python warnings as ``molpred: warning: <message>``, without source path and code line."""
    import warnings

    def show(message, category, filename, lineno, file=None, line=None):
        text = str(message).strip().splitlines()[0] if str(message).strip() else category.__name__
        print(f"molpred: warning: {text}", file=file or sys.stderr)

    warnings.showwarning = show


def _interrupted_message(args) -> str:
    """What an interrupt (Ctrl-C) left behind and how to continue."""
    if args.command == "screen":
        return (f"interrupted: finished chunks are saved in {args.out}; run the same command with --resume "
                "to continue where it stopped")
    if args.command == "tune" and getattr(args, "storage", None):
        return (f"interrupted: finished trials are kept in {args.storage}; run the same command to continue "
                "the study")
    return "interrupted"


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
