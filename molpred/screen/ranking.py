"""Running top-K across chunks, diverse selection, and the top-hit table and picture.

Order is total and deterministic: higher score first, then lower row index. The pool of the
best candidates is the same whatever order the chunks arrive in (local, Ray, resumed), so
the final hits are too.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["TopPool", "rank_order", "select_hits", "write_top_hits", "draw_top_hits"]


def rank_order(scores: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Positions sorted by score (descending) then row (ascending); NaN scores excluded."""
    scores = np.asarray(scores, dtype=np.float64)
    finite = np.flatnonzero(~np.isnan(scores))
    order = np.lexsort((np.asarray(rows)[finite], -scores[finite]))
    return finite[order]


class TopPool:
    """The ``capacity`` best rows seen so far (all their columns).

    Parameters
    ----------
    capacity : int
    """

    def __init__(self, capacity: int):
        self.capacity = max(int(capacity), 0)
        self.frame: pd.DataFrame | None = None
        self.n_seen = 0  # rows with a finite score offered so far

    def add(self, frame: pd.DataFrame) -> None:
        """Offer the rows of ``frame`` (needs ``score`` and ``row`` columns)."""
        scores = frame["score"].to_numpy(dtype=np.float64)
        ok = ~np.isnan(scores)
        self.n_seen += int(ok.sum())
        if self.capacity == 0 or not ok.any():
            return
        cand = frame[ok]
        if self.frame is not None and len(self.frame) >= self.capacity:
            worst = self.frame["score"].iat[-1]
            cand = cand[cand["score"].to_numpy() >= worst]
            if cand.empty:
                return
        merged = cand if self.frame is None else pd.concat([self.frame, cand], ignore_index=True)
        order = rank_order(merged["score"].to_numpy(), merged["row"].to_numpy())[: self.capacity]
        self.frame = merged.iloc[order].reset_index(drop=True)

    @property
    def truncated(self) -> bool:
        """True when scored rows were left out of the pool."""
        return self.n_seen > (0 if self.frame is None else len(self.frame))

    def result(self) -> pd.DataFrame:
        return self.frame if self.frame is not None else pd.DataFrame()


def select_hits(pool: pd.DataFrame, k: int, diversity: float | None) -> pd.DataFrame:
    """The top ``k`` rows of ``pool`` (already in rank order), optionally diverse.

    With ``diversity`` (a Tanimoto threshold on ECFP4 of ``smiles_std``), candidates are
    walked in rank order and kept only if less similar than the threshold to every hit kept
    so far (:func:`molpred.chem.diversity.diverse_top_k`).
    """
    if pool.empty:
        return pool
    if diversity is None:
        return pool.head(k).reset_index(drop=True)
    from rdkit import Chem

    from molpred.chem.diversity import diverse_top_k
    from molpred.chem.fingerprints import morgan_fingerprints

    mols = [Chem.MolFromSmiles(s) for s in pool["smiles_std"]]
    fps = np.zeros((len(mols), 2048), dtype=np.uint8)
    valid = [i for i, m in enumerate(mols) if m is not None]
    if valid:
        fps[valid] = morgan_fingerprints([mols[i] for i in valid], radius=2, n_bits=2048)
    # pool order is rank order, so a strictly decreasing key reproduces it with no ties
    key = -np.arange(len(pool), dtype=np.float64)
    picks = diverse_top_k(fps, key, k, float(diversity))
    return pool.iloc[picks].reset_index(drop=True)


def write_top_hits(hits: pd.DataFrame, path: Path, model_columns: list[str]) -> pd.DataFrame:
    """Write the ranked hit table (CSV) with properties and PAINS/Brenk alerts; returns it.

    Columns: ``rank``, ``row``, ``id``, ``smiles``, ``smiles_std``, ``score``, the model
    columns, the physicochemical properties of :func:`molpred.chem.filters.compute_properties`,
    ``alerts`` (PAINS and Brenk matches, informative even when not used as filters) and
    ``filter_reasons``/``status`` (empty and ``ok`` for every hit).
    """
    from rdkit import Chem

    from molpred.chem.filters import PROPERTIES, apply_filters

    out = hits.copy()
    out.insert(0, "rank", np.arange(1, len(out) + 1))
    mols = [Chem.MolFromSmiles(s) if isinstance(s, str) else None for s in out.get("smiles_std", [])]
    if len(out):
        alerts = apply_filters(mols, "pains,brenk")
        for p in PROPERTIES:
            out[p] = alerts[p].to_numpy()
        out["alerts"] = alerts["filter_reasons"].to_numpy()
    first = ["rank", "row", "id", "smiles", "smiles_std", "score", *model_columns]
    first = [c for c in first if c in out.columns]
    rest = [c for c in out.columns if c not in first and c not in ("status", "error", "filter_reasons")]
    out = out[first + rest + [c for c in ("status", "filter_reasons") if c in out.columns]]
    path.parent.mkdir(parents=True, exist_ok=True)
    out.to_csv(path, index=False)
    return out


def draw_top_hits(hits: pd.DataFrame, path: Path, max_mols: int = 48, per_row: int = 6) -> Path | None:
    """Grid picture of the best hits with rank, row and score in the legends (PNG)."""
    from rdkit import Chem
    from rdkit.Chem import Draw

    shown = hits.head(max_mols)
    mols, legends = [], []
    for _, r in shown.iterrows():
        m = Chem.MolFromSmiles(r["smiles_std"]) if isinstance(r["smiles_std"], str) else None
        if m is None:
            continue
        mols.append(m)
        ident = f" {r['id']}" if "id" in r and isinstance(r["id"], str) and r["id"] else ""
        legends.append(f"#{int(r['rank'])}{ident[:18]}  score {r['score']:.3g}")
    if not mols:
        return None
    img = Draw.MolsToGridImage(mols, molsPerRow=min(per_row, len(mols)), subImgSize=(260, 220),
                               legends=legends, returnPNG=False)
    img.save(str(path))
    return path
