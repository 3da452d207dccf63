"""Train/validation/test splitters. Every splitter returns index arrays and takes a seed."""

from __future__ import annotations

import difflib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["Split", "random_split", "scaffold_split", "cluster_split", "column_split", "time_split",
           "make_split", "murcko_scaffold", "list_splits", "SPLITS"]


@dataclass(frozen=True)
class Split:
    """Index arrays of a three-way split (each sorted ascending)."""

    train: np.ndarray
    val: np.ndarray
    test: np.ndarray

    def sizes(self) -> dict:
        return {"train": len(self.train), "val": len(self.val), "test": len(self.test)}


def _sorted(*parts: Sequence[int]) -> Split:
    return Split(*(np.sort(np.asarray(p, dtype=np.int64)) for p in parts))


def _check_fractions(fractions: tuple[float, float, float]) -> None:
    if len(fractions) != 3 or any(f < 0 for f in fractions) or not np.isclose(sum(fractions), 1.0):
        raise ValueError(f"split fractions must be three non-negative numbers summing to 1, got {fractions}")


def random_split(n: int, fractions=(0.8, 0.1, 0.1), seed: int = 0) -> Split:
    """Uniform random split of ``n`` items."""
    _check_fractions(fractions)
    perm = np.random.default_rng(seed).permutation(n)
    n_train = int(round(fractions[0] * n))
    n_val = int(round(fractions[1] * n))
    return _sorted(perm[:n_train], perm[n_train:n_train + n_val], perm[n_train + n_val:])


def murcko_scaffold(mol, generic: bool = False, include_chirality: bool = False) -> str:
    """Bemis-Murcko scaffold SMILES of an RDKit Mol ("" for acyclic molecules).

    Stereo-free by default, as in Chemprop (``includeChirality=False``): enantiomers and
    cis/trans isomers of one series share a scaffold, so a scaffold split keeps them together.
    ``include_chirality=True`` gives the isomeric scaffold.
    """
    from rdkit import Chem
    from rdkit.Chem.Scaffolds import MurckoScaffold

    core = MurckoScaffold.GetScaffoldForMol(mol)
    if generic:
        core = MurckoScaffold.MakeScaffoldGeneric(core)
    return Chem.MolToSmiles(core, isomericSmiles=include_chirality)


def _group_split(groups: Sequence, fractions, seed: int, balanced: bool) -> Split:
    """Assign whole groups to train/val/test.

    Balanced (Chemprop's ``scaffold_balanced``): groups larger than half the test size go to
    train first; the rest are shuffled with ``seed``. Unbalanced (DeepChem's): largest groups
    first, deterministic.
    """
    _check_fractions(fractions)
    n = len(groups)
    members: dict = defaultdict(list)
    for i, g in enumerate(groups):
        members[g].append(i)
    sets = list(members.values())
    n_train, n_val = fractions[0] * n, fractions[1] * n
    n_test = n - n_train - n_val
    if balanced:
        rng = np.random.default_rng(seed)
        big = [s for s in sets if len(s) > n_val / 2 or len(s) > n_test / 2]
        small = [s for s in sets if not (len(s) > n_val / 2 or len(s) > n_test / 2)]
        rng.shuffle(big)
        rng.shuffle(small)
        sets = big + small
    else:
        sets = sorted(sets, key=lambda s: (len(s), -s[0]), reverse=True)
    train: list[int] = []
    val: list[int] = []
    test: list[int] = []
    for s in sets:
        if len(train) + len(s) <= n_train:
            train += s
        elif len(val) + len(s) <= n_val:
            val += s
        else:
            test += s
    return _sorted(train, val, test)


def scaffold_split(mols: Sequence, fractions=(0.8, 0.1, 0.1), seed: int = 0, balanced: bool = True) -> Split:
    """Bemis-Murcko scaffold split: molecules sharing a scaffold land in the same part.

    Parameters
    ----------
    mols : sequence of rdkit.Chem.Mol
    fractions : (train, val, test)
    seed : int
        Shuffles scaffold sets when ``balanced``.
    balanced : bool
        Chemprop's balanced variant (default) or DeepChem's largest-first.
    """
    return _group_split([murcko_scaffold(m) for m in mols], fractions, seed, balanced)


