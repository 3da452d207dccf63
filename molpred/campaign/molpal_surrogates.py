"""MolPAL's fingerprint surrogates, for reproducing its retrospective benchmark.

Settings of MolPAL (Graff et al., Chem. Sci. 2021; ``coleygroup/molpal``,
``molpal/models/nnmodels.py`` and ``sklmodels.py``), on its 2048-bit RDKit atom-pair
fingerprints (path length 1-3; ``pool.features("atompair")``):

- ``"molpal-nn"`` (:class:`MolpalNNSurrogate`): 2 hidden layers x 100 ReLU units with an L2
  penalty of 0.01 on both hidden kernels (added to the loss as ``0.01 * sum(W**2)``, as a
  Keras ``l2(0.01)`` regulariser does), linear output, Glorot-uniform initialisation, MSE on
  standardised targets, Adam (lr 0.01, eps 1e-7), batch 4096, at most 50 epochs; 20% of the
  training molecules are held out for early stopping (patience 5 validations, best weights
  restored). MolPAL validates every second epoch (Keras ``validation_freq=2``), so patience 5
  spans 10 epochs; ``val_every`` keeps that. Without dropout (greedy) the std is 0; with
  ``dropout`` (0.2 for UCB in MolPAL) dropout stays on at prediction and ``ensemble`` passes
  (10) give the mean and std (MC dropout).
- ``"molpal-rf"`` (:class:`MolpalRFSurrogate`): scikit-learn ``RandomForestRegressor`` with
  100 trees, max depth 8, all features per split (scikit-learn's default for regression),
  bootstrap, on raw targets; the std is the spread of the trees' predictions. One job (the
  shared machine); MolPAL spreads trees over workers, which changes speed, not results.

Both are retrained from scratch every round (a fresh object per round) and are seeded.
"""

from __future__ import annotations

import time

import numpy as np

__all__ = ["MolpalNNSurrogate", "MolpalRFSurrogate"]

_CHUNK = 8192


def _features(pool, config) -> np.ndarray:
    return pool.features(config.features)


