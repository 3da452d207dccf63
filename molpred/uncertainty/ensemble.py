"""Combine ensemble members, MC-dropout samples and mean-variance heads into mean and std."""

from __future__ import annotations

import numpy as np

__all__ = ["combine_regression", "combine_classification"]


def combine_regression(outputs: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray | None]:
    """Mean and standard deviation over stochastic predictions.

    Parameters
    ----------
    outputs : list of numpy.ndarray
        One per member or dropout sample: ``n x t`` means, or ``n x t x 2`` (mean, variance)
        from a mean-variance head.

    Returns
    -------
    mean : numpy.ndarray
        ``n x t``.
    std : numpy.ndarray or None
        ``n x t`` total standard deviation (law of total variance: mean of the predicted
        variances plus the variance of the means); ``None`` for a single deterministic output.
    """
    stack = np.stack(outputs)  # m x n x t [x 2]
    if stack.ndim == 4:
        means, variances = stack[..., 0], stack[..., 1]
        mean = means.mean(0)
        return mean, np.sqrt(variances.mean(0) + means.var(0))
    mean = stack.mean(0)
    return mean, (stack.std(0) if len(outputs) > 1 else None)


def combine_classification(logits: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray | None]:
    """Mean probability and its spread over members; ``logits`` are ``n x t`` each."""
    probs = np.stack([1.0 / (1.0 + np.exp(-np.clip(z, -50, 50))) for z in logits])
    return probs.mean(0), (probs.std(0) if len(logits) > 1 else None)
