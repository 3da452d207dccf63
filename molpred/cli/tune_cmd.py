"""``molpred tune``: hyperparameter search with Optuna (calls ``molpred.tuning.tune_table``)."""

from __future__ import annotations


def register(sub) -> None:
    p = sub.add_parser("tune", help="search a model's hyperparameters by cross-validation on the training rows "
                       "(Optuna: seeded TPE, pruning, resumable SQLite study); writes the refitted best model, "
                       "study.csv, best_params.json and optimization_history.png")
    p.add_argument("--data", required=True, help="CSV/TSV/SMI/SDF/Parquet file (optionally .gz)")
    p.add_argument("--smiles-col", default=None, help="SMILES column (default: guessed)")
    p.add_argument("--target", action="append", required=True, help="target column (repeatable)")
    p.add_argument("--task", choices=["regression", "classification"], default="regression")
    p.add_argument("--model", default="dmpnn", help="dmpnn | gine | attentivefp | mlp | svr | gp | rf")
    p.add_argument("--out", required=True, help="directory for the refitted model and the study files")
    p.add_argument("--n-trials", type=int, default=20, help="trials to run now (0: until --timeout)")
    p.add_argument("--timeout", type=float, default=None, help="seconds after which no new trial starts")
    p.add_argument("--cv", type=int, default=3, help="cross-validation folds per trial")
    p.add_argument("--cv-split", choices=["random", "scaffold"], default="random",
                   help="folds over random molecules or whole Bemis-Murcko scaffolds")
    p.add_argument("--split", default="none",
                   help="none (every row trains) | random | scaffold | cluster | column:NAME | time:NAME: "
                        "the test part is never searched on, only scored once by the refitted model")
    p.add_argument("--storage", default=None, metavar="URL",
                   help="Optuna storage, e.g. sqlite:///study.db; running again continues the study")
    p.add_argument("--study-name", default=None, help="study name in the storage (default molpred-<model>)")
    p.add_argument("--pruner", choices=["median", "halving", "none"], default="median",
                   help="stop trials that are behind after a fold")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--epochs", type=int, default=50, help="maximum epochs of every network fit")
    p.add_argument("--patience", type=int, default=15, help="early-stopping patience of every network fit")
    p.add_argument("--kernel", choices=["tanimoto", "minmax", "multi"], default=None,
                   help="svr/gp: fix the similarity instead of searching it")
    p.add_argument("--device", default="auto", help="auto | cpu | cuda")
    p.add_argument("--quiet", action="store_true", help="no line per trial")


def cmd_tune(args) -> int:
    from molpred.data.tables import read_table
    from molpred.tuning.table import tune_table

    if args.n_trials < 0 or (args.n_trials == 0 and args.timeout is None):
        raise ValueError("--n-trials must be positive, or 0 with --timeout")
    fixed = {"epochs": args.epochs, "patience": args.patience, "device": args.device}
    if args.kernel is not None:
        fixed["kernel"] = args.kernel
    frame = read_table(args.data)
    outcome = tune_table(
        frame, args.smiles_col, args.target, task=args.task, model=args.model, split=args.split, seed=args.seed,
        out=args.out, path=args.data, n_trials=args.n_trials or None, timeout=args.timeout, cv=args.cv,
        cv_split=args.cv_split, storage=args.storage, study_name=args.study_name, pruner=args.pruner,
        progress=not args.quiet, fixed=("kernel",) if args.kernel else (), **fixed,
    )
    res = outcome.result
    s = res.summary()
    states = ", ".join(f"{v} {k.lower()}" for k, v in s["trial_states"].items())
    print(f"study {res.study_name!r}: {s['n_trials']} trials ({states}), {res.n_new_trials} run now on "
          f"{outcome.n_tune_rows} training rows, {s['cv']}-fold {s['cv_split']} CV; "
          f"{s['trials_cpu_seconds']:.0f} CPU s in trials")
    best = "the estimator's defaults" if not res.best_params else ", ".join(
        f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in res.best_params.items())
    print(f"best: cross-validated {res.metric} {res.best_value:.4f} with {best}")
    if outcome.test_metrics is not None:
        test = outcome.test_metrics["test"]["mean"]
        base = outcome.test_metrics["baseline"]
        print(f"test ({outcome.test_metrics['n_test_rows']} rows, never searched on): "
              + ", ".join(f"{k}={v:.4f}" for k, v in test.items() if v is not None)
              + f"; baseline ({base['rule']}): "
              + ", ".join(f"{k}={v:.4f}" for k, v in base["mean"].items() if v is not None))
    print(f"model written to {args.out} (study.csv, best_params.json, optimization_history.png beside it)")
    return 0
