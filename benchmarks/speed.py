"""Speed suite: featurisation, training and prediction throughput and peak memory.

Every measurement runs in a fresh Python subprocess (so peak RSS belongs to that step alone and
no cache carries over) on the same fixed molecules: the first ``n`` unique SMILES of the 30
MoleculeACE sets in registry order, with their ``y`` labels. Steps:

* ``rdkit_parse``: ``Chem.MolFromSmiles`` alone, the floor of any SMILES-in pipeline;
* ``rdkit_morgan``: parse + Morgan bits;
* ``<model>/featurize``: SMILES -> the model's input (molpred: standardise + MolGraph;
  chemprop: parse + ``SimpleMoleculeMolGraphFeaturizer``);
* ``<model>/train``: ``fit`` for a fixed number of epochs, molecules x epochs per second
  (featurisation included, as a user pays it);
* ``<model>/predict``: SMILES -> predictions with the trained model.

Results are ratios within one run: ``x_vs_chemprop`` (throughput / Chemprop's for the same
step) and ``x_of_rdkit_floor`` (throughput / RDKit parsing).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks.environment import CpuShare, machine_info, sharing_note, versions

__all__ = ["run_speed", "speed_molecules", "SPEED_MODELS"]

SPEED_MODELS = ("molpred-dmpnn", "molpred-mlp", "chemprop")
N_DEFAULT, N_QUICK = 5000, 300
TRAIN_EPOCHS, TRAIN_EPOCHS_QUICK = 2, 1


def speed_molecules(n: int) -> tuple[list[str], np.ndarray]:
    """The first ``n`` unique MoleculeACE SMILES (registry order) and their ``y``."""
    from molpred import datasets

    seen: dict[str, float] = {}
    for name in datasets.list_datasets("moleculeace"):
        frame = datasets.load(name)
        for s, y in zip(frame["smiles"], frame["y"]):
            if s not in seen:
                seen[s] = float(y)
            if len(seen) >= n:
                return list(seen), np.array(list(seen.values()))
    return list(seen), np.array(list(seen.values()))


def _worker(step: str, n: int, epochs: int) -> dict:
    """Run one measurement in this (fresh) process and return its numbers."""
    import resource

    smiles, y = speed_molecules(n)
    model, _, what = step.partition("/")
    t0 = time.perf_counter()
    if step == "rdkit_parse":
        from rdkit import Chem

        t0 = time.perf_counter()
        [Chem.MolFromSmiles(s) for s in smiles]
        n_done = len(smiles)
    elif step == "rdkit_morgan":
        from rdkit import Chem
        from rdkit.Chem import rdFingerprintGenerator

        gen = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=2048)
        t0 = time.perf_counter()
        [gen.GetFingerprintAsNumPy(Chem.MolFromSmiles(s)) for s in smiles]
        n_done = len(smiles)
    elif what == "featurize":
        if model == "chemprop":
            from chemprop import featurizers
            from rdkit import Chem

            feat = featurizers.SimpleMoleculeMolGraphFeaturizer()
            t0 = time.perf_counter()
            [feat(Chem.MolFromSmiles(s)) for s in smiles]
        else:
            from molpred.data.featurized import featurize_smiles
            from molpred.featurize.registry import get_featurizer
            from molpred.nn.model import ARCHITECTURES

            feat = get_featurizer(ARCHITECTURES[model.removeprefix("molpred-")][0])
            t0 = time.perf_counter()
            featurize_smiles(smiles, feat)
        n_done = len(smiles)
    else:
        from benchmarks.models import get_model

        est = get_model(model).build("regression", 0, epochs)
        yy = y.reshape(-1, 1)
        t0 = time.perf_counter()
        est.fit(smiles, yy)
        t_fit = time.perf_counter() - t0
        if what == "train":
            n_done, elapsed = len(smiles) * epochs, t_fit
        else:
            t0 = time.perf_counter()
            est.predict(smiles)
            n_done, elapsed = len(smiles), time.perf_counter() - t0
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        return {"step": step, "n_molecules": len(smiles), "units": n_done, "seconds": elapsed,
                "mol_per_s": n_done / elapsed, "peak_rss_mib": peak}
    elapsed = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"step": step, "n_molecules": len(smiles), "units": n_done, "seconds": elapsed,
            "mol_per_s": n_done / elapsed, "peak_rss_mib": peak}


def _measure(step: str, n: int, epochs: int) -> dict:
    code = ("import json, sys, warnings, logging; warnings.filterwarnings('ignore'); "
            "logging.disable(logging.WARNING); from benchmarks.speed import _worker; "
            f"print('@@' + json.dumps(_worker({step!r}, {n}, {epochs})))")
    root = Path(__file__).resolve().parent.parent
    share = CpuShare().start()
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=root)
    other = share.other_cores()
    for line in proc.stdout.splitlines():
        if line.startswith("@@"):
            return {**json.loads(line[2:]), "status": "ok", "message": "", "other_cpu_cores": other}
    tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
    return {"step": step, "status": "error", "message": tail[0][:300], "other_cpu_cores": other}


def run_speed(models=None, quick: bool = False, out_dir=None, command: str = "", n: int | None = None,
              epochs: int | None = None) -> pd.DataFrame:
    """Measure every step for ``models`` (default :data:`SPEED_MODELS`) and the RDKit floor.

    Writes ``speed[_quick]_results.csv`` (one row per step; replaced, not appended: the ratios
    only mean something within one run) and ``speed[_quick]_summary.md``.
    """
    from benchmarks.models import get_model

    out_dir = Path(out_dir)
    label = "speed_quick" if quick else "speed"
    n = n or (N_QUICK if quick else N_DEFAULT)
    epochs = epochs or (TRAIN_EPOCHS_QUICK if quick else TRAIN_EPOCHS)
    models = [get_model(m).name for m in (models or SPEED_MODELS)]
    start, started = time.perf_counter(), datetime.now(timezone.utc)
    steps = ["rdkit_parse", "rdkit_morgan"]
    skipped = []
    for m in models:
        ok, info = get_model(m).available()
        if not ok:
            skipped.append(f"{m}: {info}")
            print(f"[bench] model {m} skipped: {info}", file=sys.stderr)
            continue
        steps += [f"{m}/featurize", f"{m}/train", f"{m}/predict"]
    rows = []
    for step in steps:
        print(f"[bench] speed {step} on {n} molecules", file=sys.stderr, flush=True)
        rows.append(_measure(step, n, epochs))
    frame = pd.DataFrame(rows)
    ok = frame[frame["status"] == "ok"].set_index("step")["mol_per_s"] if "mol_per_s" in frame else pd.Series(dtype=float)
    floor = ok.get("rdkit_parse", np.nan)
    frame["x_of_rdkit_floor"] = frame["step"].map(lambda s: ok.get(s, np.nan) / floor)
    frame["x_vs_chemprop"] = frame["step"].map(
        lambda s: ok.get(s, np.nan) / ok.get("chemprop/" + s.split("/", 1)[1], np.nan) if "/" in s else np.nan)
    frame["train_epochs"] = epochs
    for k, v in {**{f"{k}_version": v for k, v in versions().items()}, **machine_info()}.items():
        frame[k] = v
    frame["command"] = command
    wall = time.perf_counter() - start
    frame["wall_time_s"] = round(wall, 1)
    frame.to_csv(out_dir / f"{label}_results.csv", index=False)
    m, v = machine_info(), versions()
    cols = [c for c in ("step", "n_molecules", "mol_per_s", "peak_rss_mib", "x_vs_chemprop", "x_of_rdkit_floor",
                        "other_cpu_cores", "status") if c in frame]
    from benchmarks.report import _table

    text = "\n".join([
        f"# Speed: {label}", "",
        f"Command: `{command}` ({started.isoformat(timespec='seconds')}, wall time {wall:.0f} s)",
        f"Machine: {m['cpu_model']}, {m['n_cores']} cores, {m['ram_gib']} GiB RAM, {m['os']}, Python {m['python']}. "
        "Each step runs alone, in a fresh process. " + sharing_note(frame["other_cpu_cores"], m["n_cores"]),
        "Versions: " + ", ".join(f"{k} {val}" for k, val in v.items()), "",
        f"{n} unique MoleculeACE molecules. `train` = molecules x epochs per second over {epochs} epoch(s) "
        "(featurisation included); `predict` = SMILES -> prediction; each step in a fresh process, "
        "peak RSS of that process (imports included).", "",
        _table(frame[cols]), "",
        *(["Not run: " + "; ".join(skipped), ""] if skipped else []),
        *[f"- {r.step}: {r.message}" for r in frame.itertuples() if r.status != "ok"],
    ]) + "\n"
    (out_dir / f"{label}_summary.md").write_text(text, encoding="utf-8")
    return frame
