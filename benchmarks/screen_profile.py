"""CPU time per molecule of each stage of the screening hot path, and the throughput it allows.

Used by :mod:`benchmarks.screen_speed` (its ``profile`` child process and its report): the stages
are run the way the screen runs them (standardised molecules, packed graphs, network batches of
``NETWORK_BATCH`` molecules, bfloat16 batches padded to ``BF16_ROW_BUCKET`` rows), one thread,
timed with ``time.process_time``.
"""

from __future__ import annotations

import time

__all__ = ["profile_stages", "profile_text", "forward_stage", "HOT_PATH"]


def profile_stages(model: str, library: str, n: int = 3000) -> dict:
    """CPU microseconds per molecule of each hot-path stage, one thread."""
    import numpy as np
    import torch
    from rdkit import Chem

    import molpred
    from benchmarks.screen_speed import read_library_smiles
    from molpred.chem import morgan_fingerprints, to_mol
    from molpred.chem.filters import apply_filters
    from molpred.data.packed import PackedGraphs
    from molpred.inference.forward import as_batches
    from molpred.predict import member_outputs
    from molpred.screen.models import BF16_ROW_BUCKET, NETWORK_BATCH

    torch.set_num_threads(1)
    smiles = [s for s in read_library_smiles(library)[:n] if s]
    est = molpred.load(model)
    out = {}

    def stage(name, fn, items, warm_all=False):
        # warm-up: lazy imports, first-call setup; the network stages run once in full, so
        # oneDNN's kernels for every batch shape exist (as they do a few chunks into a screen)
        fn(items if warm_all else items[:20])
        t0 = time.process_time()
        res = fn(items)
        out[name] = round((time.process_time() - t0) / len(items) * 1e6, 1)
        return res

    stage("parse (MolFromSmiles)", lambda xs: [Chem.MolFromSmiles(s) for s in xs], smiles)
    mols = stage("parse + standardise (to_mol)", lambda xs: [to_mol(s) for s in xs], smiles)
    stage("canonical SMILES", lambda xs: [Chem.MolToSmiles(m) for m in xs], mols)
    graphs = stage("featurise (MolGraphFeaturizer)", lambda xs: [est.featurizer_(m) for m in xs], mols)
    stage("domain fingerprints", lambda xs: np.packbits(morgan_fingerprints(xs), axis=1), mols)
    f = est.featurizer_
    packed = stage("pack (PackedGraphs)", lambda xs: PackedGraphs.pack(xs, f.d_atom, f.d_bond), graphs)
    for precision, bucket in (("fp32", 0), ("bf16", BF16_ROW_BUCKET)):
        def batches(xs, bucket=bucket):
            return as_batches(packed.slice(0, len(xs)), NETWORK_BATCH, bucket=bucket)

        stage(forward_stage(precision),
              lambda xs, p=precision, bs=batches: member_outputs(est, bs(xs), precision=p), graphs, True)
        dtype = torch.float32 if precision == "fp32" else torch.bfloat16
        products = _encoder_products(est, batches(graphs), dtype)
        stage(f"encoder matrix products alone, {precision} (the forward's floor)",
              lambda xs, ps=products: [a @ b for a, b in ps], graphs, True)
    # as a screen with --filters runs them: no property columns reported, so each property is
    # computed only where a rule needs it (the default columns=None would add QED and the rest)
    stage("PAINS + Brenk + Lipinski filters, as the screen runs them (optional)",
          lambda xs: apply_filters(xs, "pains,brenk,lipinski", columns=[], report_needed=False), mols[:500])
    return {"cpu_us_per_mol": out, "n": len(smiles)}


def _encoder_products(est, batches: list, dtype) -> list:
    """The D-MPNN encoder's matrix products at the shapes of ``batches``, as ``(left, right)``
    operand pairs (random values; timing them times only the dense algebra).

    Per batch with ``n`` atom rows and ``e`` edge rows: ``e x (d_atom + d_bond)`` by ``W_i``,
    ``depth - 1`` times ``e x hidden`` by ``W_h``, and ``n x (d_atom + hidden)`` by ``W_o``
    (the readout and the FFN head, one row per molecule, are left out). Left operands are
    leading rows of one buffer per width, so they stay in cache as the network's own freshly
    written activations would. This is what the network's dense algebra costs with PyTorch's
    matrix kernels here, whatever the rest of the forward pass does.
    """
    import torch

    enc = est.members_[0].encoder
    w_i, w_h, w_o = (lin.weight.detach().t().contiguous().to(dtype) for lin in (enc.W_i, enc.W_h, enc.W_o))
    rows = max(max(b.x.shape[0], b.edge_index.shape[1]) for b in batches)
    buffers = {w.shape[0]: torch.rand(rows, w.shape[0]).to(dtype) for w in (w_i, w_h, w_o)}
    products = []
    for batch in batches:
        n, e = batch.x.shape[0], batch.edge_index.shape[1]
        products.append((buffers[w_i.shape[0]][:e], w_i))
        products += [(buffers[w_h.shape[0]][:e], w_h)] * (enc.depth - 1)
        products.append((buffers[w_o.shape[0]][:n], w_o))
    return products


def forward_stage(precision: str) -> str:
    """Name of the profile's network stage for ``precision``."""
    return f"batches + forward, {precision} (as the screen builds them)"


HOT_PATH = ("parse + standardise (to_mol)", "canonical SMILES", "featurise (MolGraphFeaturizer)",
            "domain fingerprints", "pack (PackedGraphs)")


def profile_text(prof: dict, frame, n_cores: int) -> str:
    """The stage table, and the throughput its sum allows on ``n_cores`` (against 3x Chemprop, the goal of issue 20)."""
    if prof.get("status") != "ok":
        return ""
    items = prof["cpu_us_per_mol"]
    lines = ["| stage | CPU us / molecule |", "|---|---|", *[f"| {k} | {v} |" for k, v in items.items()], ""]
    chemprop = frame.loc[frame["step"] == "chemprop-predict", "mol_per_s"] if "mol_per_s" in frame else []
    for precision in ("fp32", "bf16"):
        forward = items.get(forward_stage(precision))
        if forward is None or any(k not in items for k in HOT_PATH):
            continue
        total = sum(items[k] for k in HOT_PATH) + forward
        lines.append(f"Hot path of the default screen, {precision} (parse + standardise, canonical SMILES, featurise, "
                     "domain fingerprints, pack, batches + forward): "
                     f"{total:.0f} us of CPU per molecule, so at most {n_cores * 1e6 / total:,.0f} molecules/s on "
                     f"{n_cores} cores even if reading, ranking, writing and the hand-offs between processes cost "
                     "nothing.")
    per_cpu = frame.loc[frame["step"] == "chemprop-predict", "mol_per_cpu_s"] if "mol_per_cpu_s" in frame else []
    if len(per_cpu) and per_cpu.notna().all():  # Chemprop's CPU per molecule: what other jobs do not change
        us = 1e6 / float(per_cpu.iloc[0])
        lines.append(f"Chemprop used {us:,.0f} us of CPU per molecule in this run (its whole predict, one process): "
                     f"3x its speed at equal CPU needs {us / 3:,.0f} us per molecule, everything included.")
    elif len(chemprop):
        rate = 3 * float(chemprop.iloc[0])
        lines.append(f"3x Chemprop's rate in this run is {rate:,.0f} molecules/s: {n_cores * 1e6 / rate:.0f} us of "
                     f"CPU per molecule on {n_cores} cores, everything included.")
    return "\n".join(lines)
