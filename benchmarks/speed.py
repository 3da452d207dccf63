"""Training and prediction speed, like for like: each molpred model against a peer of its kind.

Pairs (model, peer):

* ``molpred-dmpnn`` vs ``chemprop``: both D-MPNNs at the same size (hidden 300, depth 3, one
  FFN hidden layer of 300), batch size 64, the same number of epochs, trained on all ``n``
  molecules with no validation and no early stopping (so both run exactly ``epochs`` epochs).
  Chemprop is built through its Python API with its CLI's defaults otherwise (``norm``
  aggregation, no batch norm in 2.2; a Lightning ``Trainer``, no checkpoint files, no logger).
* ``molpred-mlp`` vs ``sklearn-mlp``: molpred's fingerprint MLP (ECFP4 counts, 2048 bits,
  ``log1p``; 512 -> 300 -> 1) against scikit-learn's ``MLPRegressor`` with the same layers
  (512, 300), the same fingerprints, batch size, learning rate (1e-3, Adam) and epochs
  (``max_iter``; its early-stopping tests are switched off).

Each model runs in its own fresh single-threaded process (``torch.set_num_threads(1)``) on the
same molecules: the first ``n`` unique MoleculeACE SMILES in registry order, with their ``y``.
Steps, timed separately:

* ``startup``: imports of the library (seconds; excluded from every rate, reported apart);
* ``setup``: building the network, optimiser or trainer (seconds; excluded, reported apart);
* ``featurize``: SMILES -> training input (molpred: parse, standardise, featurise; Chemprop:
  ``MoleculeDatapoint.from_smi`` + the cached ``MoleculeDataset``; scikit-learn: parse + the
  fingerprint matrix), molecules/s;
* ``train``: the epochs alone, on inputs featurised before, molecules x epochs per second;
* ``predict``: SMILES -> predictions with the trained network (featurisation included, batch 64),
  molecules/s.

Ratios (``x_vs_peer``) are molpred's rate over its peer's for the same step in the same run.
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

__all__ = ["run_speed", "speed_molecules", "SPEED_PAIRS", "SPEED_MODELS", "STEPS"]

SPEED_PAIRS = (("molpred-dmpnn", "chemprop"), ("molpred-mlp", "sklearn-mlp"))
SPEED_MODELS = tuple(m for pair in SPEED_PAIRS for m in pair)
STEPS = ("startup", "setup", "featurize", "train", "predict")
RATE_STEPS = ("featurize", "train", "predict")
N_DEFAULT, N_QUICK = 5000, 300
TRAIN_EPOCHS, TRAIN_EPOCHS_QUICK = 3, 1
HIDDEN, DEPTH, FFN_HIDDEN, BATCH, LR = 300, 3, 300, 64, 1e-3
MLP_LAYERS = (512, 300)


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


class _Clock:
    """Wall seconds (``step``) and CPU seconds of this process (``step_cpu``) per named step."""

    def __init__(self):
        self.seconds: dict[str, float] = {}
        self._t0, self._c0 = time.perf_counter(), time.process_time()

    def lap(self, step: str) -> None:
        now, cpu = time.perf_counter(), time.process_time()
        self.seconds[step] = self.seconds.get(step, 0.0) + now - self._t0
        self.seconds[f"{step}_cpu"] = self.seconds.get(f"{step}_cpu", 0.0) + cpu - self._c0
        self._t0, self._c0 = now, cpu


def _molpred(arch: str, smiles: list[str], y: np.ndarray, epochs: int) -> tuple[dict, np.ndarray]:
    clock = _Clock()
    import torch

    from molpred.data.featurized import featurize_smiles
    from molpred.data.scaler import TargetScaler
    from molpred.estimators import MolPropertyRegressor
    from molpred.featurize.registry import get_featurizer
    from molpred.inference.forward import predict_network
    from molpred.nn.model import ARCHITECTURES, build_model
    from molpred.train.loop import TrainConfig, attach_targets, fit_network

    torch.set_num_threads(1)
    clock.lap("startup")
    # the estimator's own defaults decide the network and the standardisation (what a user gets)
    est = MolPropertyRegressor(model=arch, batch_size=BATCH, lr=LR, epochs=epochs, seed=0, device="cpu",
                               pretrained=None)
    featurizer = get_featurizer(ARCHITECTURES[arch][0])
    std = est._standardize_config()
    clock.lap("setup")
    fs = featurize_smiles(smiles, featurizer, std)
    clock.lap("featurize")
    y_used = y[fs.index].reshape(-1, 1)
    scaler = TargetScaler.fit(y_used)
    graphs = attach_targets(fs.graphs, scaler.transform(y_used))
    torch.manual_seed(0)
    net = build_model(est._model_spec(featurizer, 1))
    config = TrainConfig(task="regression", epochs=epochs, batch_size=BATCH, lr=LR, patience=0, seed=0)
    clock.lap("setup")
    result = fit_network(net, graphs, None, None, config, torch.device("cpu"))
    clock.lap("train")
    pred = predict_network(net, featurize_smiles(smiles, featurizer, std).graphs, torch.device("cpu"), batch_size=BATCH)
    clock.lap("predict")
    info = {"epochs_run": len(result.history), "n_used": len(fs.graphs),
            "params": int(sum(p.numel() for p in net.parameters()))}
    return {**clock.seconds, **info}, pred


def _chemprop(smiles: list[str], y: np.ndarray, epochs: int) -> tuple[dict, np.ndarray]:
    clock = _Clock()
    import logging

    import torch
    from chemprop import data, featurizers, models, nn
    from lightning import pytorch as pl

    torch.set_num_threads(1)
    logging.getLogger("lightning.pytorch").setLevel(logging.ERROR)
    clock.lap("startup")
    feat = featurizers.SimpleMoleculeMolGraphFeaturizer()
    clock.lap("setup")
    dset = data.MoleculeDataset([data.MoleculeDatapoint.from_smi(s, [v]) for s, v in zip(smiles, y)], feat)
    dset.cache = True  # featurise every molecule now, as ``chemprop train`` does unless --no-cache
    clock.lap("featurize")
    scaler = dset.normalize_targets()
    pl.seed_everything(0, verbose=False)
    ffn = nn.RegressionFFN(input_dim=HIDDEN, hidden_dim=FFN_HIDDEN, n_layers=1,
                           output_transform=nn.UnscaleTransform.from_standard_scaler(scaler))
    model = models.MPNN(nn.BondMessagePassing(d_h=HIDDEN, depth=DEPTH), nn.NormAggregation(), ffn,
                        batch_norm=False, init_lr=LR / 10, max_lr=LR, final_lr=LR / 10)
    trainer = pl.Trainer(logger=False, enable_checkpointing=False, enable_progress_bar=False,
                         enable_model_summary=False, accelerator="cpu", devices=1, max_epochs=epochs,
                         limit_val_batches=0, num_sanity_val_steps=0)
    loader = data.build_dataloader(dset, batch_size=BATCH, num_workers=0, seed=0)
    clock.lap("setup")
    trainer.fit(model, loader)
    clock.lap("train")
    pset = data.MoleculeDataset([data.MoleculeDatapoint.from_smi(s) for s in smiles], feat)
    model.eval()
    out = []
    with torch.inference_mode():
        for batch in data.build_dataloader(pset, batch_size=BATCH, num_workers=0, shuffle=False):
            out.append(model(batch.bmg, batch.V_d, batch.X_d).reshape(len(batch.bmg), -1).numpy())
    clock.lap("predict")
    seconds = dict(clock.seconds)
    info = {"epochs_run": int(trainer.current_epoch), "n_used": len(dset),
            "params": int(sum(p.numel() for p in model.parameters()))}
    return {**seconds, **info}, np.concatenate(out)


def _fingerprints(smiles: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """ECFP4 counts, 2048 bits, ``log1p`` (molpred's ``morgan_counts`` features) of parseable SMILES."""
    from rdkit import Chem, RDLogger
    from rdkit.Chem import rdFingerprintGenerator

    RDLogger.DisableLog("rdApp.*")
    gen = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=2048)
    mols = [Chem.MolFromSmiles(s) for s in smiles]
    ok = np.array([m is not None for m in mols])
    X = np.stack([gen.GetCountFingerprintAsNumPy(m) for m in mols if m is not None]).astype(np.float32)
    return np.log1p(X), ok


