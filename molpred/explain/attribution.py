"""Per-atom attributions by integrated gradients through a fitted molpred network.

Integrated gradients (Sundararajan, Taly & Yan, "Axiomatic Attribution for Deep Networks",
ICML 2017) attributes ``f(x) - f(x')`` to the input features along the straight path from a
baseline ``x'`` to the input ``x``::

    IG_i(x) = (x_i - x'_i) * integral_0^1 df/dx_i (x' + a (x - x')) da

The integral is evaluated with Gauss-Legendre quadrature on ``n_steps`` points, all of them in
one PyG batch. For graph networks the input is the atom feature matrix ``x`` (``n_atoms x
d_atom``); the baseline is all zeros ("blank atoms"), while bonds and their features are kept,
so the baseline prediction is that of the bare graph topology. Summing a row of ``IG`` over the
feature dimensions gives one score per atom. The scores satisfy completeness: they add up to
``prediction(x) - prediction(baseline)`` up to the quadrature error.

For the fingerprint MLP the input is the ``log1p`` Morgan count vector with a zero baseline;
each bit's attribution is shared equally among the atoms of the circular environments that
set it (RDKit ``bitInfoMap``), which keeps completeness.

Models trained with molecule-level features (``features=``, the ``mol_x`` vector beside the
graph) keep that vector fixed at the molecule's own values along the path, so the baseline is
"blank atoms, same descriptors" and the atom scores explain only what goes through the graph
(or fingerprint); completeness holds for that difference.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["AtomAttribution", "atom_attributions", "resolve_target", "METHODS"]

METHODS = ("integrated_gradients",)
# nodes (atoms x interpolation steps) per forward pass; bounds memory on long lists
_MAX_NODES = 40_000


@dataclass(frozen=True)
class AtomAttribution:
    """The explanation of one input row.

    Attributes
    ----------
    row : int
        Position of the input in the list given to :func:`atom_attributions`.
    smiles : str
        The input text.
    smiles_std : str or None
        Canonical SMILES of the standardised molecule the network saw.
    status : str
        ``"ok"`` or the reason the row could not be explained (``invalid_smiles``...).
    error : str
        Empty when ok, else a one-line reason.
    target : str
        Name of the explained target.
    mol : rdkit.Chem.Mol or None
        Standardised molecule, atoms renumbered in ``smiles_std`` order (so atom ``i`` is also
        atom ``i`` of ``Chem.MolFromSmiles(smiles_std)``); ``weights[i]`` belongs to
        ``mol.GetAtomWithIdx(i)``.
    weights : numpy.ndarray or None
        ``n_atoms`` float64 attributions in the target's original units (probability for a
        classifier). Positive atoms raise the prediction, negative atoms lower it.
    prediction : float
        Model output for the molecule (ensemble mean of the deterministic networks), NaN on
        failure.
    baseline_prediction : float
        Output for the baseline input (blank atoms); ``weights.sum()`` approximates
        ``prediction - baseline_prediction``.
    """

    row: int
    smiles: str
    smiles_std: str | None
    status: str
    error: str
    target: str
    mol: object = None
    weights: np.ndarray | None = None
    prediction: float = float("nan")
    baseline_prediction: float = float("nan")

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def completeness_gap(self) -> float:
        """``weights.sum() - (prediction - baseline_prediction)`` (quadrature error), NaN if failed."""
        if self.weights is None:
            return float("nan")
        return float(self.weights.sum() - (self.prediction - self.baseline_prediction))


def resolve_target(est, target: str | int | None) -> int:
    """Index of ``target`` among ``est.target_names_``.

    ``None`` is allowed for single-target models; a name not found raises ``ValueError``
    with a did-you-mean hint; an int is a position.
    """
    names = [str(n) for n in est.target_names_]
    if target is None:
        if len(names) > 1:
            raise ValueError(f"the model predicts {len(names)} targets; choose one with target= (one of {names})")
        return 0
    if isinstance(target, (int, np.integer)) and not isinstance(target, bool):
        if not 0 <= int(target) < len(names):
            raise ValueError(f"target index {target} out of range for {len(names)} targets {names}")
        return int(target)
    if str(target) in names:
        return names.index(str(target))
    close = difflib.get_close_matches(str(target), names, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    raise ValueError(f"unknown target {target!r}{hint} (model targets: {names})")


def _check_method(method: str) -> None:
    if method not in METHODS:
        close = difflib.get_close_matches(method, METHODS, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise ValueError(f"unknown attribution method {method!r}{hint} (known: {', '.join(METHODS)})")


def _quadrature(n_steps: int) -> tuple[np.ndarray, np.ndarray]:
    """Gauss-Legendre nodes and weights on [0, 1] (``n_steps`` each)."""
    nodes, weights = np.polynomial.legendre.leggauss(n_steps)
    return (nodes + 1.0) / 2.0, weights / 2.0


def _chunks(sizes: Sequence[int], per_item: int, budget: int) -> list[list[int]]:
    """Group positions so that ``sum(sizes) * per_item`` stays under ``budget`` per group."""
    groups, current, load = [], [], 0
    for i, s in enumerate(sizes):
        cost = max(1, s) * per_item
        if current and load + cost > budget:
            groups.append(current)
            current, load = [], 0
        current.append(i)
        load += cost
    if current:
        groups.append(current)
    return groups


def _integrated_gradients(model, graphs: list, key: str, task: int, n_steps: int, device, link) -> tuple:
    """IG of one network for a group of graphs, in network units passed through ``link``.

    Parameters
    ----------
    model : MoleculeModel
    graphs : list of torch_geometric.data.Data
    key : {"x", "fp"}
        The input attribute to attribute (``n_atoms x d_atom`` or ``1 x n_bits`` per graph).
    task : int
    n_steps : int
    device : torch.device
    link : callable
        Tensor -> Tensor applied to the selected output (identity or sigmoid).

    Returns
    -------
    attributions : list of numpy.ndarray
        Per graph, ``n_rows x d`` feature attributions (``n_rows`` = atoms, or 1 for ``fp``).
    f_input, f_baseline : numpy.ndarray
        ``n_graphs`` outputs at the input and at the baseline.
    """
    import torch
    from torch_geometric.data import Batch

    alphas, qweights = _quadrature(n_steps)
    # two extra copies per graph, weight 0: alpha = 1 (input) and alpha = 0 (baseline)
    alphas = np.concatenate([alphas, [1.0, 0.0]])
    qweights = np.concatenate([qweights, [0.0, 0.0]])
    n_copies = len(alphas)
    batch = Batch.from_data_list([g for g in graphs for _ in range(n_copies)]).to(device)
    # fingerprints attribute the encoder's float input (log1p counts), not the uint8 counts
    inputs = model.encoder.network_input(batch.fp) if key == "fp" else batch.x.float()
    graph_alpha = torch.tensor(np.tile(alphas, len(graphs)), dtype=inputs.dtype, device=device)
    graph_w = torch.tensor(np.tile(qweights, len(graphs)), dtype=inputs.dtype, device=device)
    row_graph = batch.batch if key == "x" else torch.arange(batch.num_graphs, device=device)
    with torch.enable_grad():
        scaled = (inputs * graph_alpha[row_graph][:, None]).requires_grad_(True)  # zero baseline
        batch[key] = scaled
        out = model(batch)
        if out.dim() == 3:  # mean-variance head: explain the mean
            out = out[..., 0]
        values = link(out[:, task])
        (grad,) = torch.autograd.grad(values.sum(), scaled)
    contrib = (inputs * grad * graph_w[row_graph][:, None]).detach().double().cpu().numpy()
    values = values.detach().double().cpu().numpy().reshape(len(graphs), n_copies)
    attributions, start = [], 0
    for g in graphs:
        rows = g.num_nodes if key == "x" else 1
        block = contrib[start:start + rows * n_copies].reshape(n_copies, rows, -1)
        attributions.append(block.sum(0))
        start += rows * n_copies
    return attributions, values[:, -2], values[:, -1]


def _bits_to_atoms(mol, bit_scores: np.ndarray, radius: int, n_bits: int) -> np.ndarray:
    """Share each Morgan bit's score among the atoms of the environments that set it."""
    from rdkit import Chem
    from rdkit.Chem import rdFingerprintGenerator

    gen = rdFingerprintGenerator.GetMorganGenerator(radius=radius, fpSize=n_bits)
    ao = rdFingerprintGenerator.AdditionalOutput()
    ao.AllocateBitInfoMap()
    gen.GetCountFingerprint(mol, additionalOutput=ao)
    atoms = np.zeros(mol.GetNumAtoms())
    for bit, envs in ao.GetBitInfoMap().items():
        share = bit_scores[bit] / len(envs)
        for center, r in envs:
            if r == 0:
                members = [center]
            else:
                bonds = Chem.FindAtomEnvironmentOfRadiusN(mol, r, center)
                members = sorted({center} | {a for b in bonds for a in
                                             (mol.GetBondWithIdx(b).GetBeginAtomIdx(),
                                              mol.GetBondWithIdx(b).GetEndAtomIdx())})
            atoms[members] += share / len(members)
    return atoms


