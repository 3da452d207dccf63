"""Surrogate models of a campaign: trained from scratch every round, mean + std for the pool.

Kinds (``SURROGATES``):

- ``"fingerprint"`` (the fast one, for huge pools): an ensemble of ``K`` small multilayer
  perceptrons (2 x 256 hidden, dropout 0.1, Adam, 40 epochs, batch 128, one thread) on
  binary Morgan fingerprints (radius 2, 2048 bits). The pool is fingerprinted once (and
  cached on disk by :class:`CandidatePool`) and the first layer is a sum over the set bits
  (``EmbeddingBag``), so training and scoring 10^4-10^5 candidates costs seconds of CPU.
  Member ``m`` is trained on every fold but ``m`` of a seeded K-fold split: the members
  differ in data and initialisation (their spread is the std) and the held-out folds give
  cross-validated metrics for ``model_info`` at no extra cost. Measured here
  (benchmarks/results/molpal.md) this network finds 45% of the Enamine 10k top-100 with
  greedy, below MolPAL's NN: it is fast, not tuned.
- ``"gp"``: exact Gaussian process with a Tanimoto kernel on full-range atom pairs and Morgan
  bits side by side, std = its posterior; :mod:`molpred.campaign.kernel_surrogates`.
- ``"nn-ensemble"``: 5 of MolPAL's networks with different seeds, std = their spread;
  :class:`molpred.campaign.molpal_surrogates.NNEnsembleSurrogate`.
- ``"graph-ensemble"``: :class:`molpred.MolPropertyRegressor` (``model="dmpnn"`` by default,
  ``ensemble`` members, ``uncertainty="ensemble"``), the accurate and slower choice;
  :mod:`molpred.campaign.graph_surrogates`.
- ``"molpal-nn"``, ``"molpal-rf"`` and ``"molpal-mpn"``: MolPAL's surrogates (Graff et al.,
  Chem. Sci. 2021; NN and RF on its 2048-bit atom-pair fingerprints, MPN a D-MPNN with a
  mean-variance output), for reproducing its benchmark; see
  :mod:`molpred.campaign.molpal_surrogates` and :mod:`molpred.campaign.graph_surrogates`.
"""

from __future__ import annotations

import contextlib
import functools
import time

import numpy as np

from molpred.campaign.graph_surrogates import GraphEnsembleSurrogate, MolpalMPNSurrogate
from molpred.campaign.kernel_surrogates import GPSurrogate
from molpred.campaign.molpal_surrogates import MolpalNNSurrogate, MolpalRFSurrogate, NNEnsembleSurrogate
from molpred.campaign.pool import FP_BITS, POOL_FEATURES, CandidatePool
from molpred.campaign.surrogate_config import SURROGATE_KINDS, SurrogateConfig

__all__ = ["SURROGATES", "SurrogateConfig", "FingerprintSurrogate", "GraphEnsembleSurrogate", "make_surrogate"]

_PREDICT_CHUNK = 8192


