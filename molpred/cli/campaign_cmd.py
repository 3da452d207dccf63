"""``molpred campaign init|next|add-results|status|simulate``: the active-learning loop.

Argument parsing only; every command calls :mod:`molpred.campaign`. Heavy imports happen
inside the handlers.
"""

from __future__ import annotations

import argparse
import sys

__all__ = ["register", "cmd_campaign"]

SURROGATE_CHOICES = ("graph-ensemble", "fingerprint", "gp", "nn-ensemble", "molpal-nn", "molpal-rf", "molpal-mpn")
ACQUISITION_CHOICES = ("greedy", "ucb", "ei", "pi", "thompson", "random")


def _add_settings(p: argparse.ArgumentParser) -> None:
    p.add_argument("--direction", choices=["max", "min"], default="max", help="higher or lower is better")
    p.add_argument("--surrogate", choices=SURROGATE_CHOICES, default="fingerprint",
                   help="fingerprint: fast MLP ensemble on Morgan bits (huge pools); graph-ensemble: D-MPNN ensemble; "
                        "gp: Tanimoto-kernel Gaussian process on atom pairs (its posterior std for ucb/thompson); "
                        "nn-ensemble: 5 MolPAL networks on atom pairs (member spread); "
                        "molpal-nn / molpal-rf / molpal-mpn: MolPAL's atom-pair NN / random forest / D-MPNN")
    p.add_argument("--dropout", type=float, default=None,
                   help="molpal-nn: MC dropout rate (MolPAL uses 0.2 for UCB; default none, std 0)")
    p.add_argument("--no-mve", dest="mve", action="store_false", default=None,
                   help="molpal-mpn: MSE loss, no variance head, std 0 (MolPAL's default, its greedy runs); "
                        "default: mean-variance head (MolPAL's --conf-method mve)")
    p.add_argument("--mpn-protocol", choices=["paper", "lightning"], default=None,
                   help="molpal-mpn: follow the training code of MolPAL's paper (default: Noam schedule, "
                        "all 50 epochs, last weights) or its later Lightning code (rising rate, early stopping)")
    p.add_argument("--model", default="dmpnn", help="graph-ensemble architecture (molpred list models)")
    p.add_argument("--features", default=None,
                   help="pool fingerprint: morgan, atompair (path length 1-3, MolPAL's), atompair-full "
                        "(1-30); gp takes several joined by '+'. Default atompair-full+morgan for gp, "
                        "morgan for fingerprint, atompair for the others")
    p.add_argument("--ensemble", type=int, default=None,
                   help="ensemble members (default 5 fingerprint and nn-ensemble, 3 graph, 1 molpal-mpn)")
    p.add_argument("--epochs", type=int, default=None, help="training epochs per round (default 40 fingerprint, 30 graph)")
    p.add_argument("--acquisition", choices=ACQUISITION_CHOICES, default="ucb")
    p.add_argument("--beta", type=float, default=2.0, help="UCB exploration weight")
    p.add_argument("--xi", type=float, default=0.01, help="EI/PI improvement margin")
    p.add_argument("--diversity", choices=["none", "tanimoto", "cluster"], default="none")
    p.add_argument("--threshold", type=float, default=0.7, help="Tanimoto exclusion threshold (--diversity tanimoto)")
    p.add_argument("--n-clusters", type=int, default=None, help="k-means clusters (--diversity cluster)")
    p.add_argument("--seed", type=int, default=0)


