"""``molpred bench``: run the benchmark suite in ``benchmarks/`` of a source checkout."""

from __future__ import annotations

import argparse


def register(sub) -> None:
    p = sub.add_parser(
        "bench",
        help="run benchmarks (moleculeace, moleculenet, admet, speed) against peers; needs a source checkout",
        description="Forwards its arguments to `python -m benchmarks` (see benchmarks/README.md), e.g. "
        "`molpred bench moleculeace --models svm dmpnn --seeds 0`, `molpred bench moleculeace --quick`.",
    )
    p.add_argument("bench_args", nargs=argparse.REMAINDER, help="suite or task, then runner options")


def cmd_bench(args) -> int:
    import sys
    from pathlib import Path

    import molpred

    root = Path(molpred.__file__).resolve().parents[1]
    if not (root / "benchmarks" / "runner.py").exists():
        raise FileNotFoundError(
            "the benchmark suite lives in molpred's source checkout (benchmarks/); "
            "clone the repository and install it with `pip install -e .`"
        )
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    from benchmarks.runner import main as bench_main

    return int(bench_main(args.bench_args or ["--help"]) or 0)
