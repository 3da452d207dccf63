"""Kernel and tree learners on fingerprints, usable as ``MolPropertyRegressor(model="svr")``.

=====  ==========================================================  ======================
name   learner                                                     tasks
=====  ==========================================================  ======================
svr    Tanimoto-kernel SVR on ECFP4 (C, epsilon by 5-fold CV)      regression
gp     Tanimoto-kernel Gaussian process (gives a predictive std)   regression
rf     random forest on ECFP4, 500 trees                           regression, classification
=====  ==========================================================  ======================

``model="auto"`` (:mod:`molpred.learners.stack`) stacks these learners and the networks
with non-negative weights summing to 1, chosen by cross-validation on the training data.

Each learner has ``fit(X, y)``, ``predict(X) -> (mean, std or None)``, ``oof_predict()``
(out-of-fold predictions for calibration, right after ``fit``), ``free()`` (drop what
``oof_predict`` needed) and ``state_arrays()``/``config_dict()``/
``from_state()`` for safetensors + JSON files.
"""

from __future__ import annotations

from molpred.learners.forest import FingerprintForest
from molpred.learners.kernel import TanimotoGP, TanimotoSVR

__all__ = ["FingerprintForest", "TanimotoGP", "TanimotoSVR", "LEARNERS", "LEARNER_FEATURIZER", "KERNEL_FEATURIZERS",
           "learner_featurizer", "build_learner", "learner_settings", "LEARNER_PARAMS", "learner_from_state", "is_learner"]

LEARNERS = {"svr": TanimotoSVR, "gp": TanimotoGP, "rf": FingerprintForest}
LEARNER_FEATURIZER = "morgan_bits"
KERNEL_FEATURIZERS = {"tanimoto": "morgan_bits", "minmax": "morgan_raw_counts", "multi": "multi_raw_counts"}
# each learner's own estimator parameters (None on the estimator: the learner's default)
LEARNER_PARAMS = {"svr": ("C", "epsilon"), "gp": ("alpha",), "rf": ("n_estimators", "max_depth", "max_features")}


def learner_featurizer(name: str, kernel: str = "tanimoto") -> str:
    """Featurizer name for learner ``name`` (kernel learners: by ``kernel``; rf: bits)."""
    return KERNEL_FEATURIZERS[kernel] if name in ("svr", "gp") else LEARNER_FEATURIZER


def is_learner(name: str) -> bool:
    return name in LEARNERS


def learner_settings(est) -> dict:
    """The learner settings an estimator sets (not ``None``), checked against its ``model``.

    Raises
    ------
    ValueError
        A setting of another learner (``C`` with ``model="rf"``) or outside its range.
    """
    values = {k: getattr(est, k, None) for names in LEARNER_PARAMS.values() for k in names}
    given = {k: v for k, v in values.items() if v is not None}
    own = LEARNER_PARAMS.get(est.model, ())
    stray = sorted(k for k in given if k not in own)
    if stray:
        users = {k: m for m, names in LEARNER_PARAMS.items() for k in names}
        raise ValueError(", ".join(f"{k} is a setting of model={users[k]!r}" for k in stray)
                         + f", not of model={est.model!r}")
    for k, v in given.items():
        if k == "max_features" and not 0.0 < float(v) <= 1.0:
            raise ValueError(f"max_features must be in (0, 1], got {v}")
        if k != "max_features" and not float(v) > 0:
            raise ValueError(f"{k} must be positive, got {v}")
    return given


def build_learner(name: str, task: str, seed: int, kernel: str = "tanimoto", settings: dict | None = None):
    """A new, unfitted learner ``name`` for ``task`` (``kernel`` for svr and gp).

    ``settings`` are the learner's own parameters (:data:`LEARNER_PARAMS`, from
    :func:`learner_settings`).

    Raises
    ------
    ValueError
        The learner does not do ``task`` (e.g. ``svr`` for classification).
    """
    settings = dict(settings or {})
    cls = LEARNERS[name]
    if task not in cls.tasks:
        options = ", ".join(sorted(k for k, c in LEARNERS.items() if task in c.tasks))
        raise ValueError(f"model {name!r} does not do {task}; for {task} use a graph model or {options}")
    if kernel not in KERNEL_FEATURIZERS:
        raise ValueError(f"kernel must be one of {tuple(KERNEL_FEATURIZERS)}, got {kernel!r}")
    if name == "rf":
        if kernel != "tanimoto":
            raise ValueError("kernel is a setting of svr and gp; rf splits on fingerprint bits")
        return cls(task=task, seed=seed, **settings)
    return cls(seed=seed, kernel=kernel, **settings)


def learner_from_state(arrays: dict, config: dict):
    """Rebuild a fitted learner from its arrays and JSON dict (no code is run from the files)."""
    name = config.get("learner")
    if name not in LEARNERS:
        raise ValueError(f"unknown learner {name!r}")
    return LEARNERS[name].from_state(arrays, config)
