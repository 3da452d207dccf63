"""Acquisition functions: how a campaign turns a surrogate's mean and std into a score.

Every function here is written for **maximisation**: a higher score means "measure this
compound sooner". For an objective to minimise (an IC50 in nM, a clearance...) the caller
negates the predicted mean and the best observed value before scoring, and leaves the std
unchanged::

    score(config, -mean, std, best=-best_min, seed=seed)

References
----------
Greedy, UCB, EI and PI as used for molecular active learning: Graff, Shakhnovich & Coley,
"Accelerating high-throughput virtual screening through molecular pool-based active
learning", Chem. Sci. 12, 7866 (2021). UCB: Srinivas et al., ICML 2010. EI: Jones, Schonlau &
Welch, J. Glob. Optim. 13, 455 (1998). Thompson sampling: Thompson, Biometrika 25, 285 (1933).
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np
from scipy.special import ndtr

__all__ = [
    "ACQUISITIONS",
    "AcquisitionConfig",
    "describe_acquisitions",
    "ei",
    "get_acquisition",
    "greedy",
    "list_acquisitions",
    "pi",
    "random",
    "score",
    "thompson",
    "ucb",
]


def _phi(z: np.ndarray) -> np.ndarray:
    """Standard normal density."""
    return np.exp(-0.5 * z * z) / np.sqrt(2.0 * np.pi)


def greedy(mean: np.ndarray, std: np.ndarray) -> np.ndarray:
    """Pure exploitation: the predicted mean.

    Parameters
    ----------
    mean : numpy.ndarray
        ``n_pool`` predicted means.
    std : numpy.ndarray
        ``n_pool`` predicted standard deviations (ignored).

    Returns
    -------
    numpy.ndarray
        ``n_pool`` float64 scores.
    """
    return np.asarray(mean, dtype=np.float64).copy()


def ucb(mean: np.ndarray, std: np.ndarray, beta: float = 2.0) -> np.ndarray:
    """Upper confidence bound ``mean + beta * std``; ``beta=0`` is greedy.

    Parameters
    ----------
    mean, std : numpy.ndarray
        ``n_pool`` predicted means and standard deviations.
    beta : float
        Weight of the uncertainty (exploration). Must be >= 0.

    Returns
    -------
    numpy.ndarray
        ``n_pool`` scores.
    """
    return np.asarray(mean, dtype=np.float64) + beta * np.asarray(std, dtype=np.float64)


def ei(mean: np.ndarray, std: np.ndarray, best: float, xi: float = 0.01) -> np.ndarray:
    """Expected improvement over ``best + xi`` under a normal predictive distribution.

    ``EI = (mean - best - xi) * Phi(z) + std * phi(z)`` with ``z = (mean - best - xi) / std``.
    Where ``std == 0`` the predictive distribution is a point mass and EI is the plain
    improvement ``max(mean - best - xi, 0)`` (no division by zero, no NaN).

    Parameters
    ----------
    mean, std : numpy.ndarray
        ``n_pool`` predicted means and standard deviations (std >= 0).
    best : float
        Best value observed so far (in the maximisation convention).
    xi : float
        Margin that favours exploration.

    Returns
    -------
    numpy.ndarray
        ``n_pool`` scores, all >= 0 where ``mean`` is finite.
    """
    mean = np.asarray(mean, dtype=np.float64)
    std = np.asarray(std, dtype=np.float64)
    improvement = mean - best - xi
    positive = std > 0
    safe_std = np.where(positive, std, 1.0)
    z = improvement / safe_std
    expected = improvement * ndtr(z) + safe_std * _phi(z)
    # The closed form can dip a hair below zero through rounding when z << 0.
    return np.where(positive, np.maximum(expected, 0.0), np.maximum(improvement, 0.0))


def pi(mean: np.ndarray, std: np.ndarray, best: float, xi: float = 0.01) -> np.ndarray:
    """Probability of improving on ``best + xi``: ``Phi((mean - best - xi) / std)``.

    Where ``std == 0`` it is the improvement indicator ``1.0 if mean > best + xi else 0.0``.

    Parameters
    ----------
    mean, std : numpy.ndarray
        ``n_pool`` predicted means and standard deviations (std >= 0).
    best : float
        Best value observed so far (in the maximisation convention).
    xi : float
        Margin that favours exploration.

    Returns
    -------
    numpy.ndarray
        ``n_pool`` probabilities in [0, 1].
    """
    mean = np.asarray(mean, dtype=np.float64)
    std = np.asarray(std, dtype=np.float64)
    improvement = mean - best - xi
    positive = std > 0
    z = improvement / np.where(positive, std, 1.0)
    return np.where(positive, ndtr(z), (improvement > 0).astype(np.float64))


def thompson(mean: np.ndarray, std: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Thompson sampling: one independent draw from ``N(mean, std)`` per candidate.

    Parameters
    ----------
    mean, std : numpy.ndarray
        ``n_pool`` predicted means and standard deviations (std >= 0).
    rng : numpy.random.Generator
        Source of randomness; the same seed gives the same draws.

    Returns
    -------
    numpy.ndarray
        ``n_pool`` sampled values.
    """
    mean = np.asarray(mean, dtype=np.float64)
    std = np.asarray(std, dtype=np.float64)
    return mean + std * rng.standard_normal(mean.shape)


