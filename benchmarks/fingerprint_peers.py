"""Fingerprint baselines, run through scikit-learn's public API.

* ``svm``: SVR / SVC with a Tanimoto kernel on ECFP4 (binary Morgan radius 2, 1024 bits),
  ``kernel="precomputed"``; C (and epsilon for regression) chosen by 5-fold CV on the training
  part. This is the MoleculeACE paper's best method.
* ``rf``: random forest on the same ECFP4 bits.
* ``knn``: k nearest neighbours by Tanimoto distance (k chosen by 5-fold CV).

Molecules are parsed with plain RDKit (``Chem.MolFromSmiles``): a molecule RDKit cannot parse
gets a NaN prediction. Multi-target data with missing labels is fitted one target at a time on
that target's labelled rows.
"""

from __future__ import annotations

import numpy as np

__all__ = ["ecfp", "tanimoto", "SVMPeer", "RFPeer", "KNNPeer", "SVM_MAX_TRAIN"]

# Beyond this many training molecules the dense Tanimoto kernel (n^2 floats, plus libsvm's
# cache) no longer fits comfortably on the benchmark machine; the SVM is skipped there.
SVM_MAX_TRAIN = 15_000
SVR_GRID = {"C": [1.0, 10.0, 100.0], "epsilon": [0.01, 0.1, 0.2]}
SVC_GRID = {"C": [0.1, 1.0, 10.0]}
KNN_GRID = {"n_neighbors": [3, 5, 10]}
N_BITS = 1024


def ecfp(smiles: list[str], n_bits: int = N_BITS) -> tuple[np.ndarray, np.ndarray]:
    """Binary ECFP4 bits of each SMILES.

    Returns
    -------
    X : numpy.ndarray
        ``n x n_bits`` uint8 (zeros for unparsable SMILES).
    ok : numpy.ndarray
        ``n`` bool, False where RDKit could not parse the SMILES.
    """
    from rdkit import Chem, RDLogger
    from rdkit.Chem import rdFingerprintGenerator

    RDLogger.DisableLog("rdApp.*")
    gen = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=n_bits)
    X = np.zeros((len(smiles), n_bits), dtype=np.uint8)
    ok = np.zeros(len(smiles), dtype=bool)
    for i, s in enumerate(smiles):
        mol = Chem.MolFromSmiles(s) if isinstance(s, str) and s else None
        if mol is not None:
            X[i] = gen.GetFingerprintAsNumPy(mol)
            ok[i] = True
    return X, ok


def tanimoto(a: np.ndarray, b: np.ndarray, chunk: int = 4096) -> np.ndarray:
    """``n_a x n_b`` float64 Tanimoto similarities of binary fingerprints (chunked over ``a``)."""
    from molpred.chem import tanimoto_matrix

    out = np.empty((len(a), len(b)), dtype=np.float64)
    for start in range(0, len(a), chunk):
        out[start:start + chunk] = tanimoto_matrix(a[start:start + chunk], b)
    return out


def _targets(y: np.ndarray):
    """Yield (target index, mask of labelled rows)."""
    for t in range(y.shape[1]):
        yield t, ~np.isnan(y[:, t])


class _FingerprintPeer:
    """Fit one scikit-learn model per target on ECFP4; subclasses build the models."""

    name = "fingerprint"

    def __init__(self, task_type: str, seed: int = 0):
        self.task_type = task_type
        self.seed = seed

    def _cv(self):
        from sklearn.model_selection import KFold, StratifiedKFold

        if self.task_type == "classification":
            return StratifiedKFold(5, shuffle=True, random_state=self.seed)
        return KFold(5, shuffle=True, random_state=self.seed)

    def fit(self, smiles: list[str], y: np.ndarray, smiles_val=None, y_val=None) -> _FingerprintPeer:
        """Fit on the training part only (the validation part is not used by these peers)."""
        X, ok = ecfp(smiles)
        self.X_train_ = X[ok]
        self.models_ = []
        for t, labelled in _targets(y[ok]):
            self.models_.append(self._fit_one(self.X_train_, labelled, y[ok][labelled, t]))
        return self

    def predict(self, smiles: list[str]) -> np.ndarray:
        """``n x n_targets`` predictions (class-1 scores for classification), NaN for bad SMILES."""
        X, ok = ecfp(smiles)
        out = np.full((len(smiles), len(self.models_)), np.nan)
        if ok.any():
            for t, model in enumerate(self.models_):
                out[ok, t] = self._predict_one(model, X[ok])
        return out


