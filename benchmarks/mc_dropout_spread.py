"""How much MC-dropout spread each encoder gets, with dropout switched on only in ``nn.Dropout``
modules (the old behaviour) and everywhere, PyG's functional dropout included (issue 16 item 5).

Trains one network per architecture (``uncertainty="dropout"``, dropout 0.1, 20 MC samples) on
the ESOL scaffold-split training part and predicts its test part both ways. Writes
``benchmarks/results/mc_dropout_spread.md``.

Usage::

    python -m benchmarks.mc_dropout_spread [--epochs 15]
"""

from __future__ import annotations

import argparse
import time
import warnings
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks.environment import command_line, machine_info, versions

RESULTS = Path(__file__).resolve().parent / "results"
ESOL = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "moleculenet" / "delaney-processed.csv"


def _old_style_mc(model):
    """The previous switch: ``model.eval()`` then only ``nn.Dropout`` modules to training mode."""
    import torch

    model.eval()
    for m in model.modules():
        if isinstance(m, torch.nn.Dropout):
            m.train()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.mc_dropout_spread", description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--out", default=str(RESULTS))
    args = parser.parse_args(argv)
    import torch
    from scipy.stats import spearmanr

    from molpred import MolPropertyRegressor
    from molpred.chem.standardize import to_mol_record
    from molpred.data.featurized import featurize_smiles
    from molpred.data.splits import scaffold_split
    from molpred.predict import member_outputs

    torch.set_num_threads(1)
    started, t0 = datetime.now(timezone.utc), time.perf_counter()
    esol = pd.read_csv(ESOL)
    y = esol["measured log solubility in mols per litre"].to_numpy()
    mols = [to_mol_record(s).mol for s in esol["smiles"]]
    split = scaffold_split(mols, seed=0)
    train, test = split.train, split.test
    rows = []
    for arch in ("dmpnn", "gine", "attentivefp", "mlp"):
        est = MolPropertyRegressor(model=arch, uncertainty="dropout", epochs=args.epochs, seed=0, device="cpu", pretrained=None,
                                   applicability_domain=False)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            est.fit(esol["smiles"].iloc[train].tolist(), y[train])
        fs = featurize_smiles(esol["smiles"].iloc[test].tolist(), est.featurizer_, est.std_config_)
        yt = y[test][fs.index]
        out = {}
        for label in ("old: nn.Dropout only", "new: every dropout"):
            if label.startswith("old"):
                import molpred.nn.dropout as nd

                saved = nd.enable_mc_dropout
                nd.enable_mc_dropout = _old_style_mc
                try:
                    mean, std = member_outputs(est, fs.graphs, calibrated=False)
                finally:
                    nd.enable_mc_dropout = saved
            else:
                mean, std = member_outputs(est, fs.graphs, calibrated=False)
            mean, std = mean[:, 0], std[:, 0]
            err = np.abs(mean - yt)
            out[label] = (float(np.median(std)), float(spearmanr(std, err).statistic), float(np.sqrt(np.mean(err**2))))
        for label, (med, rho, rmse) in out.items():
            rows.append({"model": arch, "mc_dropout": label, "median_std": med, "spearman_std_abs_error": rho,
                         "rmse": rmse})
    seconds = round(time.perf_counter() - t0, 1)
    frame = pd.DataFrame(rows)
    m, v = machine_info(), versions()
    lines = [
        "# MC-dropout spread per encoder: nn.Dropout only (old) vs every dropout (new)",
        "",
        f"Command: `{command_line(argv, 'benchmarks.mc_dropout_spread')}` (started "
        f"{started.isoformat(timespec='seconds')}, {seconds} s).",
        f"Machine: {m['cpu_model']}, {m['n_cores']} cores (shared with other jobs). Versions: "
        + ", ".join(f"{k} {val}" for k, val in v.items()),
        "",
        f"ESOL, balanced scaffold split seed 0 ({len(train)} train / {len(test)} test), one network per model, "
        f"{args.epochs} epochs, dropout 0.1, 20 MC samples; raw MC std (no variance scaling). "
        "One seed: a sanity check of where the spread comes from, not a calibration benchmark.",
        "",
        "| model | MC dropout | median std (log units) | Spearman(std, abs error) | test RMSE |",
        "|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(f"| {r['model']} | {r['mc_dropout']} | {r['median_std']:.3f} | "
                     f"{r['spearman_std_abs_error']:.3f} | {r['rmse']:.3f} |")
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "mc_dropout_spread.md").write_text("\n".join(lines) + "\n")
    frame.to_csv(out_dir / "mc_dropout_spread.csv", index=False)
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