@contextlib.contextmanager
def _one_thread():
    """Run small networks on one thread: on a shared machine more threads only spin."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _on_bits(fps: np.ndarray) -> np.ndarray:
    """``n x max_on`` int64 indices of the set bits, padded with ``FP_BITS``.

    Binary fingerprints are ~2% dense, so the first layer is an embedding sum over the set
    bits (``EmbeddingBag``): the same function as a dense ``Linear`` on the bit vector, about
    40x fewer operations, which matters on a busy 2-core machine.
    """
    counts = fps.sum(1, dtype=np.int64)
    width = max(int(counts.max(initial=0)), 1)
    out = np.full((len(fps), width), FP_BITS, dtype=np.int64)
    rows, cols = np.nonzero(fps)
    # np.nonzero returns row-major order: position of each set bit within its row
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    out[rows, np.arange(len(rows)) - starts[rows]] = cols
    return out


@functools.lru_cache(maxsize=1)
def _sparse_mlp_class():
    """Defined on first use so that importing this module does not import torch."""
    import torch
    import torch.nn as nn

    class SparseMLP(nn.Module):
        """Two-hidden-layer MLP on a bit vector given as padded set-bit indices (``n x max_on``)."""

        def __init__(self, hidden: int, dropout: float):
            super().__init__()
            self.embed = nn.EmbeddingBag(FP_BITS + 1, hidden, mode="sum", padding_idx=FP_BITS)
            self.bias = nn.Parameter(torch.zeros(hidden))
            self.rest = nn.Sequential(
                nn.ReLU(), nn.Dropout(dropout), nn.Linear(hidden, hidden), nn.ReLU(), nn.Dropout(dropout),
                nn.Linear(hidden, 1),
            )

        def forward(self, bits):
            return self.rest(self.embed(bits) + self.bias)  # n x 1

    return SparseMLP


def _SparseMLP(hidden: int, dropout: float):
    return _sparse_mlp_class()(hidden, dropout)


def _regression_metrics(y: np.ndarray, pred: np.ndarray) -> dict:
    from scipy.stats import spearmanr

    ok = np.isfinite(pred) & np.isfinite(y)
    y, pred = y[ok], pred[ok]
    if len(y) < 3:
        return {"n": int(len(y))}
    rmse = float(np.sqrt(np.mean((y - pred) ** 2)))
    var = float(np.var(y))
    r2 = float(1 - np.mean((y - pred) ** 2) / var) if var > 0 else None
    rho = spearmanr(y, pred).statistic
    return {"n": int(len(y)), "rmse": rmse, "r2": r2, "spearman": None if np.isnan(rho) else float(rho)}


class FingerprintSurrogate:
    """K-fold MLP ensemble on Morgan fingerprints (see the module docstring).

    Parameters
    ----------
    config : SurrogateConfig
    seed : int
        Seeds the fold split and every member's initialisation and batches.
    """

    batch_size = 128
    lr = 1e-3
    dropout = 0.1

    def __init__(self, config: SurrogateConfig, seed: int = 0):
        self.config = config
        self.seed = seed

    def _net(self):
        return _SparseMLP(self.config.hidden, self.dropout)

    def _train(self, x, y, seed: int, epochs: int):
        import torch

        gen = torch.Generator().manual_seed(seed)
        torch.manual_seed(seed)
        net = self._net()
        opt = torch.optim.Adam(net.parameters(), lr=self.lr)
        net.train()
        n = len(x)
        bs = self.batch_size
        for _ in range(epochs):
            perm = torch.randperm(n, generator=gen)
            for start in range(0, n, bs):
                b = perm[start : start + bs]
                opt.zero_grad()
                loss = torch.nn.functional.mse_loss(net(x[b]).squeeze(1), y[b])
                loss.backward()
                opt.step()
        return net.eval()

    def fit(self, pool: CandidatePool, train_idx: np.ndarray, y: np.ndarray) -> dict:
        """Train on pool rows ``train_idx`` with labels ``y``.

        Parameters
        ----------
        pool : CandidatePool
        train_idx : numpy.ndarray
            ``n_train`` positions in the pool (usable molecules).
        y : numpy.ndarray
            ``n_train`` finite labels.

        Returns
        -------
        dict
            Metadata for ``model_info``: settings, ``n_train``, cross-validated metrics, time.
        """
        import torch

        t0 = time.perf_counter()
        fps = pool.features(self.config.features)
        train_idx = np.asarray(train_idx, dtype=np.int64)
        y = np.asarray(y, dtype=np.float64)
        self.y_mean_, self.y_std_ = float(y.mean()), float(y.std()) or 1.0
        x = torch.from_numpy(_on_bits(fps[train_idx]))
        yt = torch.from_numpy(((y - self.y_mean_) / self.y_std_).astype(np.float32))
        k = self.config.ensemble
        epochs = self.config.epochs or 40
        rng = np.random.default_rng(self.seed)
        with _one_thread():
            oof = self._fit_members(x, yt, y, rng, k, epochs)
        return {
            "surrogate": self.config.to_dict() | {"epochs": epochs, "features": POOL_FEATURES[self.config.features][0]},
            "seed": self.seed,
            "n_train": int(len(y)),
            "validation": {"kind": f"{k}-fold out-of-fold", **_regression_metrics(y, oof)},
            "fit_seconds": round(time.perf_counter() - t0, 3),
        }

    def _fit_members(self, x, yt, y, rng, k: int, epochs: int) -> np.ndarray:
        """Train the ``k`` fold members; returns ``n_train`` out-of-fold predictions."""
        import torch

        folds = np.array_split(rng.permutation(len(y)), k) if len(y) >= 2 * k else [np.empty(0, np.int64)] * k
        self.members_ = []
        oof = np.full(len(y), np.nan)
        for m, held in enumerate(folds):
            keep = np.setdiff1d(np.arange(len(y)), held)
            net = self._train(x[keep], yt[keep], self.seed * 1009 + m, epochs)
            self.members_.append(net)
            if len(held):
                with torch.no_grad():
                    oof[held] = net(x[held]).squeeze(1).numpy() * self.y_std_ + self.y_mean_
        return oof

    def predict(self, pool: CandidatePool, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Mean and std (spread of the members) for pool rows ``idx``.

        Returns
        -------
        mean, std : numpy.ndarray
            ``len(idx)`` each, original units; NaN for unusable molecules.
        """
        import torch

        fps = pool.features(self.config.features)
        idx = np.asarray(idx, dtype=np.int64)

        def members(x):
            with torch.no_grad(), _one_thread():
                preds = np.stack([net(x).squeeze(1).numpy() for net in self.members_]).astype(np.float64)
            preds = preds * self.y_std_ + self.y_mean_
            return preds.mean(0), preds.std(0)

        return predict_chunked(pool, idx, fps, members)