class SVMPeer(_FingerprintPeer):
    """Tanimoto-kernel SVM on ECFP4 (SVR or SVC, ``kernel="precomputed"``)."""

    name = "svm"

    def _fit_one(self, X, labelled, y):
        from sklearn.model_selection import GridSearchCV
        from sklearn.svm import SVC, SVR

        if labelled.sum() > SVM_MAX_TRAIN:
            raise MemoryError(f"SVM skipped: {labelled.sum()} training molecules > {SVM_MAX_TRAIN} "
                              f"(dense kernel too large for this machine)")
        rows = np.flatnonzero(labelled)
        K = tanimoto(X[rows], X[rows])
        if self.task_type == "regression":
            est, grid = SVR(kernel="precomputed"), SVR_GRID
            scoring = "neg_root_mean_squared_error"
        else:
            if len(np.unique(y)) < 2:
                return ("constant", float(y[0]) if len(y) else 0.5)
            est, grid = SVC(kernel="precomputed", class_weight="balanced"), SVC_GRID
            scoring = "roc_auc"
        search = GridSearchCV(est, grid, cv=self._cv(), scoring=scoring, n_jobs=1, refit=True)
        search.fit(K, y)
        return (rows, search.best_estimator_, search.best_params_)

    def _predict_one(self, model, X):
        if isinstance(model[0], str):  # ("constant", value): a single-class target
            return np.full(len(X), model[1])
        rows, est, _ = model
        K = tanimoto(X, self.X_train_[rows])
        return est.predict(K) if self.task_type == "regression" else est.decision_function(K)


class RFPeer(_FingerprintPeer):
    """Random forest on ECFP4 (500 trees; regression uses 1/3 of the bits per split)."""

    name = "rf"

    def _fit_one(self, X, labelled, y):
        from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor

        if self.task_type == "regression":
            est = RandomForestRegressor(500, max_features=0.33, n_jobs=2, random_state=self.seed)
        else:
            if len(np.unique(y)) < 2:
                return ("constant", float(y[0]) if len(y) else 0.5)
            est = RandomForestClassifier(500, n_jobs=2, random_state=self.seed, class_weight="balanced")
        return est.fit(X[labelled], y)

    def _predict_one(self, model, X):
        if isinstance(model, tuple):
            return np.full(len(X), model[1])
        return model.predict(X) if self.task_type == "regression" else model.predict_proba(X)[:, 1]


class KNNPeer(_FingerprintPeer):
    """k nearest neighbours by Tanimoto distance, distance-weighted, k by 5-fold CV."""

    name = "knn"

    def _fit_one(self, X, labelled, y):
        from sklearn.model_selection import GridSearchCV
        from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor

        rows = np.flatnonzero(labelled)
        D = 1.0 - tanimoto(X[rows], X[rows])
        if self.task_type == "regression":
            est, scoring = KNeighborsRegressor(metric="precomputed", weights="distance"), "neg_root_mean_squared_error"
        else:
            if len(np.unique(y)) < 2:
                return ("constant", float(y[0]) if len(y) else 0.5)
            est, scoring = KNeighborsClassifier(metric="precomputed", weights="distance"), "roc_auc"
        search = GridSearchCV(est, KNN_GRID, cv=self._cv(), scoring=scoring, n_jobs=1).fit(D, y)
        return (rows, search.best_estimator_)

    def _predict_one(self, model, X):
        if isinstance(model[0], str):  # ("constant", value): a single-class target
            return np.full(len(X), model[1])
        rows, est = model
        D = 1.0 - tanimoto(X, self.X_train_[rows])
        return est.predict(D) if self.task_type == "regression" else est.predict_proba(D)[:, 1]
