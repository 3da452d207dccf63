"""What a campaign's surrogate is: :class:`SurrogateConfig`, its per-kind defaults and checks.

The surrogate classes themselves are in :mod:`molpred.campaign.surrogate` (``SURROGATES``);
this module imports none of them, so settings can be read and validated without torch.
"""

from __future__ import annotations

import difflib
from dataclasses import asdict, dataclass

import numpy as np

from molpred.campaign.pool import POOL_FEATURES

__all__ = ["SURROGATE_KINDS", "MPN_PROTOCOLS", "SurrogateConfig"]

_DEFAULTS = {
    "fingerprint": {"ensemble": 5, "hidden": 256, "features": "morgan"},
    "graph-ensemble": {"ensemble": 5},
    "molpal-nn": {"ensemble": 10, "hidden": 100, "features": "atompair"},
    "molpal-rf": {"ensemble": 100, "features": "atompair"},
    "molpal-mpn": {"ensemble": 1, "hidden": 300},
    "nn-ensemble": {"ensemble": 5, "hidden": 100, "features": "atompair"},
    "gp": {"ensemble": 1, "features": "atompair-full+morgan"},
}
"""Per-kind values of the :class:`SurrogateConfig` fields left as ``None``."""

SURROGATE_KINDS = tuple(_DEFAULTS)
"""Every surrogate kind, in the order of :data:`molpred.campaign.surrogate.SURROGATES`."""

_OWN_STD = ("molpal-mpn", "gp")
"""Kinds whose std does not come from members (a mean-variance head, a GP posterior)."""

MPN_PROTOCOLS = ("paper", "lightning")
"""MolPAL training codes the ``molpal-mpn`` surrogate can follow (:class:`SurrogateConfig`)."""


