"""Tanimoto-kernel learners on binary ECFP: support vector regression and a Gaussian process.

Both keep their training fingerprints (packed bits, or uint8 counts for the MinMax kernel)
with the fitted coefficients,
so a model is plain arrays plus a JSON dict (:meth:`state_arrays`, :meth:`config_dict`) and
predicting needs no scikit-learn object: ``mean = K(x, X_train) @ coef + intercept``.

References
----------
van Tilborg et al., "Exposing the limitations of molecular machine learning with activity
cliffs", J. Chem. Inf. Model. 62, 5938 (2022): the SVM + ECFP baseline reproduced here.
Rasmussen & Williams, "Gaussian Processes for Machine Learning", MIT Press (2006), ch. 2 and 5.
"""

from __future__ import annotations

import numpy as np

from molpred.learners.similarity import (
    KERNELS,
    MULTI_BLOCKS,
    kernel_matrix,
    minmax_kernel,
    multi_kernel,
    self_similarity,
    tanimoto_kernel,
)

__all__ = ["tanimoto_kernel", "minmax_kernel", "multi_kernel", "kernel_matrix", "self_similarity", "KERNELS",
           "MULTI_BLOCKS", "TanimotoSVR", "TanimotoGP", "SVR_GRID", "SVR_MAX_TRAIN", "GP_MAX_TRAIN"]


SVR_GRID = {"C": [1.0, 10.0, 100.0], "epsilon": [0.01, 0.1, 0.2]}  # the MoleculeACE SVM grid
SVR_MAX_TRAIN = 15_000  # dense n x n kernel in float64 (1.8 GB at this size)
GP_MAX_TRAIN = 8_000  # dense eigendecomposition: minutes on one core beyond this
GP_SIGNAL = np.logspace(-1.0, 1.0, 9)  # prior variance of standardised targets
GP_NOISE = np.logspace(-3.0, 0.5, 15)  # noise variance of standardised targets
N_FOLDS = 5


def _encode(kind: str, X: np.ndarray) -> np.ndarray:
    """Stored form: packed bits for ``tanimoto``, uint8 counts for ``minmax`` and ``multi``."""
    return np.packbits(X != 0, axis=1) if kind == "tanimoto" else np.ascontiguousarray(X, dtype=np.uint8)


def _decode(kind: str, stored: np.ndarray, n_bits: int) -> np.ndarray:
    return np.unpackbits(stored, axis=1, count=n_bits) if kind == "tanimoto" else stored


