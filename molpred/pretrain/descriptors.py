"""The fixed, named list of RDKit 2D descriptors that the pretraining objective regresses.

RDKit 2026.09 has 217 descriptors (``rdkit.Chem.Descriptors._descList``). Timed one by one on
the first 500 MOSES training molecules (one core, ``python -m molpred.pretrain.descriptors``),
all of them together take ~7 ms per molecule. Left out:

* ``qed`` (1.2 ms per molecule on its own);
* ``Ipc`` and ``AvgIpc`` (information content: overflows to 1e30+ on larger molecules);
* ``BCUT2D_*`` (Gasteiger charges and Burden eigenvalues: NaN/inf for some elements, slow);
* ``MaxPartialCharge``, ``MinPartialCharge``, ``MaxAbsPartialCharge``, ``MinAbsPartialCharge``
  (Gasteiger charges: NaN for elements without parameters).

What is left (202 names, none over 0.5 ms) costs ~4.3 ms per freshly parsed molecule (CPU time). The list is frozen here, not read from
RDKit at run time, so a pretrained encoder's descriptor set is stable across RDKit versions;
a name that a future RDKit lacks is computed as NaN (masked in the loss).
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["EXCLUDED_DESCRIPTORS", "descriptor_names", "compute_descriptors", "time_descriptors"]

EXCLUDED_DESCRIPTORS = (
    "qed", "Ipc", "AvgIpc", "MaxPartialCharge", "MinPartialCharge", "MaxAbsPartialCharge",
    "MinAbsPartialCharge", "BCUT2D_MWHI", "BCUT2D_MWLOW", "BCUT2D_CHGHI", "BCUT2D_CHGLO",
    "BCUT2D_LOGPHI", "BCUT2D_LOGPLOW", "BCUT2D_MRHI", "BCUT2D_MRLOW",
)

# These four read one E-state index vector; with force=False RDKit computes it once per
# molecule and caches it on the Mol (same values, ~1 ms of ~5.3 ms per molecule saved).
_CACHED_ESTATE = frozenset({"MaxAbsEStateIndex", "MaxEStateIndex", "MinAbsEStateIndex", "MinEStateIndex"})
_FUNCTIONS: dict | None = None


def _functions() -> dict:
    global _FUNCTIONS
    if _FUNCTIONS is None:
        from rdkit.Chem import Descriptors

        _FUNCTIONS = {name: fn for name, fn in Descriptors._descList if name not in EXCLUDED_DESCRIPTORS}
    return _FUNCTIONS


def descriptor_names() -> list[str]:
    """The descriptor names, in column order (``n_desc`` of them)."""
    return list(_functions())


def compute_descriptors(mol, names: list[str] | None = None) -> np.ndarray:
    """Descriptors of one molecule.

    Parameters
    ----------
    mol : rdkit.Chem.Mol
        A standardised molecule.
    names : list of str, optional
        Which descriptors (default :func:`descriptor_names`).

    Returns
    -------
    numpy.ndarray
        ``n_desc`` float64; NaN where a descriptor failed or is not finite.
    """
    fns = _functions()
    names = names if names is not None else list(fns)
    out = np.full(len(names), np.nan)
    for i, name in enumerate(names):
        fn = fns.get(name)
        if fn is None:
            continue
        try:
            v = float(fn(mol, force=False) if name in _CACHED_ESTATE else fn(mol))
        except Exception:  # noqa: BLE001 - one descriptor failing leaves a NaN, not a crash
            continue
        if math.isfinite(v):
            out[i] = v
    return out


def time_descriptors(mols: list) -> dict[str, float]:
    """Milliseconds per molecule of every RDKit descriptor on ``mols`` (to justify the list)."""
    import time

    from rdkit.Chem import Descriptors

    times = {}
    for name, fn in Descriptors._descList:
        t = time.perf_counter()
        for m in mols:
            try:
                fn(m)
            except Exception:  # noqa: BLE001
                pass
        times[name] = (time.perf_counter() - t) / max(len(mols), 1) * 1e3
    return times


if __name__ == "__main__":  # pragma: no cover - the measurement quoted in the module docstring
    import gzip
    import itertools
    import sys

    from rdkit import Chem

    from molpred.datasets.cards import find_data_dir

    path = sys.argv[1] if len(sys.argv) > 1 else str(find_data_dir("moses") / "moses" / "moses_train.csv.gz")
    with gzip.open(path, "rt") as fh:
        mols = [Chem.MolFromSmiles(line.strip()) for line in itertools.islice(fh, 1, 501)]
    times = time_descriptors(mols)
    kept = sum(v for k, v in times.items() if k not in EXCLUDED_DESCRIPTORS)
    print(f"all {len(times)}: {sum(times.values()):.2f} ms/mol; kept {len(descriptor_names())}: {kept:.2f} ms/mol")
    for k, v in sorted(times.items(), key=lambda kv: -kv[1])[:15]:
        print(f"{v:.3f} {k}")
