"""Random forest on binary ECFP, exported to plain arrays and evaluated without scikit-learn.

scikit-learn grows the trees; their structure (children, split feature, threshold, leaf
value) is then copied into flat arrays, and prediction walks those arrays with numpy. The
saved model is those arrays (safetensors) plus a JSON dict; loading rebuilds nothing through
pickle or scikit-learn's private ``Tree`` state.
"""

from __future__ import annotations

import numpy as np

__all__ = ["FingerprintForest"]


class FingerprintForest:
    """Random forest regressor or classifier on ``n x n_bits`` 0/1 fingerprints.

    Settings follow molpred's RF benchmark peer: 500 trees; regression considers a third of
    the bits at each split; classification weights classes ``"balanced"``. Out-of-bag
    predictions serve as calibration data.

    Parameters
    ----------
    task : {"regression", "classification"}
    seed : int
    n_estimators : int
    max_depth : int, optional
        Deepest split level (``None``: grow until leaves are pure).
    max_features : float, optional
        Share of the bits considered at each split; ``None``: a third (regression) or the
        square root of the number of bits (classification).

    Attributes
    ----------
    left_, right_ : numpy.ndarray
        ``n_nodes`` int32 global child indices (-1 at leaves), all trees concatenated.
    feature_ : numpy.ndarray
        ``n_nodes`` int32 split bit (-2 at leaves).
    threshold_ : numpy.ndarray
        ``n_nodes`` float64; go left when ``x[feature] <= threshold``.
    value_ : numpy.ndarray
        ``n_nodes`` float64 leaf value (mean label, or probability of class 1).
    roots_ : numpy.ndarray
        ``n_trees`` int32 index of each tree's root.
    """

    name = "rf"
    tasks = ("regression", "classification")

    def __init__(self, task: str = "regression", seed: int = 0, n_estimators: int = 500,
                 max_depth: int | None = None, max_features: float | None = None):
        self.task = task
        self.seed = seed
        self.n_estimators = n_estimators
        self.max_depth = max_depth
        self.max_features = max_features

    def fit(self, X: np.ndarray, y: np.ndarray) -> FingerprintForest:
        from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor

        X = np.asarray(X, dtype=np.uint8)
        y = np.asarray(y, dtype=np.float64)
        self.n_bits_ = X.shape[1]
        oob = len(X) >= 10
        if self.task == "regression":
            rf = RandomForestRegressor(self.n_estimators, max_features=self.max_features or 0.33, oob_score=oob,
                                       max_depth=self.max_depth, random_state=self.seed, n_jobs=1)
        else:
            if len(np.unique(y)) < 2:
                raise ValueError("rf classifier needs both classes in the training labels")
            rf = RandomForestClassifier(self.n_estimators, class_weight="balanced", oob_score=oob,
                                        max_depth=self.max_depth, max_features=self.max_features or "sqrt",
                                        random_state=self.seed, n_jobs=1)
        rf.fit(X, y.astype(int) if self.task == "classification" else y)
        self._export(rf)
        if oob and self.task == "regression":
            self._oof = np.asarray(rf.oob_prediction_, dtype=np.float64).ravel()
        elif oob:
            self._oof = np.asarray(rf.oob_decision_function_, dtype=np.float64)[:, 1]
        else:
            self._oof = np.full(len(X), np.nan)
        self.params_ = {"n_estimators": self.n_estimators, "n_nodes": int(len(self.left_)),
                        "oob_score": float(rf.oob_score_) if oob else None}
        return self

    def _export(self, rf) -> None:
        lefts, rights, feats, thrs, vals, roots = [], [], [], [], [], []
        offset = 0
        for tree in rf.estimators_:
            t = tree.tree_
            leaf = t.children_left < 0
            lefts.append(np.where(leaf, -1, t.children_left + offset))
            rights.append(np.where(leaf, -1, t.children_right + offset))
            feats.append(np.where(leaf, -2, t.feature))
            thrs.append(t.threshold)
            v = t.value[:, 0, :]
            if self.task == "regression":
                vals.append(v[:, 0])
            else:  # class fractions at the node -> probability of class 1
                vals.append(v[:, 1] / v.sum(1))
            roots.append(offset)
            offset += t.node_count
        self.left_ = np.concatenate(lefts).astype(np.int32)
        self.right_ = np.concatenate(rights).astype(np.int32)
        self.feature_ = np.concatenate(feats).astype(np.int32)
        self.threshold_ = np.concatenate(thrs).astype(np.float64)
        self.value_ = np.concatenate(vals).astype(np.float64)
        self.roots_ = np.asarray(roots, dtype=np.int32)

    def oof_predict(self) -> tuple[np.ndarray, None]:
        """Out-of-bag predictions on the training data (class-1 probabilities for classifiers)."""
        return self._oof, None

    def free(self) -> None:
        """Drop the out-of-bag predictions."""
        self._oof = None

    def predict(self, X: np.ndarray, chunk: int = 2048) -> tuple[np.ndarray, None]:
        """Mean over trees for ``n x n_bits`` fingerprints (probability of class 1 when classifying)."""
        X = np.asarray(X, dtype=np.uint8)
        out = np.empty(len(X), dtype=np.float64)
        for start in range(0, len(X), chunk):
            block = X[start:start + chunk]
            rows = np.arange(len(block))[None, :]
            node = np.repeat(self.roots_[:, None], len(block), axis=1)  # n_trees x n_block
            while True:
                active = self.left_[node] >= 0
                if not active.any():
                    break
                go_left = block[rows, np.maximum(self.feature_[node], 0)] <= self.threshold_[node]
                node = np.where(active, np.where(go_left, self.left_[node], self.right_[node]), node)
            out[start:start + chunk] = self.value_[node].sum(0) / len(self.roots_)
        return out, None

    # ------------------------------------------------------------------ files
    def state_arrays(self) -> dict[str, np.ndarray]:
        return {"left": self.left_, "right": self.right_, "feature": self.feature_,
                "threshold": self.threshold_, "value": self.value_, "roots": self.roots_}

    def config_dict(self) -> dict:
        return {"learner": self.name, "task": self.task, "seed": self.seed,
                "n_estimators": self.n_estimators, "max_depth": self.max_depth, "max_features": self.max_features,
                "n_bits": self.n_bits_, "params": self.params_}

    @classmethod
    def from_state(cls, arrays: dict, config: dict) -> FingerprintForest:
        self = cls(task=str(config["task"]), seed=int(config["seed"]), n_estimators=int(config["n_estimators"]))
        self.n_bits_ = int(config["n_bits"])
        self.params_ = dict(config["params"])
        self.left_ = np.asarray(arrays["left"], dtype=np.int32)
        self.right_ = np.asarray(arrays["right"], dtype=np.int32)
        self.feature_ = np.asarray(arrays["feature"], dtype=np.int32)
        self.threshold_ = np.asarray(arrays["threshold"], dtype=np.float64)
        self.value_ = np.asarray(arrays["value"], dtype=np.float64)
        self.roots_ = np.asarray(arrays["roots"], dtype=np.int32)
        n = len(self.left_)
        if not all(len(a) == n for a in (self.right_, self.feature_, self.threshold_, self.value_)):
            raise ValueError("tree arrays have different lengths")
        inner = self.left_ >= 0
        if (np.any(self.left_[inner] >= n) or np.any(self.right_[inner] >= n) or np.any(self.right_[inner] < 0)
                or np.any(self.roots_ < 0) or np.any(self.roots_ >= n)
                or np.any(self.feature_[inner] >= self.n_bits_) or np.any(self.feature_[inner] < 0)):
            raise ValueError("tree arrays point outside the forest or the fingerprint")
        if np.any(self.left_[inner] <= np.flatnonzero(inner)) or np.any(self.right_[inner] <= np.flatnonzero(inner)):
            raise ValueError("tree arrays contain a cycle")  # sklearn numbers children after parents
        return self
