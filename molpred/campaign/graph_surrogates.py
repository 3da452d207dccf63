"""Graph-network surrogates of a campaign: molpred's D-MPNN ensemble and MolPAL's MPN.

Both wrap :class:`molpred.MolPropertyRegressor`, retrained from scratch every round; the pool
is featurised once per process (:meth:`CandidatePool.graphs`) and predicted with the trained
members directly.

- ``"graph-ensemble"`` (:class:`GraphEnsembleSurrogate`): ``ensemble`` networks
  (``uncertainty="ensemble"``), std = the members' spread.
- ``"molpal-mpn"`` (:class:`MolpalMPNSurrogate`): MolPAL's MPN (Graff et al., Chem. Sci. 2021;
  ``coleygroup/molpal``, ``molpal/models/mpnmodels.py``): one D-MPNN, hidden 300, depth 3, mean
  readout, 2-layer FFN of 300, no dropout, batch 50, 50 epochs, targets standardised on the
  training part, MSE (MolPAL's ``MPNModel``, ``--conf-method none``; std 0) or, by default,
  a mean-variance output (Gaussian likelihood, std = the predicted one; MolPAL's
  ``MPNTwoOutputModel``, ``--conf-method mve``, which the paper's experiment script
  ``scripts/submit_molpal.py`` passed to every MPN run, greedy included). Two training codes
  (``SurrogateConfig(protocol=...)``):

  - ``"paper"`` (default): the code of the paper's results (2020-08 to 2021-03, e.g. commit
    ``a78bc21``). A random 20% of the molecules is split off as validation and never trained
    on; the Noam schedule warms up from 1e-4 to 1e-3 over 2 epochs and decays to 1e-4; no
    gradient clipping; all 50 epochs run and the *last* weights are kept. (Its loop means to
    keep the best validated weights, but it keeps ``model.state_dict()``, whose tensors are the
    live parameters, and tests ``val_rmse > best``: the final reload is a no-op.)
  - ``"lightning"``: the PyTorch Lightning code that replaced it (2021-10 on). Its ``NoamLR``
    is given the run's total number of steps as ``steps_per_epoch``
    (``LitMPNN.num_training_steps``), so the warm-up spans 100 epochs of steps and the rate
    rises linearly from 1e-4 to 5.5e-4 at epoch 50, never decaying (``warmup_epochs = 2 x
    epochs`` here); early stopping after 10 epochs without improvement on the 20% validation
    split (molpred restores the best validated weights and monitors RMSE; MolPAL keeps the last
    ones and monitors MAE: no effect in a check on two seeds).

  Differences left in both: molpred's atom/bond features (molgraph v2) instead of Chemprop
  v1's, standardised SMILES, and a fresh shuffle of the training molecules every epoch
  (MolPAL's paper code kept one order).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # annotations only: surrogate.py imports this module
    from molpred.campaign.pool import CandidatePool
    from molpred.campaign.surrogate_config import SurrogateConfig

__all__ = ["GraphEnsembleSurrogate", "MolpalMPNSurrogate"]


class GraphEnsembleSurrogate:
    """:class:`molpred.MolPropertyRegressor` ensemble (``uncertainty="ensemble"``).

    Parameters
    ----------
    config : SurrogateConfig
    seed : int
    """

    def __init__(self, config: SurrogateConfig, seed: int = 0):
        self.config = config
        self.seed = seed

    default_epochs = 30
    validation_kind = "held-out fraction (early stopping)"

    def _training_rows(self, train_idx: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The rows the estimator is fitted on (all of them; see :class:`MolpalMPNSurrogate`)."""
        return train_idx, y

    def _estimator(self, epochs: int):
        from molpred.estimators import MolPropertyRegressor

        return MolPropertyRegressor(
            model=self.config.model,
            ensemble=self.config.ensemble,
            uncertainty="ensemble",
            epochs=epochs,
            seed=self.seed,
            device="cpu",
            applicability_domain=False,
            # predict() uses the raw spread, so a calibration hold-out would only cost data
            calibration_fraction=0.0,
            pretrained=None,  # a fresh network each round, as the campaign benchmarks were run
        )

    def fit(self, pool: CandidatePool, train_idx: np.ndarray, y: np.ndarray) -> dict:
        """Train on pool rows ``train_idx``; see :meth:`FingerprintSurrogate.fit`."""
        import warnings

        t0 = time.perf_counter()
        epochs = self.config.epochs or self.default_epochs
        self.estimator_ = self._estimator(epochs)
        n_given = len(y)
        train_idx, y = self._training_rows(np.asarray(train_idx, dtype=np.int64), np.asarray(y, dtype=np.float64))
        smiles = [pool.smiles[i] for i in train_idx]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self.estimator_.fit(smiles, y)
        est = self.estimator_
        return {
            "surrogate": self.config.to_dict() | {"epochs": epochs},
            "seed": self.seed,
            "n_train": int(n_given),
            # the same flat keys (n, rmse, r2, spearman) as the fingerprint surrogate's
            "validation": {"kind": self.validation_kind, **_validation_summary(est)},
            "training": [
                {k: v for k, v in h.items() if k != "history"} for h in getattr(est, "training_", [])
            ],
            "fit_seconds": round(time.perf_counter() - t0, 3),
        }

    def predict(self, pool: CandidatePool, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Mean and ensemble std for pool rows ``idx`` (NaN where unusable).

        The std is the members' raw spread, as for :class:`FingerprintSurrogate` and in
        MolPAL: the estimator's variance calibration is fitted on its small early-stopping
        hold-out (about 10 molecules in a first round), and a scale that noisy would decide
        how much UCB's ``beta`` explores.
        """
        from molpred.predict import member_outputs

        est = self.estimator_
        idx = np.asarray(idx, dtype=np.int64)
        key = f"{type(est.featurizer_).__name__}|{est.std_config_!r}"
        data, where = pool.graphs(est.featurizer_, est.std_config_, key)
        pos = np.full(len(pool), -1, dtype=np.int64)
        pos[where] = np.arange(len(where))
        sel = pos[idx]
        have = sel >= 0
        mean = np.full(len(idx), np.nan)
        std = np.full(len(idx), np.nan)
        if have.any():
            m, s = member_outputs(est, data.take(sel[have]), calibrated=False)
            mean[have] = m[:, 0]
            std[have] = 0.0 if s is None else s[:, 0]  # no uncertainty method: one network, std 0
        return mean, std


class MolpalMPNSurrogate(GraphEnsembleSurrogate):
    """MolPAL's MPN: one D-MPNN with a mean-variance output, or trained with MSE (see the module docstring).

    Parameters
    ----------
    config : SurrogateConfig
        ``kind="molpal-mpn"``; uses ``epochs`` (50), ``hidden`` (300) and ``mve`` (default
        ``True``). ``ensemble`` networks (default 1) are averaged; with the variance head their
        variances are combined by the law of total variance, without it the std is their
        spread (0 for one network).
    seed : int
    """

    default_epochs = 50
    batch_size = 50
    lr = 1e-3  # Noam peak ("lightning": never reached, the warm-up lasts twice the run)
    val_fraction = 0.2
    patience = 10  # "lightning" only: the paper's code trains all epochs

    def _uncertainty(self) -> str | None:
        if self.config.mve is not False:
            return "mve"
        return "ensemble" if int(self.config.ensemble) > 1 else None

    def _estimator(self, epochs: int):
        from molpred.estimators import MolPropertyRegressor

        paper = self.config.protocol == "paper"
        return MolPropertyRegressor(
            model="dmpnn",
            hidden_size=int(self.config.hidden),
            depth=3,
            ffn_hidden_size=int(self.config.hidden),
            ffn_layers=2,
            dropout=0.0,
            ensemble=int(self.config.ensemble),
            uncertainty=self._uncertainty(),
            epochs=epochs,
            batch_size=self.batch_size,
            lr=self.lr,
            warmup_epochs=2.0 if paper else 2.0 * epochs,
            grad_clip=0.0 if paper else 10.0,
            # paper: fit() gets the 80% part only, so nothing is held out and the last weights stay
            patience=0 if paper else self.patience,
            val_fraction=0.0 if paper else self.val_fraction,
            seed=self.seed,
            device="cpu",
            applicability_domain=False,
            calibration_fraction=0.0,  # the MVE std is used as predicted, as in MolPAL
            pretrained=None,  # MolPAL trains its MPN from scratch
        )

    @property
    def validation_kind(self) -> str:
        if self.config.protocol == "paper":
            return "none: a random 20% left out, the last weights kept (MolPAL's paper code)"
        return GraphEnsembleSurrogate.validation_kind

    def _training_rows(self, train_idx: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The paper's code trains on a random 80% (its validation 20% only scores epochs)."""
        if self.config.protocol != "paper" or len(y) < 2:
            return train_idx, y
        rng = np.random.default_rng(self.seed)
        keep = np.sort(rng.permutation(len(y))[: max(1, int(round((1 - self.val_fraction) * len(y))))])
        return train_idx[keep], y[keep]


def _validation_summary(est) -> dict:
    """``n`` and the mean-over-targets metrics of the estimator's early-stopping hold-out."""
    metrics = getattr(est, "val_metrics_", None) or {}
    out = _clean(metrics.get("mean") or {})
    per_target = list((metrics.get("per_target") or {}).values())
    if per_target and "n" in per_target[0]:
        out["n"] = per_target[0]["n"]
    return out


def _clean(d) -> dict:
    """JSON-safe copy of a metrics dict (NaN -> None)."""
    if not isinstance(d, dict):
        return {}
    out = {}
    for k, v in d.items():
        if isinstance(v, dict):
            out[k] = _clean(v)
        elif isinstance(v, float | np.floating):
            out[k] = None if not np.isfinite(v) else float(v)
        else:
            out[k] = v
    return out