def _canonical_order(mol, weights: np.ndarray) -> tuple:
    """Renumber ``mol`` (and ``weights``) so atom ``i`` is the ``i``-th atom of its canonical SMILES."""
    from rdkit import Chem

    try:
        Chem.MolToSmiles(mol)
        order = [int(i) for i in mol.GetProp("_smilesAtomOutputOrder").strip("[]").split(",") if i.strip()]
    except (KeyError, ValueError, RuntimeError):
        return mol, weights
    if sorted(order) != list(range(mol.GetNumAtoms())):
        return mol, weights
    return Chem.RenumberAtoms(mol, order), weights[order]


def atom_attributions(
    estimator,
    smiles: Sequence[str] | str,
    target: str | int | None = None,
    method: str = "integrated_gradients",
    n_steps: int = 50,
) -> list[AtomAttribution]:
    """Explain predictions atom by atom.

    Parameters
    ----------
    estimator : MolPropertyRegressor or MolPropertyClassifier
        A fitted estimator (any architecture; ``mlp`` attributions go through Morgan bits).
    smiles : sequence of str
        Inputs; a single string is treated as a list of one.
    target : str or int, optional
        Target name or position; required when the model has several targets.
    method : {"integrated_gradients"}
    n_steps : int
        Quadrature points along the path (more = smaller completeness gap, slower).

    Returns
    -------
    list of AtomAttribution
        One per input, input order. Invalid molecules get their status and ``weights=None``;
        this function never raises for a bad molecule.

    Raises
    ------
    NotFittedError
        The estimator is not fitted.
    ValueError
        Unknown method or target, or ``n_steps < 1``.

    Notes
    -----
    Regression attributions are multiplied by the target scaler's standard deviation, so
    they are in the target's units and sum to ``prediction - baseline_prediction``.
    Classifier attributions are on the probability of class 1. Ensembles average the
    attributions and predictions of their members; dropout is off (MC-dropout models are
    explained through their deterministic network, whose prediction can differ slightly from
    ``predict``).

    Examples
    --------
    >>> expl = atom_attributions(model, ["c1ccccc1N"])  # doctest: +SKIP
    >>> expl[0].weights.round(2)  # one score per atom  # doctest: +SKIP
    """
    import torch

    from molpred.data.featurized import featurize_smiles
    from molpred.inference.device import resolve_device
    from molpred.nn.model import FingerprintEncoder

    estimator._check_fitted()
    if estimator.spec_.arch == "auto":
        from molpred.explain.stack import stack_attributions

        return stack_attributions(estimator, smiles, target, method, n_steps)
    if not hasattr(estimator.members_[0], "encoder"):
        raise ValueError(f"atom attributions need a network model; {estimator.spec_.arch!r} "
                         "(a kernel/tree learner) has no gradients to attribute")
    _check_method(method)
    if int(n_steps) < 1:
        raise ValueError(f"n_steps must be >= 1, got {n_steps}")
    task = resolve_target(estimator, target)
    name = str(estimator.target_names_[task])
    items = [smiles] if isinstance(smiles, str) else list(smiles)
    fs = featurize_smiles(items, estimator.featurizer_, estimator.std_config_)
    fingerprint = isinstance(estimator.members_[0].encoder, FingerprintEncoder)
    key = "fp" if fingerprint else "x"
    device = resolve_device(estimator.device)
    if estimator._task == "classification":
        link, scale, shift = torch.sigmoid, 1.0, 0.0
    else:
        link = (lambda t: t)  # noqa: E731
        scale, shift = float(estimator.scaler_.std[task]), float(estimator.scaler_.mean[task])

    n_ok = len(fs.data)
    feats: list = [None] * n_ok
    f_in, f_base = np.zeros(n_ok), np.zeros(n_ok)
    sizes = [1 if fingerprint else int(d.num_nodes) for d in fs.data]
    groups = _chunks(sizes, n_steps + 2, _MAX_NODES)
    n_members = len(estimator.members_)
    for member in estimator.members_:
        member.to(device).eval()
        for group in groups:
            attr, fx, fb = _integrated_gradients(member, [fs.data[i] for i in group], key, task,
                                                 int(n_steps), device, link)
            for j, i in enumerate(group):
                feats[i] = attr[j] / n_members if feats[i] is None else feats[i] + attr[j] / n_members
            f_in[group] += fx / n_members
            f_base[group] += fb / n_members

    results: list[AtomAttribution | None] = [None] * len(items)
    ok_rows = {int(r): k for k, r in enumerate(fs.index)}
    for row, rec in enumerate(fs.records):
        text = items[row] if isinstance(items[row], str) else str(items[row])
        k = ok_rows.get(row)
        if k is None:
            results[row] = AtomAttribution(row, text, rec.smiles, rec.status, rec.error or "", name)
            continue
        if fingerprint:
            spec = getattr(estimator.featurizer_, "base", estimator.featurizer_)  # without mol_x
            weights = _bits_to_atoms(rec.mol, feats[k][0], spec.radius, spec.n_bits)
        else:
            weights = feats[k].sum(axis=1)
        mol, weights = _canonical_order(rec.mol, weights)
        results[row] = AtomAttribution(
            row, text, rec.smiles, rec.status, "", name, mol, weights * scale,
            float(f_in[k] * scale + shift), float(f_base[k] * scale + shift),
        )
    return results
