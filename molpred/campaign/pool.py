"""The candidate pool of a campaign and its features, computed once and reused every round.

A campaign retrains its surrogate from scratch every round but the candidates never change,
so their fingerprints (and, for graph surrogates, their graphs) are computed once per process
and, for fingerprints, cached next to the store on disk (``<store>.fp.npz``), so that
``molpred campaign next`` on a pool of 10^5-10^6 compounds does not re-parse it every round.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

__all__ = ["CandidatePool", "FP_BITS", "FP_RADIUS"]

logger = logging.getLogger(__name__)

FP_RADIUS = 2
FP_BITS = 2048
_CACHE_VERSION = 1


class CandidatePool:
    """Canonical SMILES of every candidate plus lazily computed, cached features.

    Parameters
    ----------
    smiles : sequence of str or None
        ``n_pool`` canonical SMILES (``None`` for a compound that failed standardisation).
    ids : numpy.ndarray, optional
        ``n_pool`` int64 compound ids (default ``0..n_pool-1``).
    cache_path : str or os.PathLike, optional
        Where to keep the fingerprints between processes (``.npz``); ``None``: memory only.

    Attributes
    ----------
    ok : numpy.ndarray
        ``n_pool`` bool, True where the compound has a usable molecule.
    """

    def __init__(self, smiles: Sequence[str | None], ids: np.ndarray | None = None, cache_path=None):
        self.smiles = [s if isinstance(s, str) and s else None for s in smiles]
        n = len(self.smiles)
        self.ids = np.arange(n, dtype=np.int64) if ids is None else np.asarray(ids, dtype=np.int64)
        if len(self.ids) != n:
            raise ValueError(f"{len(self.ids)} ids for {n} smiles")
        self.ok = np.array([s is not None for s in self.smiles], dtype=bool)
        self.cache_path = Path(cache_path) if cache_path is not None else None
        self._fps: np.ndarray | None = None
        self._graphs: dict = {}

    def __len__(self) -> int:
        return len(self.smiles)

    # ------------------------------------------------------------------ fingerprints
    def fingerprints(self) -> np.ndarray:
        """Binary Morgan fingerprints (radius 2, 2048 bits) of the whole pool.

        Returns
        -------
        numpy.ndarray
            ``n_pool x 2048`` uint8 0/1; all-zero rows where the molecule is unusable (those
            rows are also marked False in :attr:`ok`, which RDKit failures here update).
        """
        if self._fps is None:
            self._fps = self._load_cache()
        if self._fps is None:
            self._fps = self._compute_fingerprints()
            self._save_cache()
        return self._fps

    def _compute_fingerprints(self) -> np.ndarray:
        from rdkit import Chem, RDLogger
        from rdkit.Chem import rdFingerprintGenerator

        RDLogger.DisableLog("rdApp.*")
        gen = rdFingerprintGenerator.GetMorganGenerator(radius=FP_RADIUS, fpSize=FP_BITS)
        out = np.zeros((len(self), FP_BITS), dtype=np.uint8)
        for i, smi in enumerate(self.smiles):
            if smi is None:
                continue
            mol = Chem.MolFromSmiles(smi)  # canonical already: no second standardisation
            if mol is None:
                self.ok[i] = False
                continue
            out[i] = gen.GetFingerprintAsNumPy(mol)
        return out

    def _key(self) -> np.ndarray:
        # The cache is valid for exactly this list of SMILES (cheap, order-sensitive hash).
        import hashlib

        h = hashlib.sha256()
        for s in self.smiles:
            h.update((s or "").encode())
            h.update(b"\n")
        return np.frombuffer(h.digest(), dtype=np.uint8)

    def _load_cache(self) -> np.ndarray | None:
        if self.cache_path is None or not self.cache_path.is_file():
            return None
        try:
            with np.load(self.cache_path) as z:
                if int(z["version"]) != _CACHE_VERSION or not np.array_equal(z["key"], self._key()):
                    return None
                fps = np.unpackbits(z["packed"], axis=1, count=FP_BITS)
                self.ok &= z["ok"]
        except Exception as exc:  # noqa: BLE001 - a broken cache is recomputed, never fatal
            logger.warning("ignoring unreadable fingerprint cache %s: %s", self.cache_path, exc)
            return None
        return fps if fps.shape == (len(self), FP_BITS) else None

    def _save_cache(self) -> None:
        if self.cache_path is None:
            return
        tmp = self.cache_path.with_name(f".{self.cache_path.name}.{os.getpid()}.tmp.npz")
        try:
            np.savez(tmp, version=_CACHE_VERSION, key=self._key(), ok=self.ok, packed=np.packbits(self._fps, axis=1))
            os.replace(tmp, self.cache_path)  # atomic: a kill leaves the old cache or the new one
        except OSError as exc:
            logger.warning("could not write fingerprint cache %s: %s", self.cache_path, exc)
            tmp.unlink(missing_ok=True)

    def with_extra(self, smiles: Sequence[str]) -> CandidatePool:
        """This pool plus ``smiles`` appended (e.g. training molecules outside the library).

        Already computed fingerprints are reused; only the new rows are fingerprinted.
        The result has no disk cache.
        """
        smiles = list(smiles)
        if not smiles:
            return self
        out = CandidatePool(self.smiles + smiles)
        extra = CandidatePool(smiles)
        out._fps = np.vstack([self.fingerprints(), extra.fingerprints()])  # the pool's come from the cache
        out.ok = np.concatenate([self.ok, extra.ok])
        return out

    # ------------------------------------------------------------------ graphs
    def graphs(self, featurizer, config, key: str) -> tuple[list, np.ndarray]:
        """PyG graphs of every usable candidate, featurised once per ``key``.

        Parameters
        ----------
        featurizer : callable
            Mol -> record with ``to_pyg()`` (an estimator's ``featurizer_``).
        config : molpred.chem.StandardizeConfig
            The estimator's standardisation (``std_config_``).
        key : str
            Identifies featurizer + config; graphs are reused while it is unchanged.

        Returns
        -------
        data : list of torch_geometric.data.Data
            ``n_usable`` graphs.
        index : numpy.ndarray
            ``n_usable`` int64 positions in the pool.
        """
        if key not in self._graphs:
            from molpred.data.featurized import featurize_smiles

            fs = featurize_smiles(self.smiles, featurizer, config)
            self._graphs = {key: (fs.data, fs.index)}  # keep one featurisation at a time
        return self._graphs[key]
