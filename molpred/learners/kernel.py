"""Tanimoto-kernel learners on binary ECFP: support vector regression and a Gaussian process.

Both keep their training fingerprints packed (``np.packbits``) with the fitted coefficients,
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

__all__ = ["tanimoto_kernel", "TanimotoSVR", "TanimotoGP", "SVR_GRID", "SVR_MAX_TRAIN", "GP_MAX_TRAIN"]

SVR_GRID = {"C": [1.0, 10.0, 100.0], "epsilon": [0.01, 0.1, 0.2]}  # the MoleculeACE SVM grid
SVR_MAX_TRAIN = 15_000  # dense n x n kernel in float64 (1.8 GB at this size)
GP_MAX_TRAIN = 8_000  # dense eigendecomposition: minutes on one core beyond this
GP_SIGNAL = np.logspace(-1.0, 1.0, 9)  # prior variance of standardised targets
GP_NOISE = np.logspace(-3.0, 0.5, 15)  # noise variance of standardised targets
N_FOLDS = 5


def tanimoto_kernel(a: np.ndarray, b: np.ndarray, chunk: int = 4096) -> np.ndarray:
    """Tanimoto similarities of binary fingerprints, float64.

    Parameters
    ----------
    a : numpy.ndarray
        ``n_a x n_bits`` 0/1 (any numeric dtype).
    b : numpy.ndarray
        ``n_b x n_bits`` 0/1.

    Returns
    -------
    numpy.ndarray
        ``n_a x n_b``; two empty fingerprints have similarity 0.
    """
    b = np.asarray(b, dtype=np.float64)
    nb = b.sum(1)
    out = np.empty((len(a), len(b)), dtype=np.float64)
    for start in range(0, len(a), chunk):
        block = np.asarray(a[start:start + chunk], dtype=np.float64)
        inter = block @ b.T
        union = block.sum(1)[:, None] + nb[None, :] - inter
        out[start:start + chunk] = np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)
    return out


def _unpack(packed: np.ndarray, n_bits: int) -> np.ndarray:
    return np.unpackbits(packed, axis=1, count=n_bits)


def _folds(n: int, seed: int):
    from sklearn.model_selection import KFold

    return KFold(min(N_FOLDS, n), shuffle=True, random_state=seed)


class TanimotoSVR:
    """epsilon-SVR with a Tanimoto kernel on binary fingerprints (scikit-learn's libsvm).

    ``C`` and ``epsilon`` are chosen by 5-fold cross-validated RMSE over :data:`SVR_GRID`
    on the training data (seeded folds), as in the MoleculeACE SVM baseline; targets are
    used in their own units.

    Parameters
    ----------
    seed : int
        Seed of the cross-validation folds.

    Attributes
    ----------
    support_packed_ : numpy.ndarray
        ``n_sv x n_bits / 8`` uint8 packed support-vector fingerprints.
    dual_coef_ : numpy.ndarray
        ``n_sv`` float64.
    intercept_ : float
    params_ : dict
        Chosen ``C`` and ``epsilon`` and the cross-validated RMSE.
    """

    name = "svr"
    tasks = ("regression",)

    def __init__(self, seed: int = 0):
        self.seed = seed

    def fit(self, X: np.ndarray, y: np.ndarray) -> TanimotoSVR:
        """Fit on ``n x n_bits`` 0/1 fingerprints and ``n`` labels."""
        from sklearn.model_selection import GridSearchCV
        from sklearn.svm import SVR

        X = np.asarray(X, dtype=np.uint8)
        y = np.asarray(y, dtype=np.float64)
        if len(X) > SVR_MAX_TRAIN:
            raise ValueError(f"svr handles at most {SVR_MAX_TRAIN} training molecules per target "
                             f"(dense kernel), got {len(X)}; use model='rf' or a graph model")
        K = tanimoto_kernel(X, X)
        if len(X) >= 2 * N_FOLDS:
            search = GridSearchCV(SVR(kernel="precomputed"), SVR_GRID, cv=_folds(len(X), self.seed),
                                  scoring="neg_root_mean_squared_error", n_jobs=1, refit=False).fit(K, y)
            best = dict(search.best_params_)
            cv_rmse = float(-search.best_score_)
        else:  # too few molecules to cross-validate: the grid's middle
            best, cv_rmse = {"C": 10.0, "epsilon": 0.1}, float("nan")
        svr = SVR(kernel="precomputed", **best).fit(K, y)
        self.n_bits_ = X.shape[1]
        self.support_packed_ = np.packbits(X[svr.support_], axis=1)
        self.dual_coef_ = np.asarray(svr.dual_coef_, dtype=np.float64).ravel()
        self.intercept_ = float(svr.intercept_[0])
        self.params_ = {**{k: float(v) for k, v in best.items()}, "cv_rmse": cv_rmse}
        self._K, self._y = K, y  # for oof_predict right after fit; never saved
        return self

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
        self._K = self._y = None

    def predict(self, X: np.ndarray) -> tuple[np.ndarray, None]:
        """``n`` predictions for ``n x n_bits`` fingerprints (no standard deviation)."""
        K = tanimoto_kernel(X, _unpack(self.support_packed_, self.n_bits_))
        return K @ self.dual_coef_ + self.intercept_, None

    # ------------------------------------------------------------------ files
    def state_arrays(self) -> dict[str, np.ndarray]:
        return {"support_packed": self.support_packed_, "dual_coef": self.dual_coef_}

    def config_dict(self) -> dict:
        return {"learner": self.name, "seed": self.seed, "n_bits": self.n_bits_,
                "intercept": self.intercept_, "params": self.params_}

    @classmethod
    def from_state(cls, arrays: dict, config: dict) -> TanimotoSVR:
        self = cls(seed=int(config["seed"]))
        self.n_bits_ = int(config["n_bits"])
        self.support_packed_ = np.ascontiguousarray(arrays["support_packed"], dtype=np.uint8)
        self.dual_coef_ = np.asarray(arrays["dual_coef"], dtype=np.float64)
        self.intercept_ = float(config["intercept"])
        self.params_ = dict(config["params"])
        if self.support_packed_.shape != (len(self.dual_coef_), -(-self.n_bits_ // 8)):
            raise ValueError("support vectors and dual coefficients do not match")
        return self


class TanimotoGP:
    """Exact Gaussian-process regression with a Tanimoto kernel on binary fingerprints.

    Targets are standardised; the prior covariance is ``s * T(x, x')`` plus noise variance
    ``n`` on the diagonal, with ``(s, n)`` chosen on a log grid by the log marginal
    likelihood (one eigendecomposition of the training kernel serves the whole grid).
    Predictions come with the predictive standard deviation of a new measurement (latent
    variance + noise), in target units.

    Attributes
    ----------
    train_packed_ : numpy.ndarray
        ``n x n_bits / 8`` uint8 packed training fingerprints.
    alpha_ : numpy.ndarray
        ``n`` dual coefficients: ``mean = y_std * s * T(x, X) @ alpha + y_mean``.
    params_ : dict
        ``signal``, ``noise``, ``y_mean``, ``y_std``, ``log_marginal_likelihood``.
    """

    name = "gp"
    tasks = ("regression",)

    def __init__(self, seed: int = 0):
        self.seed = seed

    def fit(self, X: np.ndarray, y: np.ndarray) -> TanimotoGP:
        X = np.asarray(X, dtype=np.uint8)
        y = np.asarray(y, dtype=np.float64)
        if len(X) > GP_MAX_TRAIN:
            raise ValueError(f"gp handles at most {GP_MAX_TRAIN} training molecules per target, got {len(X)}; "
                             "use model='svr' or 'rf'")
        y_mean, y_std = float(y.mean()), float(y.std()) or 1.0
        z = (y - y_mean) / y_std
        self.n_bits_ = X.shape[1]
        self.train_packed_ = np.packbits(X, axis=1)
        lam, U = self._eig()
        zu = U.T @ z
        best = None
        for s in GP_SIGNAL:
            for noise in GP_NOISE:
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
            X = _unpack(self.train_packed_, self.n_bits_)
            lam, U = np.linalg.eigh(tanimoto_kernel(X, X))
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
        Kq = tanimoto_kernel(X, _unpack(self.train_packed_, self.n_bits_))
        self_sim = (X.sum(1) > 0).astype(np.float64)
        return self._posterior(Kq, self_sim, self.alpha_, lam, U)

    def oof_predict(self) -> tuple[np.ndarray, np.ndarray]:
        """Out-of-fold mean and std with the chosen hyperparameters (for calibration)."""
        X, z = self._X, self._z
        mean, std = np.full(len(z), np.nan), np.full(len(z), np.nan)
        if len(z) < 2 * N_FOLDS:
            return mean, std
        K = tanimoto_kernel(X, X)
        s, noise = self.params_["signal"], self.params_["noise"]
        self_sim = (X.sum(1) > 0).astype(np.float64)
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
        return {"train_packed": self.train_packed_, "alpha": self.alpha_}

    def config_dict(self) -> dict:
        return {"learner": self.name, "seed": self.seed, "n_bits": self.n_bits_, "params": self.params_}

    @classmethod
    def from_state(cls, arrays: dict, config: dict) -> TanimotoGP:
        self = cls(seed=int(config["seed"]))
        self.n_bits_ = int(config["n_bits"])
        self.train_packed_ = np.ascontiguousarray(arrays["train_packed"], dtype=np.uint8)
        self.alpha_ = np.asarray(arrays["alpha"], dtype=np.float64)
        self.params_ = {k: float(config["params"][k]) for k in
                        ("signal", "noise", "y_mean", "y_std", "log_marginal_likelihood")}
        if self.train_packed_.shape != (len(self.alpha_), -(-self.n_bits_ // 8)):
            raise ValueError("training fingerprints and dual coefficients do not match")
        return self
