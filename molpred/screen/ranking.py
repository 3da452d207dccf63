"""Running top-K across chunks, diverse selection, and the top-hit table and picture.

Order is total and deterministic: higher score first, then lower row index. The pool of the
best candidates is the same whatever order the chunks arrive in (local, Ray, resumed), so
the final hits are too.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["TopPool", "RANKS", "in_domain_mask", "rank_order", "select_hits", "write_top_hits", "draw_top_hits"]

RANKS = ("domain", "raw")
"""Ranking modes of a screen: ``domain`` ranks molecules inside every model's applicability
domain first and lists the others apart; ``raw`` ranks every scored molecule by score alone."""


def in_domain_mask(frame: pd.DataFrame, columns: list[str]) -> np.ndarray:
    """``len(frame)`` booleans: True where every applicability-domain column is True (NA: False)."""
    flags = [frame[c].fillna(False).to_numpy(bool) for c in columns if c in frame]
    if not flags:
        return np.zeros(len(frame), dtype=bool)
    return np.logical_and.reduce(flags)


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
    keep : callable, optional
        ``keep(frame) -> bool array``: only these rows may enter (e.g. the in-domain ones);
        default: every row with a finite score.
    """

    def __init__(self, capacity: int, keep=None):
        self.capacity = max(int(capacity), 0)
        self.keep = keep
        self.frame: pd.DataFrame | None = None
        self.n_seen = 0  # rows with a finite score (and kept) offered so far

    def add(self, frame: pd.DataFrame) -> None:
        """Offer the rows of ``frame`` (needs ``score`` and ``row`` columns)."""
        scores = frame["score"].to_numpy(dtype=np.float64)
        ok = ~np.isnan(scores)
        if self.keep is not None:
            ok &= np.asarray(self.keep(frame), dtype=bool)
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


def draw_top_hits(hits: pd.DataFrame, path: Path, target: str | None = None, per_page: int = 48,
                  per_row: int = 6) -> list[Path]:
    """Grid pictures of every hit, ``per_page`` to a PNG, with plain-text legends.

    Each legend gives the rank and id, the prediction in the target's units with its interval,
    the concentration in nM for potency targets (:mod:`molpred.labels`) and the
    applicability-domain flag. Molecules are laid out with RDKit's ring templates
    (:func:`molpred.chem.depict.depict`), which draw bridged and caged ring systems without
    crossing bonds.

    Parameters
    ----------
    hits : pandas.DataFrame
        Ranked hits (``rank``, ``smiles_std``, optional ``id``, the model columns).
    path : Path
        First page (``top_hits.png``); further pages are ``top_hits_2.png``, ``top_hits_3.png``...
    target : str, optional
        Prediction column to show (default: the ``score`` only).
    per_page, per_row : int

    Returns
    -------
    list of Path
        The pages written (none when no hit has a drawable molecule).
    """
    from rdkit import Chem
    from rdkit.Chem import Draw

    from molpred.chem.depict import depict
    from molpred.labels import prediction_lines
    from molpred.screen.models import domain_columns

    dom = domain_columns(list(hits.columns))
    inside = in_domain_mask(hits, dom) if dom else None
    mols, legends = [], []
    for i, (_, r) in enumerate(hits.iterrows()):
        m = Chem.MolFromSmiles(r["smiles_std"]) if isinstance(r.get("smiles_std"), str) else None
        if m is None:
            continue
        mols.append(depict(m))
        legends.append("\n".join(_hit_legend(r, target, None if inside is None else bool(inside[i]),
                                             prediction_lines)))
    if not mols:
        return []
    pages = []
    per_page = max(1, int(per_page))
    for p, lo in enumerate(range(0, len(mols), per_page)):
        chunk = slice(lo, lo + per_page)
        page_mols = mols[chunk]
        opts = Draw.MolDrawOptions()
        opts.legendFraction = 0.28  # four legend lines stay readable
        opts.legendFontSize = 15
        opts.minFontSize = 11
        img = Draw.MolsToGridImage(page_mols, molsPerRow=min(per_row, len(page_mols)), subImgSize=(300, 300),
                                   legends=legends[chunk], returnPNG=False, drawOptions=opts)
        out = path if p == 0 else path.with_name(f"{path.stem}_{p + 1}{path.suffix}")
        img.save(str(out))
        pages.append(out)
    return pages


def _hit_legend(r: pd.Series, target: str | None, in_domain: bool | None, prediction_lines) -> list[str]:
    """Plain-text legend lines of one hit: ``#rank id``, prediction (+ nM), domain flag."""
    ident = str(r["id"]) if "id" in r and isinstance(r["id"], str) and r["id"] else ""
    head = f"#{int(r['rank'])} {ident[:26]}".rstrip()
    if target is None or target not in r or not np.isfinite(float(r[target])):
        return [head, f"score {float(r['score']):.3g}"] + ([] if in_domain is None else
                                                            ["in domain" if in_domain else "OUT of domain"])
    lo, hi = r.get(f"{target}_lo"), r.get(f"{target}_hi")
    lines = prediction_lines(target, float(r[target]), lo, hi, in_domain)
    return [head, *lines]