SURROGATES = {
    "fingerprint": FingerprintSurrogate,
    "graph-ensemble": GraphEnsembleSurrogate,
    "molpal-nn": MolpalNNSurrogate,
    "molpal-rf": MolpalRFSurrogate,
    "molpal-mpn": MolpalMPNSurrogate,
    "nn-ensemble": NNEnsembleSurrogate,
    "gp": GPSurrogate,
}
"""Registry: surrogate kind -> class with ``fit(pool, idx, y) -> info`` and ``predict(pool, idx)``."""
if tuple(SURROGATES) != SURROGATE_KINDS:  # pragma: no cover - a kind added to one list only
    raise ImportError(f"surrogate kinds differ: classes for {tuple(SURROGATES)}, settings for {SURROGATE_KINDS}")


def make_surrogate(config: SurrogateConfig, seed: int = 0):
    """A fresh, untrained surrogate of ``config.kind`` seeded with ``seed``."""
    return SURROGATES[config.kind](config, seed=seed)


def predict_chunked(pool: CandidatePool, idx: np.ndarray, fps: np.ndarray, predict_rows,
                    chunk: int = _PREDICT_CHUNK) -> tuple[np.ndarray, np.ndarray]:
    """Mean and std of pool rows ``idx``, ``chunk`` rows at a time (bounded memory).

    Parameters
    ----------
    pool : CandidatePool
    idx : numpy.ndarray
        ``n`` pool row indices.
    fps : numpy.ndarray
        The pool's packed fingerprints (``n_pool x FP_BITS / 8`` uint8).
    predict_rows : callable
        ``torch.Tensor (m x FP_BITS) -> (mean, std)``, each ``m`` floats, original units.

    Returns
    -------
    mean, std : numpy.ndarray
        ``n`` each; NaN for molecules the pool could not use.
    """
    import torch

    mean = np.full(len(idx), np.nan)
    std = np.full(len(idx), np.nan)
    for start in range(0, len(idx), chunk):
        rows = idx[start : start + chunk]
        mean[start : start + len(rows)], std[start : start + len(rows)] = predict_rows(
            torch.from_numpy(_on_bits(fps[rows])))
    bad = ~pool.ok[idx]
    mean[bad] = np.nan
    std[bad] = np.nan
    return mean, std
