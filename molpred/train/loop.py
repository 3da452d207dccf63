"""The optimisation loop: Adam, warm-up + exponential-decay schedule, early stopping.

Models hold no training logic; this module owns loss, optimiser, schedule and stopping.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import torch
from scipy.special import expit

from molpred.inference.device import autocast
from molpred.inference.forward import as_batches, predict_network, to_device
from molpred.train.losses import cliff_triplet_loss, masked_loss
from molpred.train.metrics import METRIC_DIRECTIONS, task_metrics

__all__ = ["TrainConfig", "TrainResult", "fit_network", "attach_targets", "seed_everything"]


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
    warmup_epochs : float
        Epochs of linear warm-up; more than ``epochs`` keeps the rate rising to the end
        (``lr / 10 + 0.9 lr * step / warm-up steps``).
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
    cliff_weight : float
        Weight of the activity-cliff triplet term on the molecule embeddings
        (:func:`molpred.train.losses.cliff_triplet_loss`) added to the regression loss; 0 = off.
    cliff_lower, cliff_upper : float or tuple of float
        Its label thresholds in the units of the training targets, one for all tasks or one
        per task (the estimators divide theirs by each target's scale).
    """

    task: str = "regression"
    epochs: int = 50
    batch_size: int = 64
    lr: float = 1e-3
    warmup_epochs: float = 2
    weight_decay: float = 0.0
    patience: int = 15
    grad_clip: float = 10.0
    seed: int = 0
    progress: bool = False
    loss: str = "mse"
    encoder_lr_ratio: float = 1.0
    freeze_encoder_epochs: int = 0
    cliff_weight: float = 0.0
    cliff_lower: float | tuple[float, ...] = 0.2
    cliff_upper: float | tuple[float, ...] = 1.0


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


def attach_targets(graphs, y: np.ndarray, weight: np.ndarray | None = None,
                   qual: np.ndarray | None = None):
    """The training targets as per-graph matrices of packed graphs.

    Parameters
    ----------
    graphs : PackedGraphs
    y : numpy.ndarray
        ``n x n_tasks`` labels, NaN = missing.
    weight : numpy.ndarray, optional
        ``n x n_tasks`` sample weights.
    qual : numpy.ndarray, optional
        ``n x n_tasks`` qualifiers (0 exact, 1 ``>``, -1 ``<``).

    Returns
    -------
    PackedGraphs
        ``graphs`` (arrays shared) with ``y`` (float32, NaN -> 0), ``mask`` (bool, label
        present) and, when given, ``weight`` and ``qual`` (float32, NaN -> 0), each
        ``n x n_tasks``; batches carry them under these names.
    """
    y = np.asarray(y, dtype=np.float32).reshape(len(graphs), -1)
    mask = ~np.isnan(y)
    attrs = {"y": np.where(mask, y, 0.0).astype(np.float32), "mask": mask}
    if weight is not None:
        attrs["weight"] = np.nan_to_num(np.asarray(weight, dtype=np.float32).reshape(y.shape))
    if qual is not None:
        attrs["qual"] = np.nan_to_num(np.asarray(qual, dtype=np.float32).reshape(y.shape))
    return graphs.with_attrs(**attrs)


def _epoch_order(n: int, generator: torch.Generator) -> np.ndarray:
    """A seeded shuffle of ``n`` graph positions for one epoch.

    Draws from ``generator`` exactly as a shuffling ``DataLoader`` did (a base seed, the
    permutation, then the one torch's ``RandomSampler`` draws for its empty remainder), so the
    same seed gives the same batches, and the same model, as molpred versions that collated
    ``Data`` objects with PyG's loader.
    """
    torch.empty((), dtype=torch.int64).random_(generator=generator)
    order = torch.randperm(n, generator=generator).numpy()
    torch.randperm(n, generator=generator)
    return order


def _lr_lambda(config: TrainConfig, steps_per_epoch: int):
    warm = max(1, round(config.warmup_epochs * steps_per_epoch))
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
    proba = expit(out)  # no overflow warning for large negative logits
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
    train_data,
    val_data,
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
    train_data : PackedGraphs
        Graphs with ``y`` and ``mask`` attached (:func:`attach_targets`, scaled targets).
        Each epoch's batches are cut from its arrays in a seeded shuffled order.
    val_data : PackedGraphs, optional
        Validation graphs (batched once for all epochs); without them the last epoch is kept.
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
    from molpred.data.batching import GraphBatcher

    generator = seed_everything(config.seed)
    model.to(device)
    batcher = GraphBatcher(train_data, pin_memory=device.type == "cuda")
    n_train = len(batcher)
    val_batches = as_batches(val_data, device=device) if val_data is not None and len(val_data) else None
    opt = torch.optim.Adam(_param_groups(model, config), lr=config.lr, weight_decay=config.weight_decay)
    steps_per_epoch = -(-n_train // config.batch_size)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, _lr_lambda(config, max(1, steps_per_epoch)))
    has_batch_norm = any(isinstance(m, torch.nn.BatchNorm1d) for m in model.modules())
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
        order = _epoch_order(n_train, generator)
        for lo in range(0, n_train, config.batch_size):
            idx = order[lo:lo + config.batch_size]
            if len(idx) < 2 and has_batch_norm:
                continue  # batch norm cannot train on a single molecule
            batch = to_device(batcher.batch(idx), device)
            opt.zero_grad(set_to_none=True)
            with autocast(device):
                if config.cliff_weight:
                    z = model.embed(batch)
                    out = model.head_output(z, batch)
                else:
                    out = model(batch)
            loss = masked_loss(config.task, out.float(), batch.y, batch.mask, getattr(batch, "weight", None),
                               config.loss, getattr(batch, "qual", None))
            if config.cliff_weight:
                loss = loss + config.cliff_weight * cliff_triplet_loss(
                    z.float(), batch.y, batch.mask, config.cliff_lower, config.cliff_upper)
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
        if val_batches:
            score = _val_score(model, val_batches, val_y, config, device, scaler)
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
        if val_batches and config.patience and stale >= config.patience:
            break
    for p in encoder_params:
        p.requires_grad_(True)
    if best_state is not None:
        model.load_state_dict(best_state)
    else:
        best_epoch = len(history) - 1
        best_score = float("nan")
    return TrainResult(best_epoch, float(best_score), history)
