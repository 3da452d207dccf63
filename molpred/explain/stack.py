"""Atom attributions of a ``model="auto"`` stack: the weighted sum of its members' attributions.

The stack's prediction is ``sum_k w_k f_k(x)``, so integrated gradients of the stack are the
same weighted sum of each member's integrated gradients (each member keeps its own baseline).
That needs every member to have gradients: a stack with a kernel or tree member (the default
``gp-minmax``, ``svr-minmax``) cannot be explained atom by atom, and says so. A classifier
stack's attributions are those of its stacked probability before the stack's own probability
recalibration (a monotone map fitted on the calibration set).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

__all__ = ["stack_attributions"]


def stack_attributions(estimator, smiles: Sequence[str] | str, target: str | int | None = None,
                       method: str = "integrated_gradients", n_steps: int = 50) -> list:
    """:func:`molpred.explain.atom_attributions` for a fitted ``model="auto"`` estimator.

    Returns
    -------
    list of AtomAttribution
        One per input: ``weights`` (``n_atoms``), ``prediction`` and ``baseline_prediction``
        are the stack-weighted sums of the members' (a row any member could not explain
        carries that member's status).

    Raises
    ------
    ValueError
        A member is a kernel or tree learner (no gradients), or a bad ``target``/``method``.
    """
    from molpred.explain.attribution import atom_attributions, resolve_target
    from molpred.learners.stack_members import parse_member

    learners = [n for n in estimator.stack_members_ if not parse_member(n).is_network]
    if learners:
        raise ValueError(
            f"atom attributions need every member of a model='auto' stack to be a network; this stack's members "
            f"{estimator.stack_members_} include {learners} (kernel/tree learners, no gradients). Fit with "
            "members=('mlp', 'gine') for an explainable stack, or explain a network member alone "
            "(atom_attributions(model.members_[i], ...))")
    task = resolve_target(estimator, target)
    per_member = [atom_attributions(sub, smiles, task, method, n_steps) for sub in estimator.members_]
    out = []
    for row in zip(*per_member):
        bad = next((r for r in row if r.status != "ok"), None)
        if bad is not None:
            out.append(bad)
            continue
        w = [float(estimator.stack_weights_[k, task]) for k in range(len(row))]
        out.append(replace(row[0], weights=sum(wk * r.weights for wk, r in zip(w, row)),
                           prediction=sum(wk * r.prediction for wk, r in zip(w, row)),
                           baseline_prediction=sum(wk * r.baseline_prediction for wk, r in zip(w, row))))
    return out