def register(sub) -> None:
    """Add the ``campaign`` command and its sub-commands to an argparse ``sub`` object."""
    p = sub.add_parser("campaign", help="active-learning campaign: propose what to test next, round after round")
    cs = p.add_subparsers(dest="campaign_command", metavar="STEP", required=True)

    q = cs.add_parser("init", help="create a campaign store from a candidate library")
    q.add_argument("store", help="campaign file to create (SQLite), e.g. campaign.sqlite")
    q.add_argument("--library", required=True, help="candidate file (CSV/TSV/SMI/SDF/Parquet)")
    q.add_argument("--smiles-col", default=None)
    q.add_argument("--objective", required=True, help="name of the measured property")
    q.add_argument("--batch-size", type=int, required=True)
    _add_settings(q)

    q = cs.add_parser("next", help="propose the next batch (returns the open batch again until results arrive)")
    q.add_argument("store")
    q.add_argument("--out", default=None, help="CSV for the lab (default: print it)")

    q = cs.add_parser("add-results", help="record measured values")
    q.add_argument("store")
    q.add_argument("file", help="results table with SMILES (or compound_id) and the value")
    q.add_argument("--smiles-col", default=None)
    q.add_argument("--value-col", default=None, help="default: 'value', else the objective name")
    q.add_argument("--allow-unknown", action="store_true", help="keep molecules outside the library as training data")

    q = cs.add_parser("status", help="rounds so far, best compounds, progress plots")
    q.add_argument("store")
    q.add_argument("--plots", default=None, help="directory for progress plots")
    q.add_argument("--top", type=int, default=10, help="number of best compounds to show")
    q.add_argument("--oracle", default=None,
                   help="file of known values (smiles + value): also report MolPAL's top-k metrics per round")
    q.add_argument("--oracle-col", default="value", help="value column of --oracle")
    q.add_argument("--top-k", type=int, default=None, help="true top set for --oracle (default: 1%% of the library)")

    q = cs.add_parser("simulate", help="run the loop retrospectively against known values")
    q.add_argument("--library", required=True, help="candidate file")
    q.add_argument("--smiles-col", default=None)
    q.add_argument("--oracle", required=True, help="file with smiles + known values (missing = failed evaluation)")
    q.add_argument("--objective", required=True, help="value column of the oracle file")
    q.add_argument("--rounds", type=int, default=5, help="acquisition rounds after the initial batch")
    size = q.add_mutually_exclusive_group(required=True)
    size.add_argument("--batch-size", type=int)
    size.add_argument("--batch-fraction", type=float, help="batch size as a fraction of the library")
    q.add_argument("--init-fraction", type=float, default=None, help="initial random batch (default: one batch)")
    q.add_argument("--top-k", type=int, default=None, help="size of the true top set (default: 1%% of the library)")
    q.add_argument("--seeds", type=int, nargs="+", default=[0])
    q.add_argument("--baseline", action="store_true", help="also run random selection with the same seeds")
    q.add_argument("--out", default=None, help="CSV with one row per seed and round")
    q.add_argument("--plots", default=None, help="directory for the top-k curve")
    _add_settings(q)


def _settings(args, objective: str, batch_size: int):
    from molpred.campaign import AcquisitionConfig, BatchConfig, CampaignSettings, SurrogateConfig

    ensemble = args.ensemble or {"fingerprint": 5, "graph-ensemble": 3}.get(args.surrogate)
    return CampaignSettings(
        objective=objective,
        direction=args.direction,
        surrogate=SurrogateConfig(args.surrogate, model=args.model, ensemble=ensemble, epochs=args.epochs,
                                  dropout=args.dropout, features=args.features, mve=args.mve,
                                  protocol=args.mpn_protocol),
        acquisition=AcquisitionConfig(args.acquisition, beta=args.beta, xi=args.xi),
        batch=BatchConfig(batch_size, None if args.diversity == "none" else args.diversity, args.threshold,
                          args.n_clusters),
        seed=args.seed,
    )


def _init(args) -> int:
    from molpred.campaign import Campaign, CampaignStoreError

    settings = _settings(args, args.objective, args.batch_size)
    try:
        c = Campaign.create(args.store, args.library, settings, smiles_col=args.smiles_col)
    except FileExistsError as exc:  # reported like every other user error by the main CLI
        raise CampaignStoreError(str(exc)) from None
    with c:
        s = c.summary()
    print(f"created {args.store}: {s['n_compounds']} compounds ({s['n_invalid']} invalid, kept but never proposed)")
    return 0


