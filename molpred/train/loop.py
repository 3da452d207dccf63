"""The optimisation loop: Adam, warm-up + exponential-decay schedule, early stopping.

Models hold no training logic; this module owns loss, optimiser, schedule and stopping.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field

import numpy as np
import torch

from molpred.train.device import autocast
from molpred.train.losses import masked_loss
from molpred.train.metrics import METRIC_DIRECTIONS, task_metrics

__all__ = ["TrainConfig", "TrainResult", "Batches", "fit_network", "predict_network", "attach_targets",
           "seed_everything"]


@dataclass(frozen=True)
class TrainConfig:
    """Optimisation settings.

    Parameters
    ----------
    task : {"regression", "classification"}
    epochs : int
        Maximum number of epochs.
    batch_size : int
    lr : float
        Peak learning rate; warm-up from ``lr / 10`` over ``warmup_epochs``, then exponential
        decay to ``lr / 10`` at the last epoch (Chemprop's Noam-like schedule).
    warmup_epochs : int
    weight_decay : float
    patience : int
        Stop after this many epochs without validation improvement (0 disables).
    grad_clip : float
        Gradient norm clip (0 disables).
    seed : int
    progress : bool
        Show a progress bar over epochs.
    loss : {"mse", "mae", "huber", "censored"}
        Regression loss (:mod:`molpred.train.losses`).
    encoder_lr_ratio : float
        Learning rate of the encoder (and readout) relative to ``lr``; below 1 when fine-tuning
        a pretrained encoder, so the head adapts faster than the representation.
    freeze_encoder_epochs : int
        Number of first epochs during which the encoder and readout get no updates.
    """

    task: str = "regression"
    epochs: int = 50
    batch_size: int = 64
    lr: float = 1e-3
    warmup_epochs: int = 2
    weight_decay: float = 0.0
    patience: int = 15
    grad_clip: float = 10.0
    seed: int = 0
    progress: bool = False
    loss: str = "mse"
    encoder_lr_ratio: float = 1.0
    freeze_encoder_epochs: int = 0


@dataclass
class TrainResult:
    """What a training run produced (the best weights are already loaded into the model)."""

    best_epoch: int
    best_score: float
    history: list[dict] = field(default_factory=list)


def seed_everything(seed: int) -> torch.Generator:
    """Seed torch and numpy; return a torch generator for data shuffling."""
    torch.manual_seed(seed)
    np.random.seed(seed % (2**32))
    g = torch.Generator()
    g.manual_seed(seed)
    return g


def attach_targets(data: list, y: np.ndarray, weight: np.ndarray | None = None,
                   qual: np.ndarray | None = None) -> list:
    """Set ``d.y`` (``1 x n_tasks``, NaN -> 0) and ``d.mask`` on each graph; returns shallow copies.

    Parameters
    ----------
    data : list of Data
    y : numpy.ndarray
        ``n x n_tasks`` labels, NaN = missing.
    weight : numpy.ndarray, optional
        ``n x n_tasks`` sample weights, set as ``d.weight``.
    qual : numpy.ndarray, optional
        ``n x n_tasks`` qualifiers (0 exact, 1 ``>``, -1 ``<``), set as ``d.qual``.
    """
    out = []
    y = np.asarray(y, dtype=np.float32).reshape(len(data), -1)
    extras = {}
    if weight is not None:
        extras["weight"] = np.asarray(weight, dtype=np.float32).reshape(y.shape)
    if qual is not None:
        extras["qual"] = np.asarray(qual, dtype=np.float32).reshape(y.shape)
    for i, (d, row) in enumerate(zip(data, y)):
        d = copy.copy(d)
        mask = ~np.isnan(row)
        d.y = torch.from_numpy(np.where(mask, row, 0.0).astype(np.float32)[None, :])
        d.mask = torch.from_numpy(mask[None, :])
        for key, arr in extras.items():
            setattr(d, key, torch.from_numpy(np.nan_to_num(arr[i])[None, :]))
        out.append(d)
    return out


class Batches(list):
    """Ready-made PyG ``Batch`` objects: :func:`predict_network` uses them as they are.

    The screening engine builds batches straight from packed chunk arrays
    (:meth:`molpred.screen.packing.PackedGraphs.batch`), skipping per-molecule ``Data``
    objects and their collation.
    """


def _loader(data: list, batch_size: int, shuffle: bool, generator: torch.Generator | None = None):
    from torch_geometric.loader import DataLoader

    return DataLoader(data, batch_size=batch_size, shuffle=shuffle, generator=generator)


@torch.no_grad()
def predict_network(model: torch.nn.Module, data: list, device: torch.device, batch_size: int = 256,
                    dropout: bool = False, precision: str = "auto") -> np.ndarray:
    """Raw network outputs for ``data``.

    Parameters
    ----------
    data : list of Data or Batches
        Graphs (batched ``batch_size`` at a time, in order) or ready-made batches.
    dropout : bool
        Keep dropout active (MC dropout, :func:`molpred.nn.dropout.enable_mc_dropout`).
    precision : {"auto", "fp32", "bf16"}
        Arithmetic of the forward pass (:func:`molpred.train.device.autocast`).

    Returns
    -------
    numpy.ndarray
        ``n x n_tasks`` (or ``n x n_tasks x 2`` with a mean-variance head), float64, in the
        network's (scaled) units.
    """
    model.eval()
    if dropout:
        from molpred.nn.dropout import enable_mc_dropout

        enable_mc_dropout(model)  # nn.Dropout and PyG's functional dropout, never BatchNorm
    outs = []
    batches = data if isinstance(data, Batches) else _loader(data, batch_size, shuffle=False)
    for batch in batches:
        batch = batch.to(device)
        with autocast(device, precision):
            out = model(batch).float().cpu()
        n_real = getattr(batch, "n_real", None)  # padded batches (PackedGraphs.batch) end with a filler graph
        outs.append(out if n_real is None else out[:n_real])
    if not outs:
        return np.zeros((0, model.head.n_tasks), dtype=np.float64)
    return torch.cat(outs).double().numpy()


def _lr_lambda(config: TrainConfig, steps_per_epoch: int):
    warm = max(1, config.warmup_epochs * steps_per_epoch)
    total = max(warm + 1, config.epochs * steps_per_epoch)
    decay = math.log(0.1) / (total - warm)

    def fn(step: int) -> float:
        if step < warm:
            return 0.1 + 0.9 * step / warm
        return math.exp(decay * (step - warm))

    return fn


def _encoder_params(model: torch.nn.Module) -> list:
    """Encoder and readout parameters of a ``MoleculeModel`` (empty for other modules)."""
    parts = [getattr(model, name, None) for name in ("encoder", "readout")]
    return [p for part in parts if part is not None for p in part.parameters()]


def _param_groups(model: torch.nn.Module, config: TrainConfig) -> list[dict]:
    """Two Adam groups when the encoder learns at its own rate, else one."""
    if config.encoder_lr_ratio == 1.0:
        return [{"params": list(model.parameters())}]
    enc = {id(p) for p in _encoder_params(model)}
    return [{"params": [p for p in model.parameters() if id(p) in enc], "lr": config.lr * config.encoder_lr_ratio},
            {"params": [p for p in model.parameters() if id(p) not in enc]}]


def _val_score(model, val_data, val_y, config: TrainConfig, device, scaler) -> float:
    """Validation metric, oriented so that higher is better."""
    out = predict_network(model, val_data, device)
    if out.ndim == 3:
        out = out[..., 0]
    if config.task == "regression":
        pred = scaler.inverse_transform(out) if scaler is not None else out
        m = task_metrics("regression", val_y, pred, [str(i) for i in range(pred.shape[1])])
        return METRIC_DIRECTIONS["rmse"] * m["mean"]["rmse"]
    proba = 1.0 / (1.0 + np.exp(-out))
    m = task_metrics("classification", val_y, proba, [str(i) for i in range(proba.shape[1])])
    auc = m["mean"]["roc_auc"]
    if auc is None:  # a validation set with one class: fall back to negative log loss
        return binary_log_likelihood(val_y, proba)
    return auc


def binary_log_likelihood(y: np.ndarray, proba: np.ndarray, eps: float = 1e-7) -> float:
    """Mean Bernoulli log-likelihood over the observed labels only.

    Parameters
    ----------
    y : numpy.ndarray
        ``n x t`` 0/1 labels, NaN = missing (a missing label is not a negative).
    proba : numpy.ndarray
        ``n x t`` probabilities of class 1.

    Returns
    -------
    float
        Higher is better; NaN when no label is observed.
    """
    y = np.asarray(y, dtype=float)
    seen = ~np.isnan(y)
    if not seen.any():
        return float("nan")
    t, p = y[seen], np.asarray(proba, dtype=float)[seen]
    return float(np.mean(t * np.log(p + eps) + (1 - t) * np.log(1 - p + eps)))


def _postfix(record: dict, task: str) -> dict:
    """Progress-bar fields of one epoch: training loss and the validation metric by name."""
    out = {"train_loss": f"{record['train_loss']:.4g}"}
    if "val_score" in record:
        if task == "regression":
            out["val_rmse"] = f"{-record['val_score']:.4g}"  # the score is -RMSE (higher is better)
        else:
            out["val_auc"] = f"{record['val_score']:.4g}"
    return out


def fit_network(
    model: torch.nn.Module,
    train_data: list,
    val_data: list | None,
    val_y: np.ndarray | None,
    config: TrainConfig,
    device: torch.device,
    scaler=None,
    on_epoch=None,
) -> TrainResult:
    """Train ``model`` in place and load the weights of the best validation epoch.

    Parameters
    ----------
    model : MoleculeModel
    train_data : list of Data
        Graphs with ``y`` and ``mask`` attached (:func:`attach_targets`, scaled targets).
    val_data : list of Data, optional
        Validation graphs; without them the last epoch is kept.
    val_y : numpy.ndarray, optional
        ``n_val x n_tasks`` validation labels in original units (NaN = missing).
    config : TrainConfig
    device : torch.device
    scaler : TargetScaler, optional
        To score regression validation in original units.
    on_epoch : callable, optional
        Called with each epoch's record (``epoch``, ``train_loss``, ``val_score`` when there is
        validation data); an exception it raises stops training and propagates (``molpred
        tune`` prunes trials this way).
    """
    generator = seed_everything(config.seed)
    model.to(device)
    loader = _loader(train_data, config.batch_size, shuffle=True, generator=generator)
    opt = torch.optim.Adam(_param_groups(model, config), lr=config.lr, weight_decay=config.weight_decay)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, _lr_lambda(config, max(1, len(loader))))
    use_scaler = device.type == "cuda" and not torch.cuda.is_bf16_supported()
    grad_scaler = torch.amp.GradScaler("cuda", enabled=use_scaler)
    best_state, best_score, best_epoch, stale = None, -np.inf, -1, 0
    history: list[dict] = []
    epochs = range(config.epochs)
    if config.progress:
        from tqdm.auto import tqdm

        epochs = tqdm(epochs, desc="train", unit="epoch", leave=False)
    encoder_params = _encoder_params(model)
    for epoch in epochs:
        model.train()
        for p in encoder_params:  # frozen epochs: no gradients, so Adam skips these tensors
            p.requires_grad_(epoch >= config.freeze_encoder_epochs)
        total, count = 0.0, 0
        for batch in loader:
            if batch.num_graphs < 2 and any(isinstance(m, torch.nn.BatchNorm1d) for m in model.modules()):
                continue  # batch norm cannot train on a single molecule
            batch = batch.to(device)
            opt.zero_grad(set_to_none=True)
            with autocast(device):
                out = model(batch)
            loss = masked_loss(config.task, out.float(), batch.y, batch.mask, getattr(batch, "weight", None),
                               config.loss, getattr(batch, "qual", None))
            grad_scaler.scale(loss).backward()
            if config.grad_clip > 0:
                grad_scaler.unscale_(opt)
                torch.nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)
            grad_scaler.step(opt)
            grad_scaler.update()
            sched.step()
            total += float(loss.detach()) * batch.num_graphs
            count += batch.num_graphs
        record = {"epoch": epoch, "train_loss": total / max(count, 1)}
        if val_data:
            score = _val_score(model, val_data, val_y, config, device, scaler)
            record["val_score"] = score
            if score > best_score:
                best_score, best_epoch, stale = score, epoch, 0
                best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
            else:
                stale += 1
        history.append(record)
        if on_epoch is not None:
            on_epoch(dict(record))
        if config.progress:
            epochs.set_postfix(_postfix(record, config.task))
        if val_data and config.patience and stale >= config.patience:
            break
    for p in encoder_params:
        p.requires_grad_(True)
    if best_state is not None:
        model.load_state_dict(best_state)
    else:
        best_epoch = len(history) - 1
        best_score = float("nan")
    return TrainResult(best_epoch, float(best_score), history)
