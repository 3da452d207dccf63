"""Pruning for ``molpred tune``: which pruner, and what a trial reports to it.

Networks report after every training epoch: the best validation score so far of the fit on
the current fold (the estimator's own early-stopping hold-out, drawn from the fold's training
part), at step ``fold * epochs + epoch``, so a configuration that learns badly stops within a
few epochs of its first fold. Kernel and tree learners have no epochs and report the running
mean cross-validated score after each fold (step = fold). Every trial of a study reports the
same way, so the pruner compares like with like at each step.
"""

from __future__ import annotations

__all__ = ["PRUNERS", "make_pruner", "EpochReporter", "warmup_epochs"]

PRUNERS = ("median", "halving", "none")


def make_pruner(pruner):
    """An Optuna pruner from a name in :data:`PRUNERS` (or an Optuna pruner, returned as is).

    ``"median"``: stop a trial whose reported value is worse than the median of the earlier
    trials at the same step (after 3 complete trials). ``"halving"``: asynchronous successive
    halving (reduction factor 3). ``"none"``: never prune.
    """
    import optuna

    if isinstance(pruner, optuna.pruners.BasePruner):
        return pruner
    if pruner == "median":
        return optuna.pruners.MedianPruner(n_startup_trials=3, n_warmup_steps=0)
    if pruner == "halving":
        return optuna.pruners.SuccessiveHalvingPruner(min_resource=1, reduction_factor=3)
    if pruner in ("none", None):
        return optuna.pruners.NopPruner()
    raise ValueError(f"pruner must be one of {PRUNERS} or an optuna pruner, got {pruner!r}")


def warmup_epochs(epochs: int) -> int:
    """Epochs of each fold before a network trial may be pruned: a fifth, between 1 and 10.

    Low learning rates start slowly; comparing at the first epochs would prune them for it.
    """
    return max(1, min(10, int(epochs) // 5))


class EpochReporter:
    """``on_epoch`` callback of a network fit inside a trial: report, then maybe prune.

    Parameters
    ----------
    trial : optuna.trial.Trial
    fold : int
        Index of the fold being fitted.
    epochs : int
        The estimator's maximum epochs (steps of one fold).
    higher_is_better : bool
        Direction of the study (the validation score is ``-RMSE`` or ROC-AUC; it is reported
        as RMSE for regression so that values read like the study's).
    """

    def __init__(self, trial, fold: int, epochs: int, higher_is_better: bool):
        self.trial = trial
        self.fold = fold
        self.epochs = int(epochs)
        self.higher_is_better = higher_is_better
        self.best = None
        self.warmup = warmup_epochs(epochs)

    def __call__(self, record: dict) -> None:
        import math

        import optuna

        score = record.get("val_score")
        if record.get("member", 0) != 0 or score is None or not math.isfinite(score):
            return
        value = score if self.higher_is_better else -score  # fit_network scores -RMSE
        better = self.best is None or (value > self.best if self.higher_is_better else value < self.best)
        self.best = value if better else self.best
        epoch = int(record["epoch"])
        self.trial.report(float(self.best), step=self.fold * self.epochs + epoch)
        if epoch + 1 >= self.warmup and self.trial.should_prune():
            self.trial.set_user_attr("pruned_at", f"fold {self.fold + 1}, epoch {epoch + 1}")
            raise optuna.TrialPruned(f"pruned at fold {self.fold + 1}, epoch {epoch + 1}")
