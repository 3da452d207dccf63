"""How much bfloat16 network arithmetic moves a trained D-MPNN's predictions.

Trains molpred's D-MPNN (Chemprop's default size) on the shipped train split of one
MoleculeACE target, predicts its test split plus compounds of the other targets in float32
and in bfloat16 (``precision="bf16"``, the screen's option), and writes the differences in
units of the training labels' standard deviation to ``benchmarks/results/bf16_accuracy.md``.

Usage::

    python -m benchmarks.bf16_accuracy [--target CHEMBL214_Ki] [--epochs 20] [--n-other 1500]
"""

from __future__ import annotations

import argparse
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks.environment import command_line, machine_info, versions

RESULTS = Path(__file__).resolve().parent / "results"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bf16_accuracy", description=__doc__.split("\n")[0])
    parser.add_argument("--target", default="CHEMBL214_Ki")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--n-other", type=int, default=1500, help="compounds of the other targets to add")
    parser.add_argument("--out", default=str(RESULTS))
    args = parser.parse_args(argv)

    from scipy.stats import spearmanr

    import molpred
    from molpred.data.featurized import featurize_smiles
    from molpred.inference.device import cpu_has_fast_bf16
    from molpred.predict import member_outputs
    from molpred.quickstart import screening_library

    t0 = time.perf_counter()
    started = datetime.now(timezone.utc)
    df = molpred.datasets.load_moleculeace(args.target)
    train, test = df[df["split"] == "train"], df[df["split"] == "test"]
    est = molpred.MolPropertyRegressor(model="dmpnn", epochs=args.epochs, seed=0, device="cpu", pretrained=None,
                                       applicability_domain=False)
    est.fit(train["smiles"].tolist(), train["y"].to_numpy())
    other = screening_library(args.target)["smiles"].sample(n=args.n_other, random_state=0).tolist()
    smiles = test["smiles"].tolist() + other
    fs = featurize_smiles(smiles, est.featurizer_, est.std_config_)
    fp32, _ = member_outputs(est, fs.graphs, precision="fp32")
    bf16, _ = member_outputs(est, fs.graphs, precision="bf16")
    sd = float(np.std(train["y"].to_numpy()))
    diff = np.abs(fp32[:, 0] - bf16[:, 0]) / sd
    row = {
        "target": args.target, "epochs": args.epochs, "n_molecules": int(len(diff)), "label_std": round(sd, 4),
        "mean_abs_diff_over_label_std": float(diff.mean()), "max_abs_diff_over_label_std": float(diff.max()),
        "max_abs_diff_label_units": float(diff.max() * sd),
        "spearman_fp32_bf16": float(spearmanr(fp32[:, 0], bf16[:, 0]).statistic),
        "cpu_bf16_units": cpu_has_fast_bf16(), "wall_s": round(time.perf_counter() - t0, 1),
        "command": command_line(argv, module="benchmarks.bf16_accuracy"),
        **machine_info(), **{f"{k}_version": v for k, v in versions().items()},
    }
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    pd.DataFrame([row]).to_csv(out / "bf16_accuracy.csv", index=False)
    text = "\n".join([
        "# bfloat16 vs float32 predictions", "",
        f"Command: `{row['command']}` (started {started.isoformat(timespec='seconds')}, {row['wall_s']:.0f} s).",
        f"Machine: {row['cpu_model']}, {row['n_cores']} cores; bfloat16 units: "
        f"{'yes' if row['cpu_bf16_units'] else 'no'}. Versions: "
        + ", ".join(f"{k} {v}" for k, v in versions().items()), "",
        f"molpred D-MPNN (defaults, {args.epochs} epochs, seed 0) trained on the {args.target} train split "
        f"(label std {sd:.3f}); predicted in float32 and bfloat16 on its {len(test)} test compounds and "
        f"{args.n_other} compounds of the other MoleculeACE targets ({len(diff)} predicted).", "",
        "| mean abs. difference / label std | max abs. difference / label std | max abs. difference "
        "(label units) | Spearman(fp32, bf16) |",
        "|---|---|---|---|",
        f"| {row['mean_abs_diff_over_label_std']:.4f} | {row['max_abs_diff_over_label_std']:.4f} | "
        f"{row['max_abs_diff_label_units']:.4f} | {row['spearman_fp32_bf16']:.6f} |", "",
    ])
    (out / "bf16_accuracy.md").write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
