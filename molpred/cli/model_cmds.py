"""``molpred train | predict | evaluate | list``."""

from __future__ import annotations

import json
import sys


def _print_metrics(title: str, metrics: dict) -> None:
    mean = metrics.get("mean", {})
    shown = ", ".join(f"{k}={v:.4f}" for k, v in mean.items() if v is not None)
    print(f"{title}: {shown}")


def training_controls(args) -> dict:
    """``train_table`` keywords from the training-control flags (only the ones given)."""
    params = {k: getattr(args, k) for k in ("lr", "hidden_size", "depth", "dropout", "patience",
                                            "cliff_weight", "cliff_lower", "cliff_upper")
              if getattr(args, k, None) is not None}
    fractions = None
    if getattr(args, "split_fractions", None):
        try:
            fractions = tuple(float(x) for x in args.split_fractions.split(","))
        except ValueError:
            raise ValueError(f"--split-fractions needs three numbers like 0.8,0.1,0.1, got {args.split_fractions!r}") from None
        if len(fractions) != 3 or min(fractions) < 0 or abs(sum(fractions) - 1.0) > 1e-6:
            raise ValueError(f"--split-fractions needs three non-negative numbers summing to 1, got {args.split_fractions!r}")
    if getattr(args, "val_fraction", None) is not None:
        vf = args.val_fraction
        test = fractions[2] if fractions else 0.1
        if not 0.0 <= vf < 1.0 - test:
            raise ValueError(f"--val-fraction must be in [0, {1.0 - test:.2f}), got {vf}")
        if fractions and abs(fractions[1] - vf) > 1e-9:
            raise ValueError("--val-fraction and --split-fractions disagree on the validation fraction")
        fractions = (1.0 - vf - test, vf, test)
        params["val_fraction"] = vf
    if fractions is not None:
        params["fractions"] = fractions
    if getattr(args, "no_standardize", False):
        params["standardize"] = False
    if getattr(args, "weight_col", None):
        params["weight_col"] = args.weight_col
    if getattr(args, "class_weight", None):
        params["class_weight"] = args.class_weight
    if getattr(args, "kernel", "tanimoto") != "tanimoto":
        params["kernel"] = args.kernel
    if getattr(args, "members", None):
        params["members"] = tuple(m.strip() for m in args.members.split(",") if m.strip())
    if getattr(args, "cv_folds", None) is not None:
        params["cv_folds"] = args.cv_folds
    if getattr(args, "loss", "mse") != "mse":
        params["loss"] = args.loss
    if getattr(args, "features", None):
        params["features"] = list(args.features)
    return params


def cmd_train(args) -> int:
    from molpred.data.tables import read_table
    from molpred.workflow import train_table

    frame = read_table(args.data)
    outcome = train_table(
        frame, args.smiles_col, args.target, task=args.task, split=args.split, model=args.model,
        seed=args.seed, out=args.out, path=args.data, epochs=args.epochs, batch_size=args.batch_size,
        ensemble=args.ensemble, uncertainty=args.uncertainty, device=args.device,
        applicability_domain=not args.no_domain, progress=_progress(args), duplicates=args.duplicates,
        max_heavy_atoms=args.max_heavy_atoms, require_carbon=args.require_carbon,
        calibration_fraction=args.calibration_fraction, calibration_split=args.calibration_split,
        **training_controls(args),
        pretrained=None if str(args.pretrained).lower() == "none" else args.pretrained, init_from=args.init_from,
        freeze_encoder=True if args.freeze_encoder == -1 else args.freeze_encoder,
    )
    print(_split_line(args.split, outcome.labelled_sizes, outcome.split_sizes) + f"; trained in {outcome.seconds:.1f} s")
    dup = outcome.metrics.get("duplicates", {})
    if dup.get("n_groups"):
        print(f"duplicates ({dup['policy']}): {dup['n_groups']} molecules occurred more than once in training, "
              f"{dup['n_conflicting']} with conflicting labels (details in metrics.json)")
    if getattr(outcome.estimator, "stack_members_", None):
        print(_stack_line(outcome.estimator))
    if "test" in outcome.metrics:
        _print_metrics("test", outcome.metrics["test"])
    if outcome.baseline is not None:
        print(_baseline_line(outcome.baseline))
    extra = ", ".join(f"{k} in {v}" for k, v in (outcome.files or {}).items())
    print(f"model written to {args.out} (metrics in {args.out}/metrics.json{', ' + extra if extra else ''})")
    return 0


