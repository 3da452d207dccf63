"""Ablation ``chemprop-meanagg-nobn``: Chemprop v2 (D-MPNN) through its Python API, configured to
mirror molpred's D-MPNN. NOT ``chemprop train``'s defaults: the CLI aggregates with ``norm``
(sum / 100), this peer with the mean. Chemprop as its users run it is
:mod:`benchmarks.chemprop_cli_peer` (model ``chemprop``).

Settings: BondMessagePassing (hidden 300, depth 3), mean
aggregation, FFN (1 hidden layer of 300), no batch norm, 50 epochs, batch size 64, Noam
schedule (Chemprop's default in ``MPNN``), targets standardised on the training part, graphs
featurised once and cached (the CLI's default), and the weights of the epoch with the lowest
validation loss. Validation data: the task's validation
part when it has one, else 10% of the training part (seeded, random), as ``chemprop train``
does with its default split.
"""

from __future__ import annotations

import numpy as np

__all__ = ["ChempropPeer", "chemprop_available"]


def chemprop_available() -> tuple[bool, str]:
    """Whether Chemprop v2 is importable, and its version or the reason it is not."""
    try:
        import chemprop
    except ImportError as exc:
        return False, f"chemprop not installed ({exc}); install with pip install 'chemprop>=2' torch==<yours>"
    version = getattr(chemprop, "__version__", "?")
    if not str(version).startswith("2"):
        return False, f"chemprop {version} is not v2"
    return True, version


def _parsable(smiles: list[str]) -> np.ndarray:
    from rdkit import Chem, RDLogger

    RDLogger.DisableLog("rdApp.*")
    return np.array([isinstance(s, str) and bool(s) and Chem.MolFromSmiles(s) is not None for s in smiles])


class ChempropPeer:
    """Chemprop v2 MPNN regressor/classifier, mean aggregation and no batch norm (an ablation).

    Parameters
    ----------
    task_type : {"regression", "classification"}
    seed : int
    epochs : int
        50 is Chemprop's default.
    """

    name = "chemprop-meanagg-nobn"

    def __init__(self, task_type: str, seed: int = 0, epochs: int = 50, batch_size: int = 64):
        self.task_type = task_type
        self.seed = seed
        self.epochs = epochs
        self.batch_size = batch_size

    def _datapoints(self, smiles, y):
        from chemprop import data

        return [data.MoleculeDatapoint.from_smi(s, None if y is None else y[i]) for i, s in enumerate(smiles)]

    def fit(self, smiles: list[str], y: np.ndarray, smiles_val=None, y_val=None) -> ChempropPeer:
        """Train on ``smiles`` (``n``), ``y`` (``n x t``); early-stopping data as described above."""
        import logging

        from chemprop import data, featurizers, models, nn
        from lightning import pytorch as pl

        logging.getLogger("lightning.pytorch").setLevel(logging.ERROR)
        pl.seed_everything(self.seed, verbose=False)
        ok = _parsable(smiles)
        smiles, y = [s for s, k in zip(smiles, ok) if k], y[ok]
        if smiles_val is None or len(smiles_val) == 0:
            perm = np.random.default_rng(self.seed).permutation(len(smiles))
            n_val = max(1, int(round(0.1 * len(smiles))))
            val_idx, tr_idx = perm[:n_val], perm[n_val:]
            smiles_val, y_val = [smiles[i] for i in val_idx], y[val_idx]
            smiles, y = [smiles[i] for i in tr_idx], y[tr_idx]
        else:
            okv = _parsable(smiles_val)
            smiles_val, y_val = [s for s, k in zip(smiles_val, okv) if k], y_val[okv]
        self.featurizer_ = featurizers.SimpleMoleculeMolGraphFeaturizer()
        train = data.MoleculeDataset(self._datapoints(smiles, y), self.featurizer_)
        val = data.MoleculeDataset(self._datapoints(smiles_val, y_val), self.featurizer_)
        train.cache = val.cache = True  # featurise once, as ``chemprop train`` does unless --no-cache
        n_tasks = y.shape[1]
        if self.task_type == "regression":
            scaler = train.normalize_targets()
            val.normalize_targets(scaler)
            ffn = nn.RegressionFFN(n_tasks=n_tasks, output_transform=nn.UnscaleTransform.from_standard_scaler(scaler))
        else:
            ffn = nn.BinaryClassificationFFN(n_tasks=n_tasks)
        self.model_ = models.MPNN(nn.BondMessagePassing(), nn.MeanAggregation(), ffn, batch_norm=False)
        best = _best_weights_callback()
        trainer = pl.Trainer(logger=False, enable_checkpointing=False, enable_progress_bar=False,
                             enable_model_summary=False, accelerator="cpu", devices=1,
                             max_epochs=self.epochs, callbacks=[best])
        trainer.fit(self.model_,
                    data.build_dataloader(train, batch_size=self.batch_size, num_workers=0, seed=self.seed),
                    data.build_dataloader(val, batch_size=self.batch_size, num_workers=0, shuffle=False))
        if best.state is not None:
            self.model_.load_state_dict(best.state)
        self.best_epoch_ = best.epoch
        self.n_tasks_ = n_tasks
        return self

    def predict(self, smiles: list[str], batch_size: int = 256) -> np.ndarray:
        """``n x t`` predictions (probabilities for classification), NaN for unparsable SMILES."""
        import torch
        from chemprop import data

        ok = _parsable(smiles)
        out = np.full((len(smiles), self.n_tasks_), np.nan)
        good = [s for s, k in zip(smiles, ok) if k]
        if not good:
            return out
        dset = data.MoleculeDataset(self._datapoints(good, None), self.featurizer_)
        loader = data.build_dataloader(dset, batch_size=batch_size, num_workers=0, shuffle=False)
        self.model_.eval()
        preds = []
        with torch.inference_mode():
            for batch in loader:
                preds.append(self.model_(batch.bmg, batch.V_d, batch.X_d).reshape(len(batch.bmg), -1).numpy())
        out[ok] = np.concatenate(preds)[:, :self.n_tasks_]
        return out


def _best_weights_callback():
    """A lightning callback (built here so lightning is imported only when Chemprop runs)."""
    from lightning import pytorch as pl

    class BestWeights(pl.Callback):
        """Keep a copy of the weights of the epoch with the lowest validation loss."""

        def __init__(self):
            self.best = float("inf")
            self.state = None
            self.epoch = -1

        def on_validation_epoch_end(self, trainer, pl_module):
            if trainer.sanity_checking:
                return
            loss = trainer.callback_metrics.get("val_loss")
            if loss is not None and float(loss) < self.best:
                self.best = float(loss)
                self.epoch = trainer.current_epoch
                self.state = {k: v.detach().clone() for k, v in pl_module.state_dict().items()}

    return BestWeights()