def _next(args) -> int:
    from molpred.campaign import Campaign

    with Campaign.open(args.store) as c:
        was_open = c.store.open_round()
        batch = c.next()
    if batch.empty:
        print("no candidates left to propose", file=sys.stderr)
        return 1
    rnd = int(batch["round"].iloc[0])
    note = "unchanged: still waiting for results" if was_open is not None else "new"
    if args.out:
        from molpred.campaign.campaign import write_batch

        write_batch(batch, args.out)
        print(f"round {rnd} ({note}): {len(batch)} compounds written to {args.out}")
    else:
        print(f"# round {rnd} ({note})", file=sys.stderr)
        batch.to_csv(sys.stdout, index=False)
    return 0


def _add_results(args) -> int:
    from molpred.campaign import Campaign

    with Campaign.open(args.store) as c:
        summary = c.add_results(args.file, value_col=args.value_col, smiles_col=args.smiles_col,
                                allow_unknown=args.allow_unknown)
    print(summary)
    if summary.rounds_completed:
        print(f"rounds completed: {', '.join(map(str, summary.rounds_completed))}")
    return 0 if summary.n_accepted or not summary.n_rows else 1


def _status(args) -> int:
    from molpred.campaign import Campaign

    with Campaign.open(args.store) as c:
        s, hist, best = c.summary(), c.history(), c.best(args.top)
        settings = c.settings
        props = c.proposals()
        if args.plots:
            from molpred.campaign.plots import plot_progress

            paths = plot_progress(hist, props, args.plots, settings.objective, settings.direction)
    print(f"{args.store}: objective {settings.objective} ({settings.direction}), surrogate "
          f"{settings.surrogate.kind}, acquisition {settings.acquisition.name}, batch {settings.batch.size}")
    print(_counts_table(s))
    print("\nrounds:")
    print(hist.drop(columns="created_at").to_string(index=False) if len(hist) else "  (none yet)")
    print(f"\nbest {args.top} measured:")
    if len(best):
        short = best["smiles"].astype(str).map(lambda x: x if len(x) <= 60 else x[:57] + "...")
        print(best.assign(smiles=short).to_string(index=False))
    else:
        print("  (no results yet)")
    if args.plots:
        print("\nplots: " + ", ".join(str(p) for p in paths))
    if args.oracle:
        _print_top_k_progress(args, s["n_compounds"])
    return 0


_COUNT_LABELS = {
    "n_compounds": "compounds in the library", "n_invalid": "invalid (not proposable)",
    "n_measured": "measured", "n_pending": "pending (proposed, open round, no result yet)",
    "n_not_measured": "proposed in a completed round, never measured",
    "n_rejected_rows": "result rows rejected", "n_rounds": "rounds", "open_round": "open round",
}


def _counts_table(summary: dict) -> str:
    """The campaign's counts as a two-column table (labels a chemist reads, not JSON keys)."""
    rows = [(_COUNT_LABELS.get(k, k), "none" if v is None else str(v)) for k, v in summary.items()]
    width = max(len(label) for label, _ in rows)
    return "\n".join(f"  {label:<{width}}  {value}" for label, value in rows)


def _print_top_k_progress(args, n_compounds: int) -> None:
    from molpred.campaign import Campaign
    from molpred.data.tables import read_table, resolve_column

    known = read_table(args.oracle)
    scol = resolve_column(known, None, args.oracle)
    resolve_column(known, args.oracle_col, args.oracle, "value column")
    k = args.top_k or max(1, round(0.01 * n_compounds))
    with Campaign.open(args.store) as c:
        prog = c.top_k_progress(known, k, value_col=args.oracle_col, smiles_col=scol)
    print(f"\ntrue top-{k} found (fractions; scores = MolPAL's headline metric, ties at the k-th value counted):")
    print(prog.to_string(index=False, float_format=lambda v: f"{v:.3f}") if len(prog) else "  (no measured rounds yet)")