def _stack_line(est) -> str:
    """``stack (5-fold CV): gp-minmax 0.62 (CV RMSE 0.651), ...; dropped: mlp (0.702)`` for ``--model auto``."""
    cands = est.cv_scores_["candidates"]
    metric = "CV RMSE" if est._task == "regression" else "CV root Brier"

    def item(name: str) -> str:
        c = cands[name]
        return f"{name} {c['weight'][0]:.2f} ({metric} {c['cv_rmse'][0]:.3f})"

    kept = ", ".join(item(n) for n in est.stack_members_)
    dropped = [n for n in cands if n not in est.stack_members_]
    line = f"stack ({est.cv_scores_['cv_folds']}-fold CV, first target): {kept}"
    if dropped:
        line += "; dropped: " + ", ".join(item(n) for n in dropped)
    return line + f"; stack {metric} {est.cv_scores_['stack_cv_rmse'][0]:.3f}"


def _progress(args) -> bool:
    """Progress bar with per-epoch losses: on a terminal, or when asked (``--progress``)."""
    return bool(getattr(args, "progress", False)) or sys.stderr.isatty()


def _split_line(split: str, labelled: dict, rows: dict) -> str:
    """``split scaffold: train 1740 / val 229 / test 204 labelled molecules (of 2816 / 352 / 353 rows)``."""
    used = " / ".join(f"{k} {v}" for k, v in labelled.items())
    line = f"split {split}: {used} labelled molecules"
    if labelled != rows:
        line += " (of " + " / ".join(str(v) for v in rows.values()) + " rows; unlabelled or unparsable rows unused)"
    return line


def _baseline_line(baseline: dict) -> str:
    """What a model that knows nothing scores on the same test set."""
    shown = ", ".join(f"{k}={v:.4f}" for k, v in baseline["mean"].items() if v is not None)
    return f"baseline ({baseline['rule']}): {shown}"


def cmd_predict(args) -> int:
    import molpred
    from molpred.workflow import predict_file

    est = molpred.load(args.model_dir)
    result = predict_file(est, args.input, args.out, args.smiles_col)
    counts = result["status"].value_counts().to_dict()
    print(f"{len(result)} rows written to {args.out}; status counts: {counts}")
    return 0


def cmd_evaluate(args) -> int:
    from pathlib import Path

    import molpred
    from molpred.data.tables import read_table, write_table
    from molpred.workflow import evaluate_table

    est = molpred.load(args.model_dir)
    frame = read_table(args.data)
    metrics, preds = evaluate_table(est, frame, args.smiles_col, args.target, path=args.data)
    _print_metrics("metrics", metrics)
    print(json.dumps(metrics["per_target"], indent=2))
    if "uncertainty" in metrics:
        print("uncertainty: " + json.dumps(metrics["uncertainty"], indent=2))
    if args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        write_table(preds, out / "predictions.csv")
        (out / "metrics.json").write_text(json.dumps(metrics, indent=2))
        try:
            from molpred.plots import evaluation_plots

            for p in evaluation_plots(est, frame, preds, args.target, out):
                print(f"plot written: {p}")
        except ImportError:
            pass
    return 0


def cmd_list(args) -> int:
    what = args.what
    if what == "models":
        from molpred.estimators import list_models as names
    elif what == "featurizers":
        from molpred.featurize.registry import list_featurizers as names
    elif what == "features":
        from molpred.featurize.molecule_features import list_molecule_features as names
    elif what == "splits":
        from molpred.data.splits import list_splits as names
    elif what == "datasets":
        from molpred.datasets import list_datasets as names
    elif what == "filters":
        from molpred.chem.filters import list_filters as names
    elif what == "pretrained":
        from molpred.pretrain.bundle import list_pretrained as names
    else:
        from molpred.campaign.acquisition import list_acquisitions as names
    for name in names():
        print(name)
    return 0