@dataclass(frozen=True)
class SurrogateConfig:
    """Which surrogate a campaign trains each round.

    Parameters
    ----------
    kind : {"fingerprint", "graph-ensemble", "gp", "nn-ensemble", "molpal-nn", "molpal-rf", "molpal-mpn"}
    model : str
        Architecture of the graph ensemble (``molpred list models``); ignored by the others.
    ensemble : int or None
        Number of members (>= 2: the std is their spread): networks for ``fingerprint``,
        ``nn-ensemble`` and ``graph-ensemble`` (default 5), trees for ``molpal-rf`` (default
        100), MC-dropout passes for ``molpal-nn`` with ``dropout > 0`` (default 10). For
        ``molpal-mpn`` (default 1) and ``gp`` (ignored, 1) the std is predicted, so 1 is allowed.
    epochs : int or None
        Training epochs (at most, with early stopping); ``None``: 40 for ``fingerprint``,
        30 for ``graph-ensemble``, 50 for ``molpal-nn``, ``nn-ensemble`` and ``molpal-mpn``;
        ignored by ``molpal-rf`` and ``gp``.
    hidden : int or None
        Width of the two hidden layers of the network (``None``: 256 for ``fingerprint``,
        100 for ``molpal-nn`` and ``nn-ensemble``, 300 for ``molpal-mpn``: its message and
        FFN width).
    features : str or None
        Pool fingerprint (:data:`molpred.campaign.pool.POOL_FEATURES`) of the fingerprint
        kinds; ``None``: ``"morgan"`` for ``fingerprint``, ``"atompair"`` for
        ``nn-ensemble``, ``molpal-nn`` and ``molpal-rf``, ``"atompair-full+morgan"`` for ``gp``
        (``"+"`` joins fingerprints side by side: ``gp`` only).
    dropout : float or None
        ``molpal-nn`` only: dropout after each hidden layer, kept on at prediction (MC
        dropout, ``ensemble`` passes give the std). ``None``/0: no dropout, std = 0 (MolPAL's
        NN for greedy); 0.2 is MolPAL's setting for UCB and other uncertainty-based acquisitions.
    mve : bool or None
        ``molpal-mpn`` only. ``None``/``True``: a mean-variance head trained with the Gaussian
        likelihood, std = the predicted one (MolPAL's ``--conf-method mve``,
        ``MPNTwoOutputModel``); ``False``: MSE loss and no variance output, std = 0 (MolPAL's
        default ``--conf-method none``, ``MPNModel``, which its greedy runs use).
    protocol : {"paper", "lightning"} or None
        ``molpal-mpn`` only: which of MolPAL's training codes to follow (``None``: ``"paper"``).
        ``"paper"``: the code its paper's results came from (``coleygroup/molpal`` 2020-08 to
        2021-03, e.g. commit ``a78bc21``): Noam schedule (2 warm-up epochs, decay), all 50
        epochs, the last weights, trained on a random 80%, no gradient clipping.
        ``"lightning"``: its later PyTorch Lightning code (2021-10 on): the rate rises for the
        whole run, early stopping on the 20% validation split.
        See :mod:`molpred.campaign.graph_surrogates`.
    """

    kind: str = "fingerprint"
    model: str = "dmpnn"
    ensemble: int | None = None
    epochs: int | None = None
    hidden: int | None = None
    features: str | None = None
    dropout: float | None = None
    mve: bool | None = None
    protocol: str | None = None

    def __post_init__(self) -> None:
        key = str(self.kind).strip().lower().replace("_", "-")
        if key not in SURROGATE_KINDS:
            close = difflib.get_close_matches(key, list(SURROGATE_KINDS), n=1, cutoff=0.5)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise ValueError(f"unknown surrogate {self.kind!r}{hint} Available: {', '.join(SURROGATE_KINDS)}")
        object.__setattr__(self, "kind", key)
        defaults = _DEFAULTS[key]
        for name in ("ensemble", "hidden", "features"):
            if getattr(self, name) is None:
                object.__setattr__(self, name, defaults.get(name))
        parts = [] if self.features is None else str(self.features).split("+")
        for part in parts:
            if part not in POOL_FEATURES:
                close = difflib.get_close_matches(part, list(POOL_FEATURES), n=1, cutoff=0.5)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                raise ValueError(f"unknown features {part!r}{hint} Available: {', '.join(POOL_FEATURES)}")
        if len(parts) > 1 and key != "gp":
            raise ValueError(f"combined features ({self.features!r}) are for the gp surrogate; "
                             f"{key} takes one of {', '.join(POOL_FEATURES)}")
        if self.mve is not None and key != "molpal-mpn":
            raise ValueError(f"mve is a setting of the molpal-mpn surrogate, not of {key}")
        if self.mve is not None and not isinstance(self.mve, bool | np.bool_):
            raise ValueError(f"mve must be True, False or None, got {self.mve!r}")
        if self.protocol is not None and key != "molpal-mpn":
            raise ValueError(f"protocol is a setting of the molpal-mpn surrogate, not of {key}")
        if key == "molpal-mpn":
            protocol = "paper" if self.protocol is None else self.protocol
            if protocol not in MPN_PROTOCOLS:
                raise ValueError(f"protocol must be one of {', '.join(MPN_PROTOCOLS)}, got {self.protocol!r}")
            object.__setattr__(self, "protocol", protocol)
        if self.dropout is not None and not 0 <= self.dropout < 1:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout}")
        least = 1 if key in _OWN_STD else 2
        if int(self.ensemble) != self.ensemble or self.ensemble < least:
            why = "its std is predicted" if least == 1 else "the std is the members' spread"
            raise ValueError(f"ensemble must be an integer >= {least} ({why}), got {self.ensemble}")
        if self.epochs is not None and (int(self.epochs) != self.epochs or self.epochs < 1):
            raise ValueError(f"epochs must be a positive integer, got {self.epochs}")
        if self.hidden is not None and self.hidden < 1:
            raise ValueError(f"hidden must be >= 1, got {self.hidden}")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> SurrogateConfig:
        d = dict(d)
        if str(d.get("kind", "")).replace("_", "-") == "molpal-mpn" and "protocol" not in d:
            d["protocol"] = "lightning"  # saved before the field existed: the MPN then trained that way
        return cls(**{k: d[k] for k in cls.__dataclass_fields__ if k in d})
