"""Size and cost of packed fingerprint-MLP records: bytes per molecule, and the time to featurise
and pack 5,000 molecules and to turn the packed set into the network's float32 input.

The molecules are the first 5,000 of the ``hiv`` set that RDKit parses (parsed beforehand, not
timed). ``featurize+pack`` is ``FingerprintFeaturizer`` on each molecule then ``pack_records``
(what a screen worker does); ``batch+convert`` cuts batches of 256 from the packed set and makes
the encoder's input of each (``FingerprintEncoder.network_input``, or the batch itself with
molpred versions whose records were float32 already). Best of three. ``pickled`` is the size
of the packed set as it crosses a process boundary. Run single-threaded::

    OMP_NUM_THREADS=1 python benchmarks/fingerprint_records.py
"""

from __future__ import annotations

import pickle
import time

N_MOLS = 5000
BATCH = 256


def main() -> None:
    import torch
    from rdkit import Chem, RDLogger

    import molpred
    from molpred.data.batching import GraphBatcher
    from molpred.data.packed import pack_records
    from molpred.featurize import FingerprintFeaturizer
    from molpred.nn.model import FingerprintEncoder

    RDLogger.DisableLog("rdApp.*")
    torch.set_num_threads(1)
    mols = [Chem.MolFromSmiles(s) for s in molpred.datasets.load("hiv")["smiles"]]
    mols = [m for m in mols if m is not None and m.GetNumAtoms()][:N_MOLS]
    feat = FingerprintFeaturizer()
    convert = getattr(FingerprintEncoder(feat.n_bits), "network_input", lambda fp: fp)
    best = {"featurize+pack": float("inf"), "batch+convert": float("inf")}
    for _ in range(3):
        t0 = time.perf_counter()
        packed = pack_records([feat(m) for m in mols], feat)
        t1 = time.perf_counter()
        inputs = [convert(b.fp) for b in GraphBatcher(packed).batches(BATCH)]
        t2 = time.perf_counter()
        best["featurize+pack"] = min(best["featurize+pack"], t1 - t0)
        best["batch+convert"] = min(best["batch+convert"], t2 - t1)
    fp, n = packed.graph_attrs["fp"], len(mols)
    print(f"n={n} records {fp.dtype}: {fp.nbytes / n:.0f} B/molecule packed, "
          f"{len(pickle.dumps(packed, protocol=5)) / n:.0f} B/molecule pickled; "
          f"network input {inputs[0].dtype}")
    print(" ".join(f"{k}={v:.3f}s" for k, v in best.items()))


if __name__ == "__main__":
    main()