class MolpalNNSurrogate:
    """MolPAL's feed-forward network on atom-pair fingerprints (see the module docstring).

    Parameters
    ----------
    config : molpred.campaign.SurrogateConfig
        ``kind="molpal-nn"``; uses ``hidden`` (100), ``epochs`` (50), ``dropout`` (None),
        ``ensemble`` (10 MC-dropout passes), ``features`` ("atompair").
    seed : int
        Seeds the validation split, initialisation and dropout masks.
    """

    lr = 0.01
    l2 = 0.01
    batch_size = 4096
    val_fraction = 0.2
    patience = 5
    val_every = 2
    restore_best_always = True
    """Restore the best validated weights at the end of training. ``False``: only when early
    stopping fired (Keras before 2.11, the versions MolPAL was run with, did that)."""

    def __init__(self, config, seed: int = 0):
        self.config = config
        self.seed = seed

    def _net(self):
        import torch
        import torch.nn as nn

        from molpred.campaign.pool import FP_BITS

        hidden, p = int(self.config.hidden), float(self.config.dropout or 0.0)

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                # first layer as a sum over set bits: the same function as Linear on 0/1 input
                self.embed = nn.EmbeddingBag(FP_BITS + 1, hidden, mode="sum", padding_idx=FP_BITS)
                self.b1 = nn.Parameter(torch.zeros(hidden))
                self.fc2 = nn.Linear(hidden, hidden)
                self.out = nn.Linear(hidden, 1)
                self.drop = nn.Dropout(p) if p > 0 else nn.Identity()
                bound = (6.0 / (FP_BITS + hidden)) ** 0.5  # Glorot uniform over the 2048 x hidden kernel
                with torch.no_grad():
                    self.embed.weight.uniform_(-bound, bound)
                    self.embed.weight[FP_BITS].zero_()
                for lin in (self.fc2, self.out):
                    nn.init.xavier_uniform_(lin.weight)
                    nn.init.zeros_(lin.bias)

            def forward(self, bits):
                h = self.drop(torch.relu(self.embed(bits) + self.b1))
                h = self.drop(torch.relu(self.fc2(h)))
                return self.out(h).squeeze(1)

            def penalty(self):
                return self.embed.weight[:FP_BITS].pow(2).sum() + self.fc2.weight.pow(2).sum()

        return Net()

    def fit(self, pool, train_idx: np.ndarray, y: np.ndarray) -> dict:
        """Train on pool rows ``train_idx`` with labels ``y``.

        Parameters
        ----------
        pool : molpred.campaign.CandidatePool
        train_idx : numpy.ndarray
            ``n_train`` pool positions.
        y : numpy.ndarray
            ``n_train`` finite labels.

        Returns
        -------
        dict
            Settings, ``n_train``, metrics on the early-stopping hold-out, epochs run, time.
        """
        import torch

        from molpred.campaign.surrogate import _on_bits, _one_thread, _regression_metrics

        t0 = time.perf_counter()
        train_idx = np.asarray(train_idx, dtype=np.int64)
        y = np.asarray(y, dtype=np.float64)
        self.y_mean_, self.y_std_ = float(y.mean()), float(y.std()) or 1.0
        x = torch.from_numpy(_on_bits(_features(pool, self.config)[train_idx]))
        yt = torch.from_numpy(((y - self.y_mean_) / self.y_std_).astype(np.float32))
        rng = np.random.default_rng(self.seed)
        perm = rng.permutation(len(y))
        n_val = int(round(self.val_fraction * len(y))) if len(y) >= 5 else 0
        val, tr = perm[:n_val], perm[n_val:]
        max_epochs = self.config.epochs or 50
        with _one_thread():
            torch.manual_seed(self.seed)
            gen = torch.Generator().manual_seed(self.seed)
            net = self._net()
            opt = torch.optim.Adam(net.parameters(), lr=self.lr, eps=1e-7)
            best, best_state, wait, epochs_run, best_epoch, stopped = np.inf, None, 0, 0, 0, False
            for epoch in range(1, max_epochs + 1):
                net.train()
                order = torch.from_numpy(tr)[torch.randperm(len(tr), generator=gen)]
                for start in range(0, len(order), self.batch_size):
                    b = order[start : start + self.batch_size]
                    opt.zero_grad()
                    loss = torch.mean((net(x[b]) - yt[b]) ** 2) + self.l2 * net.penalty()
                    loss.backward()
                    opt.step()
                epochs_run = epoch
                if n_val and epoch % self.val_every == 0:
                    net.eval()
                    with torch.no_grad():
                        v = float(torch.mean((net(x[val]) - yt[val]) ** 2) + self.l2 * net.penalty())
                    if v < best:
                        best, wait, best_epoch = v, 0, epoch
                        best_state = {k: t.detach().clone() for k, t in net.state_dict().items()}
                    else:
                        wait += 1
                        if wait >= self.patience:
                            stopped = True
                            break
            if best_state is not None and (stopped or self.restore_best_always):
                net.load_state_dict(best_state)
            self.net_ = net.eval()
            val_pred = self._predict_x(x[val])[0] if n_val else np.empty(0)
        return {
            "surrogate": self.config.to_dict() | {"epochs": max_epochs},
            "seed": self.seed,
            "n_train": int(len(y)),
            "epochs_run": epochs_run,
            "best_epoch": best_epoch,
            "validation": {"kind": f"{self.val_fraction:.0%} hold-out (early stopping)",
                           **_regression_metrics(y[val], val_pred)},
            "fit_seconds": round(time.perf_counter() - t0, 3),
        }

    def _predict_x(self, x) -> tuple[np.ndarray, np.ndarray]:
        import torch

        if self.config.dropout:
            self.net_.train()  # MC dropout: masks on at prediction
            with torch.no_grad():
                preds = np.stack([self.net_(x).numpy() for _ in range(int(self.config.ensemble))])
            self.net_.eval()
            preds = preds.astype(np.float64) * self.y_std_ + self.y_mean_
            return preds.mean(0), preds.std(0)
        with torch.no_grad():
            mean = self.net_(x).numpy().astype(np.float64) * self.y_std_ + self.y_mean_
        return mean, np.zeros_like(mean)

    def predict(self, pool, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Mean and std for pool rows ``idx`` (std 0 without dropout).

        Returns
        -------
        mean, std : numpy.ndarray
            ``len(idx)`` each, original units; NaN for unusable molecules.
        """
        import torch

        from molpred.campaign.surrogate import _one_thread, predict_chunked

        fps = _features(pool, self.config)
        idx = np.asarray(idx, dtype=np.int64)
        torch.manual_seed(self.seed + 1)  # reproducible MC-dropout masks
        with _one_thread():
            return predict_chunked(pool, idx, fps, self._predict_x, _CHUNK)


class MolpalRFSurrogate:
    """MolPAL's random forest on atom-pair fingerprints (see the module docstring).

    Parameters
    ----------
    config : molpred.campaign.SurrogateConfig
        ``kind="molpal-rf"``; ``ensemble`` = number of trees (100).
    seed : int
        ``random_state`` of the forest.
    """

    max_depth = 8

    def __init__(self, config, seed: int = 0):
        self.config = config
        self.seed = seed

    def fit(self, pool, train_idx: np.ndarray, y: np.ndarray) -> dict:
        """Train on pool rows ``train_idx``; see :meth:`MolpalNNSurrogate.fit`."""
        from sklearn.ensemble import RandomForestRegressor

        t0 = time.perf_counter()
        x = _features(pool, self.config)[np.asarray(train_idx, dtype=np.int64)].astype(np.float32)
        self.forest_ = RandomForestRegressor(
            n_estimators=int(self.config.ensemble), max_depth=self.max_depth, min_samples_leaf=1,
            max_features=1.0, n_jobs=1, random_state=self.seed,
        ).fit(x, np.asarray(y, dtype=np.float64))
        return {
            "surrogate": self.config.to_dict() | {"max_depth": self.max_depth},
            "seed": self.seed,
            "n_train": int(len(y)),
            "validation": {"kind": "none"},
            "fit_seconds": round(time.perf_counter() - t0, 3),
        }

    def predict(self, pool, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Mean of the trees and their spread (std) for pool rows ``idx``.

        Returns
        -------
        mean, std : numpy.ndarray
            ``len(idx)`` each; NaN for unusable molecules.
        """
        fps = _features(pool, self.config)
        idx = np.asarray(idx, dtype=np.int64)
        mean = np.full(len(idx), np.nan)
        std = np.full(len(idx), np.nan)
        for start in range(0, len(idx), _CHUNK):
            rows = idx[start : start + _CHUNK]
            x = fps[rows].astype(np.float32)
            preds = np.stack([tree.predict(x) for tree in self.forest_.estimators_])
            mean[start : start + len(rows)] = preds.mean(0)
            std[start : start + len(rows)] = preds.std(0)
        bad = ~pool.ok[idx]
        mean[bad] = np.nan
        std[bad] = np.nan
        return mean, std


class NNEnsembleSurrogate:
    """``ensemble`` of MolPAL's networks (:class:`MolpalNNSurrogate`, no dropout), std = their spread.

    Each member has its own seed (initialisation, early-stopping hold-out, batch order), so the
    members differ in what they saw and where they started: a deep ensemble (Lakshminarayanan
    et al., NeurIPS 2017) in place of MolPAL's MC dropout. Greedy uses the members' mean.

    Parameters
    ----------
    config : molpred.campaign.SurrogateConfig
        ``kind="nn-ensemble"``; ``ensemble`` members (5), ``hidden``, ``epochs``, ``features``
        as for ``"molpal-nn"``.
    seed : int
    """

    def __init__(self, config, seed: int = 0):
        self.config = config
        self.seed = seed

    def fit(self, pool, train_idx: np.ndarray, y: np.ndarray) -> dict:
        """Train every member on pool rows ``train_idx``; see :meth:`MolpalNNSurrogate.fit`."""
        from dataclasses import replace

        t0 = time.perf_counter()
        member_config = replace(self.config, dropout=None)
        self.members_ = [MolpalNNSurrogate(member_config, seed=self.seed * 1009 + m)
                         for m in range(int(self.config.ensemble))]
        infos = [m.fit(pool, train_idx, y) for m in self.members_]
        return {
            "surrogate": self.config.to_dict() | {"epochs": self.config.epochs or 50},
            "seed": self.seed,
            "n_train": int(len(y)),
            "epochs_run": [i["epochs_run"] for i in infos],
            "validation": infos[0]["validation"] | {"kind": "member 0's 20% hold-out (early stopping)"},
            "fit_seconds": round(time.perf_counter() - t0, 3),
        }

    def predict(self, pool, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Mean and spread (std) of the members for pool rows ``idx``.

        Returns
        -------
        mean, std : numpy.ndarray
            ``len(idx)`` each, original units; NaN for unusable molecules.
        """
        means = np.stack([m.predict(pool, idx)[0] for m in self.members_])
        return means.mean(0), means.std(0)