def _simulate(args) -> int:
    import numpy as np
    import pandas as pd

    from molpred.campaign import AcquisitionConfig, BatchConfig, CandidatePool, simulate
    from molpred.campaign.simulate import oracle_values
    from molpred.chem import standardize_many
    from molpred.data.tables import read_table, resolve_column

    lib = read_table(args.library)
    col = resolve_column(lib, args.smiles_col, args.library, "SMILES column")
    raw = lib[col].tolist()
    pool = CandidatePool([r.smiles for r in standardize_many(raw)])
    oracle = read_table(args.oracle)
    ocol = resolve_column(oracle, args.smiles_col if args.smiles_col in oracle.columns else None, args.oracle)
    resolve_column(oracle, args.objective, args.oracle, "objective column")
    values = oracle_values(pool, oracle, args.objective, ocol, raw_smiles=raw)
    n = len(pool)
    size = args.batch_size or max(1, round(args.batch_fraction * n))
    init = max(1, round(args.init_fraction * n)) if args.init_fraction else size
    top_k = args.top_k or max(1, round(0.01 * n))
    s = _settings(args, args.objective, size)
    runs = [(s.acquisition.name, s.acquisition)] + ([("random", AcquisitionConfig("random"))] if args.baseline else [])
    frames = []
    print(f"library {n} compounds ({int((~pool.ok).sum())} invalid), {int(np.isfinite(values).sum())} with a value; "
          f"batch {size}, initial {init}, top-{top_k}", file=sys.stderr)
    for name, acq in runs:
        for seed in args.seeds:
            f = simulate(pool, values, direction=s.direction, surrogate=s.surrogate, acquisition=acq,
                         batch=BatchConfig(size, s.batch.diversity, s.batch.threshold, s.batch.n_clusters),
                         init_size=init, rounds=args.rounds, top_k=top_k, seed=seed)
            frames.append(f.assign(method=name, seed=seed))
            print(f"{name} seed {seed}: {100 * f[f'top{top_k}_scores'].iloc[-1]:.1f}% of the top-{top_k} scores "
                  f"({100 * f[f'top{top_k}_smiles'].iloc[-1]:.1f}% of the molecules) found after "
                  f"{int(f['n_evaluated'].iloc[-1])} evaluations, {f['round_seconds'].sum():.1f} s", file=sys.stderr)
    res = pd.concat(frames, ignore_index=True)
    cols = {m: f"top{top_k}_{m}" for m in ("scores", "smiles", "avg_score")}
    table = res.groupby(["method", "round"]).agg(
        n_evaluated=("n_evaluated", "mean"), scores=(cols["scores"], "mean"), scores_std=(cols["scores"], "std"),
        smiles=(cols["smiles"], "mean"), avg_score=(cols["avg_score"], "mean")).reset_index()
    print(f"fraction of the true top-{top_k} found (mean over {len(args.seeds)} seed(s)): scores = MolPAL's "
          f"headline metric (top-{top_k} scores found, ties at the k-th value counted), smiles = molecules "
          f"found, avg_score = mean value of the best {top_k} found:")
    print(table.to_string(index=False))
    if args.out:
        from molpred.data.tables import write_table

        write_table(res, args.out)
    if args.plots:
        from molpred.campaign.plots import plot_top_k

        print(f"plot: {plot_top_k(res, f'{args.plots}/top_k_found.png', top_k)}")
    return 0


_STEPS = {"init": _init, "next": _next, "add-results": _add_results, "status": _status, "simulate": _simulate}


def cmd_campaign(args) -> int:
    """Dispatch ``molpred campaign STEP``."""
    return _STEPS[args.campaign_command](args)


def main(argv: list[str] | None = None) -> int:
    """Standalone entry point: ``python -m molpred.cli.campaign_cmd campaign STEP ...``.

    Same parser and error handling as ``molpred campaign`` (for use before or without the
    main CLI hook, e.g. in tests).
    """
    from molpred.exceptions import MolpredError

    parser = argparse.ArgumentParser(prog="molpred")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    try:
        return int(cmd_campaign(args) or 0)
    except (MolpredError, ValueError, FileNotFoundError, FileExistsError, PermissionError) as exc:
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        print(f"molpred campaign: error: {message}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
