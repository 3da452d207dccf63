"""Applicability domain: is a query molecule similar enough to the training set to trust?

Training molecules are kept as packed ECFP bits (``np.packbits``: 256 bytes per molecule
for 2,048 bits). Tanimoto similarity is computed query chunk by query chunk with exact integer
kernels (an int8 matrix product, or a popcount on the packed words;
:mod:`molpred.uncertainty.tanimoto`), so 10^5 queries against 10^4 training molecules need only
a few tens of MB of temporaries at any time.

The state is one ``uint8`` array (:meth:`ApplicabilityDomain.state_arrays`, for safetensors)
plus a JSON dict (:meth:`ApplicabilityDomain.config_dict`): nothing is pickled.

References
----------
Sheridan et al., "Similarity to molecules in the training set is a good discriminator for
prediction accuracy in QSAR", J. Chem. Inf. Comput. Sci. 44, 1912 (2004).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence

import numpy as np

from molpred.exceptions import ModelFileError, NotFittedError
from molpred.uncertainty._arrays import check_choice, check_state
from molpred.uncertainty.tanimoto import TrainingFingerprints, packed_tanimoto, tanimoto_chunks

__all__ = ["ApplicabilityDomain", "packed_tanimoto", "DOMAIN_SCORES"]

DOMAIN_SCORES = ("max_sim_train", "mean_sim_knn")
_STATE_KEY = "train_fingerprints_packed"


class ApplicabilityDomain:
    """Similarity of query molecules to the training set (ECFP Tanimoto).

    Parameters
    ----------
    radius : int
        Morgan radius (2 = ECFP4).
    n_bits : int
        Fingerprint length, a multiple of 8.
    k : int
        Number of nearest training neighbours averaged in ``mean_sim_knn``.
    chunk_size : int or None
        Queries per similarity block; ``None`` sizes blocks to about 32 MB of temporaries.

    Attributes
    ----------
    train_packed_ : numpy.ndarray
        ``n_train x n_bits / 8`` uint8 packed training fingerprints.
    threshold_ : float or None
        Set by :meth:`fit_threshold`; molecules with ``threshold_score_ >= threshold_`` are
        in domain.
    threshold_score_ : str
        Which score the threshold applies to (``"max_sim_train"`` or ``"mean_sim_knn"``).
    threshold_rule_ : str or None
        ``"quantile"`` or ``"error"`` (see :meth:`fit_threshold`).

    Examples
    --------
    >>> from rdkit import Chem
    >>> train = [Chem.MolFromSmiles(s) for s in ["c1ccccc1O", "c1ccccc1N", "c1ccccc1CO"]]
    >>> ad = ApplicabilityDomain(k=2).fit(train)
    >>> s = ad.score([Chem.MolFromSmiles("c1ccccc1O"), Chem.MolFromSmiles("O=C=O")])
    >>> s["max_sim_train"].round(2).tolist()
    [1.0, 0.0]
    """

    def __init__(
        self, radius: int = 2, n_bits: int = 2048, k: int = 5, chunk_size: int | None = None
    ) -> None:
        self.radius = radius
        self.n_bits = n_bits
        self.k = k
        self.chunk_size = chunk_size

    # -- fingerprints ---------------------------------------------------------------

    def _packed(self, X: object) -> tuple[np.ndarray, np.ndarray]:
        """Packed fingerprints of ``X`` and a validity mask (``n x n_bytes``, ``n``)."""
        if self.n_bits % 8:
            raise ValueError(f"n_bits must be a multiple of 8, got {self.n_bits}")
        n_bytes = self.n_bits // 8
        if isinstance(X, np.ndarray):
            if X.ndim != 2:
                raise ValueError(f"fingerprint arrays must be 2-D, got shape {X.shape}")
            if X.shape[1] == self.n_bits:
                return np.packbits(X != 0, axis=1), np.ones(X.shape[0], bool)
            if X.shape[1] == n_bytes and X.dtype == np.uint8:
                return np.ascontiguousarray(X), np.ones(X.shape[0], bool)
            raise ValueError(
                f"fingerprints must be n x {self.n_bits} bits or n x {n_bytes} packed uint8 "
                f"bytes, got shape {X.shape} ({X.dtype})"
            )
        return self._packed_from_mols(X)

    def _packed_from_mols(self, mols: Sequence) -> tuple[np.ndarray, np.ndarray]:
        from rdkit import Chem

        from molpred.chem import morgan_fingerprints, to_mol_record

        mols = list(mols)
        resolved = []
        for m in mols:
            if isinstance(m, str):
                m = to_mol_record(m).mol
            ok = isinstance(m, Chem.Mol) and m.GetNumAtoms() > 0
            resolved.append(m if ok else None)  # None, NaN, empty: scored as NaN
        valid = np.array([m is not None for m in resolved], dtype=bool)
        packed = np.zeros((len(mols), self.n_bits // 8), dtype=np.uint8)
        if valid.any():
            fps = morgan_fingerprints(
                [m for m in resolved if m is not None], radius=self.radius, n_bits=self.n_bits
            )
            packed[valid] = np.packbits(fps, axis=1)
        return packed, valid

    # -- fitting --------------------------------------------------------------------

    def fit(self, X: object) -> ApplicabilityDomain:
        """Store the training fingerprints.

        Parameters
        ----------
        X : sequence of rdkit.Chem.Mol or str, or numpy.ndarray
            Training molecules (SMILES are standardised with :func:`molpred.chem.to_mol`),
            or fingerprints: ``n x n_bits`` 0/1 or ``n x n_bits / 8`` packed uint8.
            Molecules that cannot be read are skipped with a warning.

        Returns
        -------
        ApplicabilityDomain
            ``self``.
        """
        packed, valid = self._packed(X)
        if not valid.all():
            warnings.warn(
                f"ApplicabilityDomain.fit: skipped {int((~valid).sum())} unreadable molecule(s)",
                stacklevel=2,
            )
        if not valid.any():
            raise ValueError("ApplicabilityDomain.fit needs at least one valid molecule")
        self.train_packed_ = np.ascontiguousarray(packed[valid])
        self.threshold_ = None
        self.threshold_rule_ = None
        self.threshold_score_ = "max_sim_train"
        return self

    def score(self, X: object) -> dict[str, np.ndarray]:
        """Similarity of each query to the training set.

        Parameters
        ----------
        X : sequence of rdkit.Chem.Mol or str, or numpy.ndarray
            Queries, in any form :meth:`fit` accepts. Unreadable molecules get NaN scores
            and index -1; nothing is dropped, so row ``i`` is query ``i``.

        Returns
        -------
        dict of numpy.ndarray
            ``max_sim_train`` (``n`` float32): highest Tanimoto similarity to a training
            molecule; ``mean_sim_knn`` (``n`` float32): mean similarity to the ``k`` most
            similar training molecules; ``nearest_train_index`` (``n`` int64): row of the
            most similar training molecule. ``pandas.DataFrame(result)`` gives a table.
        """
        self._check_fitted()
        packed, valid = self._packed(X)
        n, n_train = packed.shape[0], self.train_packed_.shape[0]
        k = max(1, min(int(self.k), n_train))
        max_sim = np.full(n, np.nan, dtype=np.float32)
        knn = np.full(n, np.nan, dtype=np.float32)
        nearest = np.full(n, -1, dtype=np.int64)
        idx = np.flatnonzero(valid)
        for start, sims in tanimoto_chunks(packed[idx], self._training_fingerprints(), self.chunk_size):
            rows = idx[start : start + sims.shape[0]]
            nearest[rows] = sims.argmax(axis=1)
            max_sim[rows] = sims[np.arange(sims.shape[0]), nearest[rows]]
            top = np.partition(sims, n_train - k, axis=1)[:, n_train - k :]
            knn[rows] = top.mean(axis=1)
        return {"max_sim_train": max_sim, "mean_sim_knn": knn, "nearest_train_index": nearest}

    def _training_fingerprints(self) -> TrainingFingerprints:
        """``train_packed_`` prepared for queries, kept between calls (rebuilt after a refit)."""
        prepared = self.__dict__.get("_prepared")
        if prepared is None or prepared.packed is not self.train_packed_:
            prepared = self._prepared = TrainingFingerprints(self.train_packed_)
        return prepared

    def fit_threshold(
        self,
        X_val: object,
        val_abs_errors: np.ndarray | None = None,
        quantile: float = 0.05,
        score: str = "max_sim_train",
        error_factor: float = 1.5,
        n_bins: int = 10,
    ) -> ApplicabilityDomain:
        """Choose the in-domain threshold on validation molecules (not in the training set).

        Rules
        -----
        Without errors (``rule = "quantile"``): the threshold is the ``quantile`` (default
        5th percentile) of the validation molecules' ``score``, so about 95% of molecules
        drawn like the validation set count as in domain and anything less similar to the
        training set than nearly all of them does not.

        With errors (``rule = "error"``): validation molecules are sorted by ``score`` and
        cut into ``n_bins`` equal-count bins. The reference error is the mean absolute
        error of the more similar half of the validation set (the model's typical error
        near its training data; the overall mean would be inflated by the very molecules
        the domain should exclude when many validation molecules are dissimilar). Walking
        from the most similar bin down, bins are accepted while their mean absolute error
        stays within ``error_factor`` times the reference; the threshold is the lowest
        score of the last accepted bin (the most similar bin is always accepted). It marks
        where the model becomes clearly worse than it is near its training data. The
        threshold is never lower than the quantile rule's: when errors do not grow within
        the validation range, there is no evidence about less similar molecules either, so
        they stay out of domain. Bins hold at least 20 molecules; with fewer than 40
        validation molecules this reduces to the quantile rule.

        Parameters
        ----------
        X_val : sequence of rdkit.Chem.Mol or str, or numpy.ndarray
            Validation molecules or fingerprints.
        val_abs_errors : numpy.ndarray or None
            ``n_val`` absolute errors of the model on ``X_val`` (NaN rows ignored); for a
            multi-target model pass one error per molecule (e.g. the mean over targets).
        quantile : float
            Quantile for the ``"quantile"`` rule (also the floor of the ``"error"`` rule).
        score : {"max_sim_train", "mean_sim_knn"}
            Which similarity the threshold applies to.
        error_factor : float
            Tolerated ratio of a bin's error to the overall error (``"error"`` rule).
        n_bins : int
            Number of bins for the ``"error"`` rule (fewer if there are < 20 molecules
            per bin).

        Returns
        -------
        ApplicabilityDomain
            ``self``, with ``threshold_``, ``threshold_rule_`` and ``threshold_score_`` set.
        """
        check_choice(score, DOMAIN_SCORES, "domain score")
        if not 0.0 <= quantile <= 1.0:
            raise ValueError(f"quantile must be in [0, 1], got {quantile}")
        s = np.asarray(self.score(X_val)[score], dtype=np.float64)
        ok = np.isfinite(s)
        if val_abs_errors is None:
            if not ok.any():
                raise ValueError("no valid validation molecule to set the threshold")
            self.threshold_ = float(np.quantile(s[ok], quantile))
            self.threshold_rule_ = "quantile"
        else:
            err = np.asarray(val_abs_errors, dtype=np.float64)
            if err.shape != s.shape:
                raise ValueError(f"val_abs_errors must have shape {s.shape}, got {err.shape}")
            ok &= np.isfinite(err)
            if not ok.any():
                raise ValueError("no validation molecule with both a score and an error")
            self.threshold_ = max(
                float(np.quantile(s[ok], quantile)),
                _error_threshold(s[ok], err[ok], error_factor, n_bins),
            )
            self.threshold_rule_ = "error"
        self.threshold_score_ = score
        return self

    def in_domain(self, scores: Mapping[str, np.ndarray]) -> np.ndarray:
        """``n`` booleans: ``scores[threshold_score_] >= threshold_``; NaN scores are False.

        Parameters
        ----------
        scores : mapping
            Output of :meth:`score` (a dict or a DataFrame made from it).
        """
        self._check_fitted()
        if self.threshold_ is None:
            raise NotFittedError("no in-domain threshold: call fit_threshold first")
        s = np.asarray(scores[self.threshold_score_], dtype=np.float64)
        with np.errstate(invalid="ignore"):
            return np.nan_to_num(s, nan=-np.inf) >= self.threshold_

    # -- persistence ----------------------------------------------------------------

    def state_arrays(self) -> dict[str, np.ndarray]:
        """Arrays to store with safetensors: the packed training fingerprints."""
        self._check_fitted()
        return {_STATE_KEY: np.ascontiguousarray(self.train_packed_)}

    def config_dict(self) -> dict:
        """JSON-serialisable settings and threshold."""
        self._check_fitted()
        return {
            "type": "ApplicabilityDomain",
            "version": 1,
            "radius": int(self.radius),
            "n_bits": int(self.n_bits),
            "k": int(self.k),
            "n_train": int(self.train_packed_.shape[0]),
            "threshold": None if self.threshold_ is None else float(self.threshold_),
            "threshold_rule": self.threshold_rule_,
            "threshold_score": self.threshold_score_,
        }

    @classmethod
    def from_state(cls, arrays: Mapping[str, np.ndarray], config: dict) -> ApplicabilityDomain:
        """Rebuild from :meth:`state_arrays` and :meth:`config_dict` output.

        Raises
        ------
        molpred.exceptions.ModelFileError
            If the config is malformed or the array does not match it.
        """
        keys = (
            "radius",
            "n_bits",
            "k",
            "n_train",
            "threshold",
            "threshold_rule",
            "threshold_score",
        )
        check_state(config, "ApplicabilityDomain", 1, keys)
        if _STATE_KEY not in arrays:
            raise ModelFileError(f"ApplicabilityDomain state lacks array {_STATE_KEY!r}")
        packed = np.asarray(arrays[_STATE_KEY])
        n_bits = int(config["n_bits"])
        expected = (int(config["n_train"]), n_bits // 8)
        if packed.dtype != np.uint8 or packed.shape != expected or n_bits % 8:
            raise ModelFileError(
                f"ApplicabilityDomain fingerprints: expected uint8 {expected}, got "
                f"{packed.dtype} {packed.shape}"
            )
        if config["threshold_score"] not in DOMAIN_SCORES:
            raise ModelFileError(f"unknown threshold_score {config['threshold_score']!r}")
        obj = cls(radius=int(config["radius"]), n_bits=n_bits, k=int(config["k"]))
        obj.train_packed_ = np.ascontiguousarray(packed)
        thr = config["threshold"]
        obj.threshold_ = None if thr is None else float(thr)
        obj.threshold_rule_ = config["threshold_rule"]
        obj.threshold_score_ = config["threshold_score"]
        return obj

    def _check_fitted(self) -> None:
        if not hasattr(self, "train_packed_"):
            raise NotFittedError("ApplicabilityDomain is not fitted; call fit first")

    def __repr__(self) -> str:
        return f"ApplicabilityDomain(radius={self.radius}, n_bits={self.n_bits}, k={self.k})"


def _error_threshold(s: np.ndarray, err: np.ndarray, factor: float, n_bins: int) -> float:
    order = np.argsort(-s, kind="stable")  # most similar first
    s, err = s[order], err[order]
    n_bins = int(max(1, min(n_bins, s.size // 20)))
    reference = float(err[: max(1, s.size // 2)].mean())
    bins = np.array_split(np.arange(s.size), n_bins)
    threshold = float(s[bins[0]].min())
    for b in bins[1:]:
        if err[b].mean() > factor * reference:
            break
        threshold = float(s[b].min())
    return threshold
