"""Small transfer-learning check: D-MPNN from scratch vs fine-tuned from a pretrained encoder.

ESOL (MoleculeNet; excluded from molpred-base's pretraining set), a seeded random split:
``n_train`` training molecules (10% of them held out for early stopping), the next 300 as test.
The same network, settings and seeds for every variant; only the encoder's start differs.

    python -m benchmarks.pretrain_transfer --n-train 100 200 --seeds 0 1 2 --epochs 30 \\
        --pretrained molpred-base --out benchmarks/results/pretrain_transfer_esol.csv
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd

ESOL_TARGET = "measured log solubility in mols per litre"
VARIANTS = {
    "scratch": {},
    "fine-tuned": {"pretrained": None},
    "frozen": {"pretrained": None, "freeze_encoder": True},
}


def esol_split(data_dir: Path, n_train: int, split_seed: int = 0, n_test: int = 300):
    """(train smiles, train y, test smiles, test y) of a seeded random ESOL split."""
    frame = pd.read_csv(data_dir / "moleculenet" / "delaney-processed.csv")
    perm = np.random.default_rng(split_seed).permutation(len(frame))
    tr, te = perm[:n_train], perm[n_train:n_train + n_test]
    s, y = frame["smiles"].to_numpy(), frame[ESOL_TARGET].to_numpy()
    return list(s[tr]), y[tr], list(s[te]), y[te]


def run_one(variant: str, pretrained: str, n_train: int, seed: int, epochs: int, data_dir: Path,
            batch_size: int = 32) -> dict:
    from molpred import MolPropertyRegressor

    xs, ys, xt, yt = esol_split(data_dir, n_train)
    params = {k: (pretrained if v is None else v) for k, v in VARIANTS[variant].items()}
    params.setdefault("pretrained", None)  # scratch: a fresh encoder (the estimator's "auto" would fine-tune)
    t = time.perf_counter()
    est = MolPropertyRegressor(model="dmpnn", epochs=epochs, batch_size=batch_size, seed=seed, device="cpu",
                               applicability_domain=False, **params).fit(xs, ys)
    pred = est.predict(xt)
    rmse = float(np.sqrt(np.mean((pred - yt) ** 2)))
    return {"variant": variant, "n_train": n_train, "seed": seed, "epochs": epochs, "batch_size": batch_size,
            "rmse": rmse,
            "seconds": round(time.perf_counter() - t, 1), "pretrained": "" if variant == "scratch" else pretrained}


def main(argv=None) -> int:
    import os

    import torch

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n-train", type=int, nargs="+", default=[100, 200])
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--variants", nargs="+", default=list(VARIANTS))
    p.add_argument("--pretrained", default="molpred-base")
    p.add_argument("--out", default="benchmarks/results/pretrain_transfer_esol.csv")
    args = p.parse_args(argv)
    torch.set_num_threads(1)
    data_dir = Path(os.environ.get("MOLPRED_DATA_DIR", "../shared/data"))
    rows = []
    t0 = time.perf_counter()
    for n in args.n_train:
        for seed in args.seeds:
            for v in args.variants:
                rows.append(run_one(v, args.pretrained, n, seed, args.epochs, data_dir, args.batch_size))
                print(json.dumps(rows[-1]), flush=True)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    frame = pd.DataFrame(rows)
    frame.to_csv(out, index=False)
    summary = frame.groupby(["n_train", "variant"])["rmse"].agg(["mean", "std", "count"]).round(4)
    from benchmarks.environment import command_line, machine_info, versions

    md = ["# ESOL: D-MPNN from scratch vs fine-tuned from a pretrained encoder", "",
          f"command: `{command_line(module='benchmarks.pretrain_transfer')}`", f"machine: {machine_info()}", f"versions: {versions()}",
          f"wall time: {time.perf_counter() - t0:.0f} s", "", summary.to_markdown(), ""]
    out.with_suffix(".md").write_text("\n".join(md))
    print(summary)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
