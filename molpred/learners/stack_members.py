"""The candidates of ``model="auto"`` (:mod:`molpred.learners.stack`): their names, parsing, checks."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

import numpy as np

__all__ = ["DEFAULT_MEMBERS", "DEFAULT_CLASSIFIER_MEMBERS", "NETWORK_MEMBERS", "KNOWN_MEMBERS", "MAX_MEMBERS",
           "MemberSpec", "parse_member", "member_specs", "check_stack_params"]

DEFAULT_MEMBERS = ("gp-minmax", "svr-minmax", "mlp")
DEFAULT_CLASSIFIER_MEMBERS = ("rf", "mlp")
NETWORK_MEMBERS = ("mlp", "dmpnn", "gine", "attentivefp")
KNOWN_MEMBERS = ("gp-minmax", "gp-tanimoto", "gp-multi", "svr-minmax", "svr-tanimoto", "svr-multi", "rf",
                 *NETWORK_MEMBERS)
MAX_MEMBERS = 10  # the exact weight search visits 2^m - 1 subsets


@dataclass(frozen=True)
class MemberSpec:
    """One candidate of the stack.

    Attributes
    ----------
    name : str
        Canonical name (``"gp-minmax"``, ``"mlp"``...).
    model : str
        The ``model=`` of the member estimator.
    kernel : str
        Its ``kernel=`` (``"tanimoto"`` for models without one).
    """

    name: str
    model: str
    kernel: str = "tanimoto"

    @property
    def is_network(self) -> bool:
        return self.model in NETWORK_MEMBERS

    @property
    def featurizer(self) -> str:
        """Name of the featurizer this member reads."""
        from molpred.learners import learner_featurizer
        from molpred.nn.model import ARCHITECTURES

        return ARCHITECTURES[self.model][0] if self.is_network else learner_featurizer(self.model, self.kernel)


def parse_member(name: str) -> MemberSpec:
    """The candidate called ``name`` (``"gp"`` and ``"svr"`` mean their Tanimoto versions).

    Raises
    ------
    ValueError
        Unknown name, with a did-you-mean hint.
    """
    text = str(name).strip().lower()
    base, _, kernel = text.partition("-")
    if base in ("gp", "svr"):
        canonical = f"{base}-{kernel or 'tanimoto'}"
        if canonical in KNOWN_MEMBERS:
            return MemberSpec(canonical, base, kernel or "tanimoto")
    elif text in KNOWN_MEMBERS:
        return MemberSpec(text, text)
    close = difflib.get_close_matches(text, KNOWN_MEMBERS, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    raise ValueError(f"unknown stack member {name!r}{hint} (known: {', '.join(KNOWN_MEMBERS)})")


def member_specs(members, task: str = "regression") -> list[MemberSpec]:
    """Parsed ``members=`` (``None``: the defaults for ``task``); distinct, at least one.

    Raises
    ------
    ValueError
        Unknown or repeated names, or a regression-only candidate (gp, svr) for classification.
    """
    if isinstance(members, str):
        members = [m for m in members.split(",") if m.strip()]
    if members is None:
        members = DEFAULT_MEMBERS if task == "regression" else DEFAULT_CLASSIFIER_MEMBERS
    specs = [parse_member(m) for m in members]
    if task != "regression":
        bad = [s.name for s in specs if s.model in ("gp", "svr")]
        if bad:
            raise ValueError(f"stack members {bad} do regression only; a classifier stack takes rf, "
                             f"{', '.join(NETWORK_MEMBERS)}")
    names = [s.name for s in specs]
    if not specs or len(set(names)) != len(names):
        raise ValueError(f"members must name distinct candidates, got {names}")
    if len(specs) > MAX_MEMBERS:
        raise ValueError(f"at most {MAX_MEMBERS} stack members, got {len(specs)}")
    return specs


def check_stack_params(est) -> None:
    """Refuse settings ``model="auto"`` does not take (called by ``_check_params``)."""
    member_specs(est.members, est._task)
    if not isinstance(est.cv_folds, (int, np.integer)) or est.cv_folds < 2:
        raise ValueError(f"cv_folds must be an integer >= 2, got {est.cv_folds!r}")
    if est.uncertainty is not None or est.ensemble != 1:
        raise ValueError("model='auto' takes no uncertainty/ensemble setting: its std comes from its members")
    if est.loss != "mse" or est.class_weight is not None:
        raise ValueError("model='auto' does not take loss or class_weight settings")