def cluster_split(
    mols: Sequence, fractions=(0.8, 0.1, 0.1), seed: int = 0, method: str = "butina", cutoff: float = 0.65,
    n_clusters: int | None = None,
) -> Split:
    """Split by clusters of ECFP4 fingerprints (Butina on Tanimoto distance, or k-means).

    Parameters
    ----------
    method : {"butina", "kmeans"}
    cutoff : float
        Butina distance threshold (1 - Tanimoto).
    n_clusters : int, optional
        k for k-means (default ``max(10, n // 20)``).
    """
    from molpred.chem.fingerprints import morgan_bitvects, morgan_fingerprints

    n = len(mols)
    if method == "butina":
        from rdkit import DataStructs
        from rdkit.ML.Cluster import Butina

        fps = morgan_bitvects(mols, 2, 2048)
        dists: list[float] = []
        for i in range(1, n):
            dists.extend(1.0 - np.asarray(DataStructs.BulkTanimotoSimilarity(fps[i], fps[:i])))
        clusters = Butina.ClusterData(dists, n, cutoff, isDistData=True)
        labels = np.empty(n, dtype=np.int64)
        for c, members in enumerate(clusters):
            labels[list(members)] = c
    elif method == "kmeans":
        from sklearn.cluster import MiniBatchKMeans

        X = morgan_fingerprints(mols, 2, 2048).astype(np.float32)
        k = min(n, n_clusters or max(10, n // 20))
        labels = MiniBatchKMeans(k, random_state=seed, n_init=3).fit_predict(X)
    else:
        raise ValueError(f"unknown cluster method {method!r}; use 'butina' or 'kmeans'")
    return _group_split(list(labels), fractions, seed, balanced=True)


_PART_NAMES = {
    "train": "train", "training": "train", "val": "val", "valid": "val", "validation": "val",
    "test": "test", "testing": "test",
}


def column_split(values: Sequence) -> Split:
    """Split given by the user: a column of ``train``/``val``/``test`` labels (case-insensitive)."""
    labels = pd.Series(values).astype(str).str.strip().str.lower()
    mapped = labels.map(_PART_NAMES)
    bad = labels[mapped.isna()].unique()
    if len(bad):
        raise ValueError(f"split column has values {list(bad)[:5]}; expected train, val or test")
    idx = np.arange(len(labels))
    return _sorted(idx[mapped == "train"], idx[mapped == "val"], idx[mapped == "test"])


def time_split(dates: Sequence, fractions=(0.8, 0.1, 0.1)) -> Split:
    """Oldest fraction for training, then validation, newest for test (ties stay together)."""
    _check_fractions(fractions)
    parsed = pd.to_datetime(pd.Series(dates), errors="coerce")
    if parsed.isna().any():
        bad = pd.Series(dates)[parsed.isna()].head(3).tolist()
        raise ValueError(f"date column has values that are not dates, e.g. {bad}")
    order = np.argsort(parsed.to_numpy(), kind="stable")
    n = len(order)
    a, b = int(round(fractions[0] * n)), int(round((fractions[0] + fractions[1]) * n))
    return _sorted(order[:a], order[a:b], order[b:])


SPLITS = ("random", "scaffold", "cluster", "column:NAME", "time:NAME")


def list_splits() -> list[str]:
    return list(SPLITS)


def make_split(
    kind: str, mols: Sequence, frame: pd.DataFrame | None = None, fractions=(0.8, 0.1, 0.1), seed: int = 0,
) -> Split:
    """Dispatch a split by its CLI name: ``random``, ``scaffold``, ``cluster``, ``column:NAME``, ``time:NAME``."""
    name, _, column = kind.partition(":")
    if name in ("column", "time"):
        if frame is None or column not in frame.columns:
            raise ValueError(f"split {kind!r} needs a column {column!r} in the data")
        return column_split(frame[column]) if name == "column" else time_split(frame[column], fractions)
    if name == "random":
        return random_split(len(mols), fractions, seed)
    if name == "scaffold":
        return scaffold_split(mols, fractions, seed)
    if name == "cluster":
        return cluster_split(mols, fractions, seed)
    close = difflib.get_close_matches(name, ["random", "scaffold", "cluster", "column", "time"], n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    raise ValueError(f"unknown split {kind!r}{hint} (known: {', '.join(SPLITS)})")