def _stored_width(kind: str, n_bits: int) -> int:
    return -(-n_bits // 8) if kind == "tanimoto" else n_bits


def _check_kernel(kind: str) -> str:
    if kind not in KERNELS:
        raise ValueError(f"kernel must be one of {KERNELS}, got {kind!r}")
    return kind


def _check_gram(gram: np.ndarray, n: int) -> np.ndarray:
    gram = np.asarray(gram, dtype=np.float64)
    if gram.shape != (n, n):
        raise ValueError(f"gram matrix should be {n} x {n}, got {gram.shape}")
    return gram


def _folds(n: int, seed: int):
    from sklearn.model_selection import KFold

    return KFold(min(N_FOLDS, n), shuffle=True, random_state=seed)


class TanimotoSVR:
    """epsilon-SVR with a Tanimoto kernel on fingerprints (scikit-learn's libsvm).

    ``C`` and ``epsilon`` are chosen by 5-fold cross-validated RMSE over :data:`SVR_GRID`
    on the training data (seeded folds), as in the MoleculeACE SVM baseline; targets are
    used in their own units.

    Parameters
    ----------
    seed : int
        Seed of the cross-validation folds.
    kernel : {"tanimoto", "minmax", "multi"}
        Tanimoto on 0/1 bits (the MoleculeACE SVM), MinMax on counts, or the mean MinMax of
        the count blocks of a ``multi_raw_counts`` record (:func:`multi_kernel`).
    C, epsilon : float, optional
        Fixed SVR settings; ``None`` chooses that setting from :data:`SVR_GRID` by 5-fold CV
        (both fixed: no inner CV).

    Attributes
    ----------
    support_fps_ : numpy.ndarray
        Support-vector fingerprints: ``n_sv x n_bits / 8`` packed bits (tanimoto) or
        ``n_sv x n_bits`` uint8 counts (minmax).
    dual_coef_ : numpy.ndarray
        ``n_sv`` float64.
    intercept_ : float
    params_ : dict
        Chosen ``C`` and ``epsilon`` and the cross-validated RMSE.
    """

    name = "svr"
    tasks = ("regression",)

    def __init__(self, seed: int = 0, kernel: str = "tanimoto", C: float | None = None, epsilon: float | None = None):
        self.seed = seed
        self.kernel = kernel
        self.C = C
        self.epsilon = epsilon

    def _grid(self) -> dict[str, list[float]]:
        fixed = {"C": self.C, "epsilon": self.epsilon}
        return {k: SVR_GRID[k] if v is None else [float(v)] for k, v in fixed.items()}

    def fit(self, X: np.ndarray, y: np.ndarray, gram: np.ndarray | None = None) -> TanimotoSVR:
        """Fit on ``n x n_bits`` fingerprints (0/1, or counts for minmax) and ``n`` labels.

        ``gram`` (``n x n``), when given, is ``kernel_matrix(kernel, X, X)`` computed by the
        caller (the stack of :mod:`molpred.learners.stack` shares one across its members and folds).
        """
        from sklearn.model_selection import GridSearchCV
        from sklearn.svm import SVR

        X = np.asarray(X, dtype=np.uint8)
        y = np.asarray(y, dtype=np.float64)
        if len(X) > SVR_MAX_TRAIN:
            raise ValueError(f"svr handles at most {SVR_MAX_TRAIN} training molecules per target "
                             f"(dense kernel), got {len(X)}; use model='rf' or a graph model")
        K = kernel_matrix(_check_kernel(self.kernel), X, X) if gram is None else _check_gram(gram, len(X))
        grid = self._grid()
        if len(X) >= 2 * N_FOLDS and any(len(v) > 1 for v in grid.values()):
            search = GridSearchCV(SVR(kernel="precomputed"), grid, cv=_folds(len(X), self.seed),
                                  scoring="neg_root_mean_squared_error", n_jobs=1, refit=False).fit(K, y)
            best = dict(search.best_params_)
            cv_rmse = float(-search.best_score_)
        else:  # settings fixed, or too few molecules to cross-validate: the grid's middle for the free ones
            best = {k: v[0] if len(v) == 1 else {"C": 10.0, "epsilon": 0.1}[k] for k, v in grid.items()}
            cv_rmse = float("nan")
        svr = SVR(kernel="precomputed", **best).fit(K, y)
        self.n_bits_ = X.shape[1]
        self.support_fps_ = _encode(self.kernel, X[svr.support_])
        self.dual_coef_ = np.asarray(svr.dual_coef_, dtype=np.float64).ravel()
        self.intercept_ = float(svr.intercept_[0])
        self.params_ = {**{k: float(v) for k, v in best.items()}, "cv_rmse": cv_rmse}
        self._K, self._y = K, y  # for oof_predict right after fit; never saved
        self._support = np.asarray(svr.support_)  # for predict_gram right after fit; never saved
        return self

    def predict_gram(self, Kq: np.ndarray) -> np.ndarray:
        """``n_q`` predictions from ``n_q x n`` similarities to the rows ``fit`` was given (right after fit)."""
        if getattr(self, "_support", None) is None:
            raise ValueError("predict_gram needs the training rows of this fit; use predict(X)")
        return np.asarray(Kq)[:, self._support] @ self.dual_coef_ + self.intercept_

    def oof_predict(self) -> tuple[np.ndarray, None]:
        """Out-of-fold predictions on the training data with the chosen settings (calibration).

        Returns
        -------
        mean : numpy.ndarray
            ``n`` (NaN when there were too few molecules to cross-validate).
        std : None
        """
        from sklearn.svm import SVR

        K, y = self._K, self._y
        out = np.full(len(y), np.nan)
        if len(y) >= 2 * N_FOLDS:
            settings = {k: self.params_[k] for k in ("C", "epsilon")}
            for tr, te in _folds(len(y), self.seed).split(K):
                svr = SVR(kernel="precomputed", **settings).fit(K[np.ix_(tr, tr)], y[tr])
                out[te] = svr.predict(K[np.ix_(te, tr)])
        return out, None

    def free(self) -> None:
        """Drop the training kernel kept for :meth:`oof_predict`."""
        self._K = self._y = self._support = None

    def predict(self, X: np.ndarray) -> tuple[np.ndarray, None]:
        """``n`` predictions for ``n x n_bits`` fingerprints (no standard deviation)."""
        K = kernel_matrix(self.kernel, X, _decode(self.kernel, self.support_fps_, self.n_bits_))
        return K @ self.dual_coef_ + self.intercept_, None

    # ------------------------------------------------------------------ files
    def state_arrays(self) -> dict[str, np.ndarray]:
        return {"support_fps": self.support_fps_, "dual_coef": self.dual_coef_}

    def config_dict(self) -> dict:
        return {"learner": self.name, "seed": self.seed, "kernel": self.kernel, "n_bits": self.n_bits_,
                "intercept": self.intercept_, "params": self.params_}

    @classmethod
    def from_state(cls, arrays: dict, config: dict) -> TanimotoSVR:
        self = cls(seed=int(config["seed"]), kernel=_check_kernel(str(config["kernel"])))
        self.n_bits_ = int(config["n_bits"])
        self.support_fps_ = np.ascontiguousarray(arrays["support_fps"], dtype=np.uint8)
        self.dual_coef_ = np.asarray(arrays["dual_coef"], dtype=np.float64)
        self.intercept_ = float(config["intercept"])
        self.params_ = dict(config["params"])
        if self.support_fps_.shape != (len(self.dual_coef_), _stored_width(self.kernel, self.n_bits_)):
            raise ValueError("support vectors and dual coefficients do not match")
        return self


class TanimotoGP:
    """Exact Gaussian-process regression with a Tanimoto (or MinMax) kernel on fingerprints.

    Targets are standardised; the prior covariance is ``s * T(x, x')`` plus noise variance
    ``n`` on the diagonal, with ``(s, n)`` chosen on a log grid by the log marginal
    likelihood (one eigendecomposition of the training kernel serves the whole grid).
    Predictions come with the predictive standard deviation of a new measurement (latent
    variance + noise), in target units.

    Parameters
    ----------
    seed : int
    kernel : {"tanimoto", "minmax", "multi"}
    alpha : float, optional
        Fixed noise variance of the standardised targets (as scikit-learn's ``alpha``);
        ``None`` chooses it with the signal variance by the log marginal likelihood.

    Attributes
    ----------
    train_fps_ : numpy.ndarray
        Training fingerprints, stored as in :class:`TanimotoSVR`.
    alpha_ : numpy.ndarray
        ``n`` dual coefficients: ``mean = y_std * s * T(x, X) @ alpha + y_mean``.
    params_ : dict
        ``signal``, ``noise``, ``y_mean``, ``y_std``, ``log_marginal_likelihood``.
    """

    name = "gp"
    tasks = ("regression",)

    def __init__(self, seed: int = 0, kernel: str = "tanimoto", alpha: float | None = None):
        self.seed = seed
        self.kernel = kernel
        self.alpha = alpha

    def fit(self, X: np.ndarray, y: np.ndarray, gram: np.ndarray | None = None) -> TanimotoGP:
        """Fit on ``n x n_bits`` fingerprints and ``n`` labels (``gram``: as in :meth:`TanimotoSVR.fit`)."""
        X = np.asarray(X, dtype=np.uint8)
        y = np.asarray(y, dtype=np.float64)
        if len(X) > GP_MAX_TRAIN:
            raise ValueError(f"gp handles at most {GP_MAX_TRAIN} training molecules per target, got {len(X)}; "
                             "use model='svr' or 'rf'")
        y_mean, y_std = float(y.mean()), float(y.std()) or 1.0
        z = (y - y_mean) / y_std
        self.n_bits_ = X.shape[1]
        self.train_fps_ = _encode(_check_kernel(self.kernel), X)
        self._eig_cache = None
        if gram is not None:
            lam, U = np.linalg.eigh(_check_gram(gram, len(X)))
            self._eig_cache = (np.clip(lam, 0.0, None), U)
        lam, U = self._eig()
        zu = U.T @ z
        best = None
        for s in GP_SIGNAL:
            for noise in (GP_NOISE if self.alpha is None else [float(self.alpha)]):
                d = s * lam + noise
                lml = -0.5 * np.sum(zu ** 2 / d) - 0.5 * np.sum(np.log(d)) - 0.5 * len(z) * np.log(2 * np.pi)
                if best is None or lml > best[0]:
                    best = (float(lml), float(s), float(noise))
        lml, s, noise = best
        self.alpha_ = U @ (zu / (s * lam + noise))
        self.params_ = {"signal": s, "noise": noise, "y_mean": y_mean, "y_std": y_std,
                        "log_marginal_likelihood": lml}
        self._X, self._z = X, z
        return self

    def _eig(self) -> tuple[np.ndarray, np.ndarray]:
        """Eigendecomposition of the training Tanimoto kernel (cached; recomputed after loading)."""
        if getattr(self, "_eig_cache", None) is None:
            X = _decode(self.kernel, self.train_fps_, self.n_bits_)
            lam, U = np.linalg.eigh(kernel_matrix(self.kernel, X, X))
            self._eig_cache = (np.clip(lam, 0.0, None), U)
        return self._eig_cache

    def _posterior(self, Kq: np.ndarray, self_sim: np.ndarray, alpha: np.ndarray, lam: np.ndarray, U: np.ndarray):
        """Mean and std (target units) from query-train similarities ``Kq`` (``n_q x n``)."""
        s, noise = self.params_["signal"], self.params_["noise"]
        mean_z = s * (Kq @ alpha)
        W = Kq @ U
        var_z = s * self_sim - s * s * np.sum(W ** 2 / (s * lam + noise), axis=1) + noise
        std_z = np.sqrt(np.clip(var_z, noise, None))
        return mean_z * self.params_["y_std"] + self.params_["y_mean"], std_z * self.params_["y_std"]

    def predict(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Predictive mean and standard deviation (``n`` each) for ``n x n_bits`` fingerprints."""
        X = np.asarray(X, dtype=np.uint8)
        lam, U = self._eig()
        Kq = kernel_matrix(self.kernel, X, _decode(self.kernel, self.train_fps_, self.n_bits_))
        self_sim = self_similarity(self.kernel, X)
        return self._posterior(Kq, self_sim, self.alpha_, lam, U)

    def predict_gram(self, Kq: np.ndarray, self_sim: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Mean and std (``n_q`` each) from ``n_q x n`` similarities to the training rows.

        ``self_sim`` (``n_q``) is each query's similarity to itself (1, or 0 for an empty
        fingerprint: the diagonal of the queries' own kernel).
        """
        lam, U = self._eig()
        return self._posterior(np.asarray(Kq), np.asarray(self_sim, dtype=np.float64), self.alpha_, lam, U)

    def oof_predict(self) -> tuple[np.ndarray, np.ndarray]:
        """Out-of-fold mean and std with the chosen hyperparameters (for calibration)."""
        X, z = self._X, self._z
        mean, std = np.full(len(z), np.nan), np.full(len(z), np.nan)
        if len(z) < 2 * N_FOLDS:
            return mean, std
        K = kernel_matrix(self.kernel, X, X)
        s, noise = self.params_["signal"], self.params_["noise"]
        self_sim = self_similarity(self.kernel, X)
        for tr, te in _folds(len(z), self.seed).split(X):
            lam, U = np.linalg.eigh(K[np.ix_(tr, tr)])
            lam = np.clip(lam, 0.0, None)
            alpha = U @ ((U.T @ z[tr]) / (s * lam + noise))
            mean[te], std[te] = self._posterior(K[np.ix_(te, tr)], self_sim[te], alpha, lam, U)
        return mean, std

    def free(self) -> None:
        """Drop the training data kept for :meth:`oof_predict` (the eigendecomposition stays)."""
        self._X = self._z = None

    # ------------------------------------------------------------------ files
    def state_arrays(self) -> dict[str, np.ndarray]:
        return {"train_fps": self.train_fps_, "alpha": self.alpha_}

    def config_dict(self) -> dict:
        return {"learner": self.name, "seed": self.seed, "kernel": self.kernel, "n_bits": self.n_bits_,
                "params": self.params_}

    @classmethod
    def from_state(cls, arrays: dict, config: dict) -> TanimotoGP:
        self = cls(seed=int(config["seed"]), kernel=_check_kernel(str(config["kernel"])))
        self.n_bits_ = int(config["n_bits"])
        self.train_fps_ = np.ascontiguousarray(arrays["train_fps"], dtype=np.uint8)
        self.alpha_ = np.asarray(arrays["alpha"], dtype=np.float64)
        self.params_ = {k: float(config["params"][k]) for k in
                        ("signal", "noise", "y_mean", "y_std", "log_marginal_likelihood")}
        if self.train_fps_.shape != (len(self.alpha_), _stored_width(self.kernel, self.n_bits_)):
            raise ValueError("training fingerprints and dual coefficients do not match")
        return self
