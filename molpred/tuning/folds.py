"""Cross-validation folds over the training molecules, for hyperparameter search.

Folds are drawn over distinct standardised molecules (rows that standardise to the same
molecule stay in one fold, so a duplicate never scores its own twin), either at random or by
Bemis-Murcko scaffold (whole scaffolds per fold, like a scaffold test split). Seeded.
"""

from __future__ import annotations

import numpy as np

__all__ = ["CV_SPLITS", "cv_folds"]

CV_SPLITS = ("random", "scaffold")


def cv_folds(smiles: list, n_folds: int, split: str = "random", seed: int = 0,
             config=None) -> list[tuple[np.ndarray, np.ndarray]]:
    """``n_folds`` (train positions, validation positions) pairs over ``smiles``.

    Parameters
    ----------
    smiles : list of str
        The training inputs (``n``).
    n_folds : int
        Number of folds, at least 2.
    split : {"random", "scaffold"}
        Random folds over distinct molecules, or folds of whole scaffolds (largest scaffold
        groups dealt first, each to the currently smallest fold; ties and order seeded).
    seed : int
    config : StandardizeConfig, optional
        How molecules are standardised before grouping (the estimator's own settings).

    Returns
    -------
    list of (numpy.ndarray, numpy.ndarray)
        Sorted int64 positions into ``smiles``; the validation parts are disjoint and cover
        every row (rows that do not parse are spread like molecules and skipped by ``fit``).

    Raises
    ------
    ValueError
        Unknown ``split``, fewer than 2 folds, or fewer groups than folds.
    """
    from molpred.chem.standardize import StandardizeConfig, to_mol_record
    from molpred.data.duplicates import group_ids

    if split not in CV_SPLITS:
        raise ValueError(f"cv split must be one of {CV_SPLITS}, got {split!r}")
    if int(n_folds) < 2:
        raise ValueError(f"cv needs at least 2 folds, got {n_folds}")
    records = [to_mol_record(s, config or StandardizeConfig()) for s in smiles]
    if split == "scaffold":
        from molpred.data.splits import murcko_scaffold

        keys = [murcko_scaffold(r.mol) or r.smiles if r.ok else None for r in records]
    else:
        keys = [r.smiles if r.ok else None for r in records]
    gid = group_ids(keys)
    n_groups = int(gid.max()) + 1 if len(gid) else 0
    if n_groups < n_folds:
        raise ValueError(f"{n_groups} distinct {'scaffolds' if split == 'scaffold' else 'molecules'} "
                         f"cannot make {n_folds} folds")
    rng = np.random.default_rng(seed)
    fold_of_group = np.empty(n_groups, dtype=np.int64)
    if split == "scaffold":
        sizes = np.bincount(gid, minlength=n_groups)
        order = rng.permutation(n_groups)
        order = order[np.argsort(-sizes[order], kind="stable")]  # big scaffolds first, ties seeded
        load = np.zeros(n_folds, dtype=np.int64)
        for g in order:
            k = int(np.argmin(load))
            fold_of_group[g] = k
            load[k] += sizes[g]
    else:
        fold_of_group[rng.permutation(n_groups)] = np.arange(n_groups) % n_folds
    fold = fold_of_group[gid]
    return [(np.flatnonzero(fold != k), np.flatnonzero(fold == k)) for k in range(n_folds)]
