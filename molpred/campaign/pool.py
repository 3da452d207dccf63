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

__all__ = ["CandidatePool", "FP_BITS", "FP_RADIUS", "POOL_FEATURES"]

logger = logging.getLogger(__name__)

FP_RADIUS = 2
FP_BITS = 2048
_CACHE_VERSION = 1


def _morgan_generator():
    from rdkit.Chem import rdFingerprintGenerator

    return rdFingerprintGenerator.GetMorganGenerator(radius=FP_RADIUS, fpSize=FP_BITS)


def _atom_pair_generator():
    # MolPAL's "pair" encoder: rdMolDescriptors.GetHashedAtomPairFingerprintAsBitVect(mol,
    # minLength=1, maxLength=3, nBits=2048), whose bits are this generator's (count simulation)
    from rdkit.Chem import rdFingerprintGenerator

    return rdFingerprintGenerator.GetAtomPairGenerator(minDistance=1, maxDistance=3, fpSize=FP_BITS,
                                                       countSimulation=True)


def _full_atom_pair_generator():
    # RDKit's default atom pairs (Carhart et al. 1985): every topological distance 1-30, so
    # the bits also see a molecule's size and shape, which docking scores follow
    from rdkit.Chem import rdFingerprintGenerator

    return rdFingerprintGenerator.GetAtomPairGenerator(minDistance=1, maxDistance=30, fpSize=FP_BITS,
                                                       countSimulation=True)


POOL_FEATURES = {
    "morgan": ("binary Morgan fingerprint, radius 2, 2048 bits", _morgan_generator),
    "atompair": ("RDKit hashed atom-pair fingerprint, path length 1-3, 2048 bits (count-simulated bits, "
                 "as MolPAL's 'pair' encoder)", _atom_pair_generator),
    "atompair-full": ("RDKit hashed atom-pair fingerprint, path length 1-30 (RDKit's default), 2048 bits "
                      "(count-simulated bits)", _full_atom_pair_generator),
}
"""Registry of pool fingerprints: name -> (description, RDKit generator factory); all 2048 bits."""


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
        self._features: dict[str, np.ndarray] = {}
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
            self._fps = self._load_cache(self.cache_path)
        if self._fps is None:
            self._fps = self._compute_fingerprints("morgan")
            self._save_cache(self.cache_path, self._fps)
        return self._fps

    def features(self, kind: str = "morgan") -> np.ndarray:
        """2048-bit fingerprints of the whole pool, of a kind in :data:`POOL_FEATURES`.

        ``"morgan"`` is :meth:`fingerprints`; other kinds are cached next to it on disk
        (``<cache>.<kind>.npz``).

        Parameters
        ----------
        kind : {"morgan", "atompair", "atompair-full"}

        Returns
        -------
        numpy.ndarray
            ``n_pool x 2048`` uint8 0/1 (zero rows where the molecule is unusable).
        """
        if kind not in POOL_FEATURES:
            import difflib

            close = difflib.get_close_matches(str(kind), list(POOL_FEATURES), n=1, cutoff=0.5)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise ValueError(f"unknown pool features {kind!r}{hint} Available: {', '.join(POOL_FEATURES)}")
        if kind == "morgan":
            return self.fingerprints()
        if kind not in self._features:
            path = None if self.cache_path is None else self.cache_path.with_name(
                f"{self.cache_path.stem}.{kind}.npz")
            fps = self._load_cache(path)
            if fps is None:
                fps = self._compute_fingerprints(kind)
                self._save_cache(path, fps)
            self._features[kind] = fps
        return self._features[kind]

    def _compute_fingerprints(self, kind: str) -> np.ndarray:
        from rdkit import Chem, RDLogger

        RDLogger.DisableLog("rdApp.*")
        gen = POOL_FEATURES[kind][1]()
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

    def _load_cache(self, path: Path | None) -> np.ndarray | None:
        if path is None or not path.is_file():
            return None
        try:
            with np.load(path) as z:
                if int(z["version"]) != _CACHE_VERSION or not np.array_equal(z["key"], self._key()):
                    return None
                fps = np.unpackbits(z["packed"], axis=1, count=FP_BITS)
                self.ok &= z["ok"]
        except Exception as exc:  # noqa: BLE001 - a broken cache is recomputed, never fatal
            logger.warning("ignoring unreadable fingerprint cache %s: %s", path, exc)
            return None
        return fps if fps.shape == (len(self), FP_BITS) else None

    def _save_cache(self, path: Path | None, fps: np.ndarray) -> None:
        if path is None:
            return
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp.npz")
        try:
            np.savez(tmp, version=_CACHE_VERSION, key=self._key(), ok=self.ok, packed=np.packbits(fps, axis=1))
            os.replace(tmp, path)  # atomic: a kill leaves the old cache or the new one
        except OSError as exc:
            logger.warning("could not write fingerprint cache %s: %s", path, exc)
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
        for kind, fps in self._features.items():  # other kinds already computed: only the new rows
            out._features[kind] = np.vstack([fps, extra.features(kind)])
        out.ok = np.concatenate([self.ok, extra.ok])
        return out

    # ------------------------------------------------------------------ graphs
    def graphs(self, featurizer, config, key: str) -> tuple:
        """Packed graphs of every usable candidate, featurised once per ``key``.

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
        data : molpred.data.packed.PackedGraphs
            ``n_usable`` graphs.
        index : numpy.ndarray
            ``n_usable`` int64 positions in the pool.
        """
        if key not in self._graphs:
            from molpred.data.featurized import featurize_smiles

            fs = featurize_smiles(self.smiles, featurizer, config)
            self._graphs = {key: (fs.graphs, fs.index)}  # keep one featurisation at a time
        return self._graphs[key]