def random(mean: np.ndarray, std: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Uniform random scores: the random-screening baseline.

    Parameters
    ----------
    mean, std : numpy.ndarray
        ``n_pool`` predictions; only the shape is used.
    rng : numpy.random.Generator

    Returns
    -------
    numpy.ndarray
        ``n_pool`` scores in [0, 1).
    """
    return rng.random(np.shape(mean))


ACQUISITIONS: dict[str, Callable[..., np.ndarray]] = {
    "greedy": greedy,
    "ucb": ucb,
    "ei": ei,
    "pi": pi,
    "thompson": thompson,
    "random": random,
}
"""Registry of acquisition functions by name. Their signatures differ; :func:`score` is
the uniform entry point."""

_NEEDS_BEST = frozenset({"ei", "pi"})


def list_acquisitions() -> list[str]:
    """Names accepted by :func:`get_acquisition` and :class:`AcquisitionConfig`.

    Returns
    -------
    list of str
        In registry order: ``["greedy", "ucb", "ei", "pi", "thompson", "random"]``.
    """
    return list(ACQUISITIONS)


def describe_acquisitions() -> dict[str, str]:
    """Name -> first line of the docstring, for ``molpred list acquisitions``."""
    return {name: (fn.__doc__ or "").strip().splitlines()[0] for name, fn in ACQUISITIONS.items()}


def _resolve(name: str) -> str:
    key = str(name).strip().lower()
    if key in ACQUISITIONS:
        return key
    close = difflib.get_close_matches(key, list(ACQUISITIONS), n=1, cutoff=0.5)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    raise ValueError(f"unknown acquisition {name!r}{hint} Available: {', '.join(ACQUISITIONS)}")


def get_acquisition(name: str) -> Callable[..., np.ndarray]:
    """Look an acquisition function up by name (case-insensitive).

    Parameters
    ----------
    name : str
        One of :func:`list_acquisitions`.

    Returns
    -------
    callable
        The function, e.g. :func:`ucb`.

    Raises
    ------
    ValueError
        Unknown name; the message suggests the closest known one.

    Examples
    --------
    >>> get_acquisition("UCB") is ucb
    True
    """
    return ACQUISITIONS[_resolve(name)]


@dataclass(frozen=True)
class AcquisitionConfig:
    """Which acquisition function a campaign uses and its parameters.

    Parameters
    ----------
    name : str
        One of :func:`list_acquisitions`; normalised to lower case.
    beta : float
        UCB exploration weight (>= 0).
    xi : float
        EI/PI improvement margin (>= 0).
    """

    name: str = "ucb"
    beta: float = 2.0
    xi: float = 0.01

    def __post_init__(self) -> None:
        object.__setattr__(self, "name", _resolve(self.name))
        if not np.isfinite(self.beta) or self.beta < 0:
            raise ValueError(f"beta must be a finite number >= 0, got {self.beta}")
        if not np.isfinite(self.xi) or self.xi < 0:
            raise ValueError(f"xi must be a finite number >= 0, got {self.xi}")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> AcquisitionConfig:
        return cls(**{k: d[k] for k in cls.__dataclass_fields__ if k in d})


def score(
    config: AcquisitionConfig,
    mean: np.ndarray,
    std: np.ndarray | None,
    best: float | None = None,
    seed: int = 0,
) -> np.ndarray:
    """Acquisition scores for a pool, robust to invalid molecules and zero uncertainty.

    Scores are for maximisation; negate ``mean`` and ``best`` for a minimisation
    objective (see the module docstring).

    Parameters
    ----------
    config : AcquisitionConfig
        Function and parameters.
    mean : numpy.ndarray
        ``n_pool`` predicted means. NaN (an invalid molecule) gets score ``-inf`` so
        it is never selected.
    std : numpy.ndarray or None
        ``n_pool`` predicted standard deviations. ``None`` (a model without uncertainty)
        or NaN entries count as 0; negative entries are an error.
    best : float, optional
        Best observed value, needed by EI and PI. When ``None`` the best finite predicted
        mean of the pool is used, so EI/PI still rank sensibly before any measurement.
    seed : int
        Seed for ``thompson`` and ``random``.

    Returns
    -------
    numpy.ndarray
        ``n_pool`` float64 scores; never NaN, ``-inf`` exactly where ``mean`` is NaN.

    Raises
    ------
    ValueError
        ``mean`` is not 1-D, ``std`` has another shape, or ``std`` is negative.

    Examples
    --------
    >>> s = score(AcquisitionConfig("ucb", beta=1.0), np.array([1.0, np.nan]), np.array([0.5, 1.0]))
    >>> s.tolist()
    [1.5, -inf]
    """
    mean = np.asarray(mean, dtype=np.float64)
    if mean.ndim != 1:
        raise ValueError(f"mean must be 1-D (n_pool,), got shape {mean.shape}")
    if std is None:
        std = np.zeros_like(mean)
    std = np.asarray(std, dtype=np.float64)
    if std.shape != mean.shape:
        raise ValueError(f"std has shape {std.shape} but mean has shape {mean.shape}")
    if np.any(std < 0):
        raise ValueError("std must be >= 0")
    invalid = np.isnan(mean)
    safe_mean = np.where(invalid, 0.0, mean)
    safe_std = np.where(np.isnan(std) | invalid, 0.0, std)

    name = config.name
    if name == "greedy":
        out = greedy(safe_mean, safe_std)
    elif name == "ucb":
        out = ucb(safe_mean, safe_std, beta=config.beta)
    elif name in _NEEDS_BEST:
        if best is None or not np.isfinite(best):
            best = float(np.max(mean[~invalid])) if np.any(~invalid) else 0.0
        out = ACQUISITIONS[name](safe_mean, safe_std, float(best), xi=config.xi)
    else:  # thompson, random
        out = ACQUISITIONS[name](safe_mean, safe_std, np.random.default_rng(seed))
    out = np.asarray(out, dtype=np.float64)
    out[invalid] = -np.inf
    return out