def _sklearn_mlp(smiles: list[str], y: np.ndarray, epochs: int) -> tuple[dict, np.ndarray]:
    clock = _Clock()
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPRegressor

    clock.lap("startup")
    mlp = MLPRegressor(hidden_layer_sizes=MLP_LAYERS, batch_size=BATCH, learning_rate_init=LR, max_iter=epochs,
                       shuffle=True, random_state=0, early_stopping=False, tol=0.0, n_iter_no_change=epochs + 1)
    clock.lap("setup")
    X, ok = _fingerprints(smiles)
    clock.lap("featurize")
    yy = y[ok]
    mean, std = yy.mean(), yy.std() + 1e-12
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # max_iter reached: that is the point
        mlp.fit(X, (yy - mean) / std)
    clock.lap("train")
    Xp, _ = _fingerprints(smiles)
    pred = mlp.predict(Xp) * std + mean
    clock.lap("predict")
    info = {"epochs_run": int(mlp.n_iter_), "n_used": int(ok.sum()),
            "params": int(sum(w.size for w in mlp.coefs_) + sum(b.size for b in mlp.intercepts_))}
    return {**clock.seconds, **info}, pred


def _worker(model: str, n: int, epochs: int) -> dict:
    """Measure ``model`` in this (fresh) process: seconds per step and the network's size."""
    import resource

    t_start = time.perf_counter()
    smiles, y = speed_molecules(n)
    t_data = time.perf_counter() - t_start
    if model == "chemprop":
        out, pred = _chemprop(smiles, y, epochs)
    elif model == "sklearn-mlp":
        out, pred = _sklearn_mlp(smiles, y, epochs)
    elif model.startswith("molpred-"):
        out, pred = _molpred(model.removeprefix("molpred-"), smiles, y, epochs)
    else:
        raise ValueError(f"unknown speed model {model!r} (known: {', '.join(SPEED_MODELS)})")
    pred = np.asarray(pred, dtype=np.float64).ravel()
    return {"model": model, "n_molecules": len(smiles), "epochs": epochs, "load_data_s": t_data, **out,
            "n_predictions": int(np.isfinite(pred).sum()),
            "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def _measure(model: str, n: int, epochs: int) -> dict:
    code = ("import json, warnings, logging; warnings.filterwarnings('ignore'); "
            "logging.disable(logging.WARNING); from benchmarks.speed import _worker; "
            f"print('@@' + json.dumps(_worker({model!r}, {n}, {epochs})))")
    root = Path(__file__).resolve().parent.parent
    env = {**__import__("os").environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    share = CpuShare().start()
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=root, env=env)
    wall = time.perf_counter() - t0
    other = share.other_cores()
    for line in proc.stdout.splitlines():
        if line.startswith("@@"):
            return {**json.loads(line[2:]), "process_wall_s": wall, "status": "ok", "message": "",
                    "other_cpu_cores": other}
    tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
    return {"model": model, "status": "error", "message": tail[0][:300], "other_cpu_cores": other}


def rates(frame: pd.DataFrame) -> pd.DataFrame:
    """Long table: one row per model x step with seconds, rates and the peer ratio.

    ``frame`` holds one row per model as :func:`_worker` returns it. ``per_s`` is the rate per
    CPU second of the (single-threaded) process, which other jobs sharing the machine do not
    change much; ``per_wall_s`` the rate per wall-clock second. ``featurize`` and ``predict``
    count molecules, ``train`` molecules x epochs; ``startup`` and ``setup`` have seconds only.
    ``x_vs_peer`` divides ``per_s`` by the peer's for the same step.
    """
    peer_of = {a: b for a, b in SPEED_PAIRS}
    ok = frame[frame["status"] == "ok"].set_index("model")
    rows = []
    for model, r in ok.iterrows():
        for step in STEPS:
            units = r["n_molecules"] * (r["epochs_run"] if step == "train" else 1) if step in RATE_STEPS else np.nan
            cpu = float(r.get(f"{step}_cpu", r[step]))
            rows.append({"model": model, "step": step, "seconds": float(r[step]), "cpu_seconds": cpu,
                         "per_s": units / cpu if step in RATE_STEPS else np.nan,
                         "per_wall_s": units / r[step] if step in RATE_STEPS else np.nan})
    long = pd.DataFrame(rows)
    rate = {(r.model, r.step): r.per_s for r in long.itertuples()}
    long["peer"] = long["model"].map(lambda m: peer_of.get(m, ""))
    long["x_vs_peer"] = [rate.get((r.peer, r.step), np.nan) and r.per_s / rate.get((r.peer, r.step), np.nan)
                         if r.peer and r.step in RATE_STEPS else np.nan for r in long.itertuples()]
    return long


def run_speed(models=None, quick: bool = False, out_dir=None, command: str = "", n: int | None = None,
              epochs: int | None = None) -> pd.DataFrame:
    """Measure every model of :data:`SPEED_PAIRS` (or ``models``) and write the results.

    Writes ``speed[_quick]_results.csv`` (one row per model x step; replaced, not appended: the
    ratios only mean something within one run) and ``speed[_quick]_summary.md``.
    """
    out_dir = Path(out_dir)
    label = "speed_quick" if quick else "speed"
    n = n or (N_QUICK if quick else N_DEFAULT)
    epochs = epochs or (TRAIN_EPOCHS_QUICK if quick else TRAIN_EPOCHS)
    models = list(models or SPEED_MODELS)
    start, started = time.perf_counter(), datetime.now(timezone.utc)
    per_model = []
    for m in models:
        print(f"[bench] speed {m} on {n} molecules, {epochs} epochs", file=sys.stderr, flush=True)
        per_model.append(_measure(m, n, epochs))
    frame = pd.DataFrame(per_model)
    long = rates(frame)
    long = long.merge(frame[["model", "n_molecules", "epochs_run", "peak_rss_mib", "other_cpu_cores", "params"]],
                      on="model", how="left") if len(long) else long
    wall = time.perf_counter() - start
    env = {**{f"{k}_version": v for k, v in versions().items()}, **machine_info()}
    for k, v in {**env, "command": command, "wall_time_s": round(wall, 1),
                 "started": started.isoformat(timespec="seconds")}.items():
        long[k] = v
    long.to_csv(out_dir / f"{label}_results.csv", index=False)
    (out_dir / f"{label}_summary.md").write_text(_summary(long, frame, label, command, started, wall, n, epochs),
                                                 encoding="utf-8")
    return long


def _summary(long, frame, label, command, started, wall, n, epochs) -> str:
    from benchmarks.report import _table

    m, v = machine_info(), versions()
    lines = [f"# Speed: {label}", "",
             f"Command: `{command}` ({started.isoformat(timespec='seconds')}, wall time {wall:.0f} s)",
             f"Machine: {m['cpu_model']}, {m['n_cores']} cores, {m['ram_gib']} GiB RAM, {m['os']}, "
             f"Python {m['python']}. Each model runs alone, in a fresh single-threaded process. "
             + (sharing_note(frame["other_cpu_cores"], m["n_cores"]) if "other_cpu_cores" in frame else ""),
             "Versions: " + ", ".join(f"{k} {val}" for k, val in v.items()), "",
             f"{n} unique MoleculeACE molecules, {epochs} epochs, batch {BATCH}, no validation and no early "
             "stopping. Pairs: molpred D-MPNN vs Chemprop D-MPNN (hidden 300, depth 3, FFN 300), molpred "
             "fingerprint MLP vs scikit-learn `MLPRegressor` (512, 300) on the same ECFP4 counts. "
             "`featurize` and `predict` in molecules per CPU second, `train` in molecules x epochs per CPU "
             "second over the epochs alone (featurisation timed apart); CPU seconds of the single-threaded "
             "process, so other jobs on the machine change them little (wall-clock rates below too); "
             "`startup` (imports) and `setup` (network, trainer) in seconds, excluded from every rate. "
             "`x_vs_peer` = molpred's rate / its peer's rate for the same step in this run.", ""]
    if len(long):
        ratios = long[long["step"].isin(RATE_STEPS) & (long["peer"] != "")]
        lines += ["## Ratios (molpred / peer, same step, same run)", "",
                  _table(ratios.pivot(index="model", columns="step", values="x_vs_peer")
                         .reindex(columns=list(RATE_STEPS)).reset_index()
                         .assign(peer=lambda d: d["model"].map(dict(SPEED_PAIRS)))
                         [["model", "peer", *RATE_STEPS]], lambda x: f"{x:.2f}"), "",
                  "## Rates (per CPU second)", "",
                  _table(long[long["step"].isin(RATE_STEPS)].pivot(index="model", columns="step", values="per_s")
                         .reindex(columns=list(RATE_STEPS)).reset_index(), lambda x: f"{x:.1f}"), "",
                  "## Rates (per wall-clock second; depend on what else ran)", "",
                  _table(long[long["step"].isin(RATE_STEPS)].pivot(index="model", columns="step", values="per_wall_s")
                         .reindex(columns=list(RATE_STEPS)).reset_index(), lambda x: f"{x:.1f}"), "",
                  "## Start-up and set-up (wall seconds, not in the rates)", "",
                  _table(long[~long["step"].isin(RATE_STEPS)].pivot(index="model", columns="step", values="seconds")
                         .reset_index().merge(frame[["model", "params", "epochs_run", "peak_rss_mib",
                                                     "other_cpu_cores"]], on="model"),
                         lambda x: f"{x:.2f}"), ""]
    bad = frame[frame["status"] != "ok"] if "status" in frame else frame.iloc[0:0]
    lines += [f"- {r.model}: {r.message}" for r in bad.itertuples()]
    return "\n".join(lines) + "\n"
