"""``molpred train | predict | evaluate | list``."""

from __future__ import annotations

import json
import sys


def _print_metrics(title: str, metrics: dict) -> None:
    mean = metrics.get("mean", {})
    shown = ", ".join(f"{k}={v:.4f}" for k, v in mean.items() if v is not None)
    print(f"{title}: {shown}")


def cmd_train(args) -> int:
    from molpred.data.tables import read_table
    from molpred.workflow import train_table

    frame = read_table(args.data)
    outcome = train_table(
        frame, args.smiles_col, args.target, task=args.task, split=args.split, model=args.model,
        seed=args.seed, out=args.out, path=args.data, epochs=args.epochs, batch_size=args.batch_size,
        ensemble=args.ensemble, uncertainty=args.uncertainty, device=args.device,
        applicability_domain=not args.no_domain, progress=sys.stderr.isatty(),
        pretrained=args.pretrained, init_from=args.init_from,
        freeze_encoder=True if args.freeze_encoder == -1 else args.freeze_encoder,
    )
    print(f"split {args.split}: {outcome.split_sizes}; trained in {outcome.seconds:.1f} s")
    if "test" in outcome.metrics:
        _print_metrics("test", outcome.metrics["test"])
    print(f"model written to {args.out} (metrics in {args.out}/metrics.json)")
    return 0


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
        from molpred.nn.model import list_models as names
    elif what == "featurizers":
        from molpred.featurize.registry import list_featurizers as names
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
