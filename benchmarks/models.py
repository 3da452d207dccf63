"""The models a benchmark can run, by name: molpred architectures and their peers.

Every entry builds an object with ``fit(smiles, y, smiles_val=None, y_val=None)`` and
``predict(smiles) -> n x n_targets`` (class-1 scores for classification; NaN where a molecule
could not be used). A peer whose package is not installed is reported as unavailable with the
reason and skipped by the runner, never replaced by something else.

=================  =======================================================================
name               what runs
=================  =======================================================================
svm                Tanimoto-kernel SVR/SVC on ECFP4 1024 bits (scikit-learn), C/epsilon by CV
rf                 random forest on ECFP4 (scikit-learn)
knn                Tanimoto k-NN (scikit-learn), k by CV
chemprop           Chemprop v2 D-MPNN as its users run it: ``chemprop train`` / ``chemprop
                   predict`` subprocesses with every CLI default (``chemprop_cli_peer.py``)
chemprop-meanagg-  ablation, not Chemprop's defaults: Chemprop v2 through its Python API with
nobn               mean aggregation and no batch norm, mirroring molpred's D-MPNN
                   (``chemprop_peer.py``; the ``chemprop`` rows recorded before 2026-12-01)
deepchem           DeepChem ``MultitaskRegressor``/``MultitaskClassifier`` on
                   ``CircularFingerprint`` (radius 2, 1024 bits), torch backend
molpred-auto       ``model="auto"``: cross-validated stack of gp-minmax, svr-minmax and mlp
                   (``-kernels``: ablation, the stack of the four kernel learners only;
                   ``-multi``: gp-multi, svr-multi and mlp)
molpred-dmpnn ...  ``molpred.MolPropertyRegressor``/``Classifier(model=...)`` with its defaults
molpred-dmpnn-feat D-MPNN with ``features=["morgan_count", "rdkit2d"]`` (molecule-level vectors
                   at the readout); ``molpred-mlp-feat``: the MLP with ``features=["rdkit2d"]``
molpred-svr ...    the same estimators with molpred's kernel/tree learners (``svr``, ``gp``, ``rf``);
                   ``molpred-svr-minmax``/``-gp-minmax``: MinMax kernel on ECFP4 counts;
                   ``-multi``: mean MinMax kernel of ECFP4, atom-pair and torsion counts
molpred-dmpnn-     D-MPNN fine-tuned from the shipped ``molpred-base`` encoder (``-frozen``:
base               encoder frozen)
molpred-dmpnn-mt   D-MPNN fine-tuned from a multi-task D-MPNN trained on all 30 MoleculeACE
                   training splits, test molecules removed (``multitask_transfer.py``)
=================  =======================================================================
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

__all__ = ["ModelEntry", "MODELS", "DEFAULT_MODELS", "QUICK_MODELS", "get_model", "MolpredModel", "DeepChemPeer"]

MOLPRED_ARCHS = ("dmpnn", "gine", "attentivefp", "mlp", "svr", "gp", "rf")  # the last three: molpred.learners


class MolpredModel:
    """molpred's public estimators, configured only through their constructor.

    Parameters
    ----------
    arch : {"dmpnn", "gine", "attentivefp", "mlp"}
    task_type : {"regression", "classification"}
    seed : int
    epochs : int, optional
        ``None`` keeps the estimator's default.
    standardize : bool
        molpred's default standardisation (largest fragment, neutralised charges). ``False``
        reads the SMILES as given, as the peers do (the ``-nostd`` entries: an ablation).
    params : dict, optional
        Further estimator parameters (e.g. ``{"kernel": "minmax"}``, ``{"pretrained": "molpred-base"}``).
    """

    def __init__(self, arch: str, task_type: str, seed: int = 0, epochs: int | None = None,
                 standardize: bool = True, params: dict | None = None):
        self.arch = arch
        self.task_type = task_type
        self.seed = seed
        self.epochs = epochs
        self.standardize = standardize
        self.params = dict(params or {})

    def fit(self, smiles, y, smiles_val=None, y_val=None) -> MolpredModel:
        from molpred.estimators import MolPropertyClassifier, MolPropertyRegressor

        cls = MolPropertyRegressor if self.task_type == "regression" else MolPropertyClassifier
        # calibration_fraction=0: accuracy benchmarks score point predictions only, so a
        # calibration hold-out would only take 10% of the training data away (and break the
        # like-for-like comparison with the peers and with results made before it existed)
        # pretrained=None: an entry starts from scratch unless it names its encoder (molpred-dmpnn-base)
        kwargs = {"model": self.arch, "seed": self.seed, "device": "cpu", "progress": False,
                  "standardize": self.standardize, "calibration_fraction": 0.0, "pretrained": None, **self.params}
        if self.epochs is not None:
            kwargs["epochs"] = self.epochs
        self.estimator_ = cls(**kwargs)
        if smiles_val is not None and len(smiles_val):
            self.estimator_.fit(list(smiles), y, X_val=list(smiles_val), y_val=y_val)
        else:  # the estimator holds out val_fraction of the training data itself
            self.estimator_.fit(list(smiles), y)
        return self

    def predict(self, smiles) -> np.ndarray:
        est = self.estimator_
        if self.task_type == "regression":
            p = np.asarray(est.predict(list(smiles)), dtype=np.float64)
        else:
            p = np.asarray(est.predict_proba(list(smiles)), dtype=np.float64)
            p = p[:, 1:] if est.n_tasks_ == 1 else p
        return p.reshape(len(smiles), -1)


class DeepChemPeer:
    """DeepChem's fully connected multitask network on ECFP4 (torch backend, no TensorFlow).

    One hidden layer of 1000, dropout 0.25, batch 64, a fixed 50 epochs (DeepChem's models do
    no early stopping of their own); labels missing per target get weight 0.
    """

    def __init__(self, task_type: str, seed: int = 0, epochs: int = 50):
        self.task_type = task_type
        self.seed = seed
        self.epochs = epochs

    def _features(self, smiles):
        import deepchem as dc

        X = dc.feat.CircularFingerprint(radius=2, size=1024).featurize(list(smiles))
        ok = np.array([getattr(x, "shape", None) == (1024,) for x in X])
        return np.stack([x if k else np.zeros(1024) for x, k in zip(X, ok)]).astype(np.float32), ok

    def fit(self, smiles, y, smiles_val=None, y_val=None) -> DeepChemPeer:
        import deepchem as dc
        import torch

        torch.manual_seed(self.seed)
        X, ok = self._features(smiles)
        X, y = X[ok], y[ok]
        w = (~np.isnan(y)).astype(np.float32)
        dataset = dc.data.NumpyDataset(X, np.nan_to_num(y), w)
        n_tasks = y.shape[1]
        common = dict(layer_sizes=[1000], dropouts=0.25, batch_size=64, learning_rate=1e-3)
        if self.task_type == "regression":
            self.mean_, self.std_ = np.nanmean(y, 0), np.nanstd(y, 0) + 1e-8
            dataset = dc.data.NumpyDataset(X, np.nan_to_num((y - self.mean_) / self.std_), w)
            self.model_ = dc.models.MultitaskRegressor(n_tasks, 1024, **common)
        else:
            self.model_ = dc.models.MultitaskClassifier(n_tasks, 1024, **common)
        self.model_.fit(dataset, nb_epoch=self.epochs)
        self.n_tasks_ = n_tasks
        return self

    def predict(self, smiles) -> np.ndarray:
        import deepchem as dc

        X, ok = self._features(smiles)
        out = np.full((len(smiles), self.n_tasks_), np.nan)
        if ok.any():
            # the classifier's batch generator one-hot encodes y even when predicting
            dummy = np.zeros((int(ok.sum()), self.n_tasks_), dtype=np.float32)
            p = self.model_.predict(dc.data.NumpyDataset(X[ok], dummy))
            if self.task_type == "regression":
                out[ok] = p.reshape(ok.sum(), self.n_tasks_) * self.std_ + self.mean_
            else:
                out[ok] = p.reshape(ok.sum(), self.n_tasks_, 2)[:, :, 1]
        return out


def _module_available(module: str) -> tuple[bool, str]:
    import importlib

    try:
        mod = importlib.import_module(module)
    except ImportError as exc:
        return False, f"{module} not installed ({exc})"
    return True, getattr(mod, "__version__", "?")


def _chemprop_available() -> tuple[bool, str]:
    from benchmarks.chemprop_peer import chemprop_available

    return chemprop_available()


def _deepchem_available() -> tuple[bool, str]:
    import logging
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        logging.disable(logging.WARNING)
        try:
            return _module_available("deepchem")
        finally:
            logging.disable(logging.NOTSET)


@dataclass(frozen=True)
class ModelEntry:
    """A runnable model: how to build it and how to tell whether it can run here.

    Attributes
    ----------
    name : str
    family : str
        ``"molpred"`` or ``"peer"``.
    build : callable
        ``build(task_type, seed, epochs) -> model``; ``epochs`` (None = default) only matters
        to neural models.
    available : callable
        ``() -> (bool, version or reason)``.
    """

    name: str
    family: str
    build: Callable
    available: Callable[[], tuple[bool, str]]


def _fp_builder(cls_name: str):
    def build(task_type, seed, epochs):
        from benchmarks import fingerprint_peers

        return getattr(fingerprint_peers, cls_name)(task_type, seed)

    return build


def _chemprop_cli_available() -> tuple[bool, str]:
    from benchmarks.chemprop_cli_peer import chemprop_cli_available

    return chemprop_cli_available()


def _chemprop_build(task_type, seed, epochs):
    from benchmarks.chemprop_cli_peer import ChempropCLIPeer

    return ChempropCLIPeer(task_type, seed, epochs=epochs)


def _chemprop_meanagg_build(task_type, seed, epochs):
    from benchmarks.chemprop_peer import ChempropPeer

    return ChempropPeer(task_type, seed, epochs=epochs or 50)


def _molpred_builder(arch: str, standardize: bool = True, **params):
    def build(task_type, seed, epochs):
        return MolpredModel(arch, task_type, seed, epochs, standardize=standardize, params=params)

    return build


def _tuned_builder(name: str, **params):
    def build(task_type, seed, epochs):
        from benchmarks.tuned import TunedMolpredModel

        return TunedMolpredModel(name.split("-")[0], task_type, seed, epochs, params=params)

    return build


MODELS: dict[str, ModelEntry] = {
    "svm": ModelEntry("svm", "peer", _fp_builder("SVMPeer"), lambda: _module_available("sklearn")),
    "rf": ModelEntry("rf", "peer", _fp_builder("RFPeer"), lambda: _module_available("sklearn")),
    "knn": ModelEntry("knn", "peer", _fp_builder("KNNPeer"), lambda: _module_available("sklearn")),
    "chemprop": ModelEntry("chemprop", "peer", _chemprop_build, _chemprop_cli_available),
    # ablation: mean aggregation, no batch norm (molpred's D-MPNN settings), not the CLI's defaults
    "chemprop-meanagg-nobn": ModelEntry("chemprop-meanagg-nobn", "peer", _chemprop_meanagg_build,
                                        _chemprop_available),
    "deepchem": ModelEntry("deepchem", "peer", lambda t, s, e: DeepChemPeer(t, s, epochs=e or 50),
                           _deepchem_available),
    **{f"molpred-{a}": ModelEntry(f"molpred-{a}", "molpred", _molpred_builder(a),
                                  lambda: _module_available("molpred")) for a in MOLPRED_ARCHS},
    # ablation: SMILES as given (charges and salts kept), the input every peer sees
    **{f"molpred-{a}-nostd": ModelEntry(f"molpred-{a}-nostd", "molpred", _molpred_builder(a, standardize=False),
                                        lambda: _module_available("molpred")) for a in MOLPRED_ARCHS},
    # kernel learners with the MinMax kernel on ECFP4 counts instead of Tanimoto on bits
    **{f"molpred-{a}-minmax": ModelEntry(f"molpred-{a}-minmax", "molpred", _molpred_builder(a, kernel="minmax"),
                                         lambda: _module_available("molpred")) for a in ("svr", "gp")},
    # kernel learners with the mean MinMax kernel of ECFP4, atom-pair and torsion counts
    **{f"molpred-{a}-multi": ModelEntry(f"molpred-{a}-multi", "molpred", _molpred_builder(a, kernel="multi"),
                                        lambda: _module_available("molpred")) for a in ("svr", "gp")},
    # model="auto" (issue 18 item 4): CV stack of gp-minmax, svr-minmax and the fingerprint MLP
    "molpred-auto": ModelEntry("molpred-auto", "molpred", _molpred_builder("auto"),
                               lambda: _module_available("molpred")),
    # ablation: the stack without the MLP (kernel learners only: a few CPU seconds per small target)
    "molpred-auto-kernels": ModelEntry(
        "molpred-auto-kernels", "molpred",
        _molpred_builder("auto", members=("gp-minmax", "svr-minmax", "gp-tanimoto", "svr-tanimoto")),
        lambda: _module_available("molpred")),
    # the default stack with the multi-fingerprint kernel learners in place of the MinMax ones
    "molpred-auto-multi": ModelEntry("molpred-auto-multi", "molpred",
                                     _molpred_builder("auto", members=("gp-multi", "svr-multi", "mlp")),
                                     lambda: _module_available("molpred")),
    # transfer learning (issue 17): D-MPNN fine-tuned from the shipped molpred-base encoder
    "molpred-dmpnn-base": ModelEntry("molpred-dmpnn-base", "molpred",
                                     _molpred_builder("dmpnn", pretrained="molpred-base"),
                                     lambda: _module_available("molpred")),
    # activity-cliff triplet term (issue 18, item 6) on the fine-tuned D-MPNN, ACANet's two example weights
    "molpred-dmpnn-base-cliff": ModelEntry("molpred-dmpnn-base-cliff", "molpred",
                                           _molpred_builder("dmpnn", pretrained="molpred-base", cliff_weight=0.1),
                                           lambda: _module_available("molpred")),
    "molpred-dmpnn-base-cliff1": ModelEntry("molpred-dmpnn-base-cliff1", "molpred",
                                            _molpred_builder("dmpnn", pretrained="molpred-base", cliff_weight=1.0),
                                            lambda: _module_available("molpred")),
    # molecule-level features beside the graph (issue 18, item 1): count Morgan + RDKit 2D at the readout
    "molpred-dmpnn-feat": ModelEntry("molpred-dmpnn-feat", "molpred",
                                     _molpred_builder("dmpnn", features=["morgan_count", "rdkit2d"]),
                                     lambda: _module_available("molpred")),
    # the fingerprint MLP with the RDKit 2D descriptors appended to its Morgan counts
    "molpred-mlp-feat": ModelEntry("molpred-mlp-feat", "molpred", _molpred_builder("mlp", features=["rdkit2d"]),
                                   lambda: _module_available("molpred")),
    "molpred-dmpnn-base-frozen": ModelEntry(
        "molpred-dmpnn-base-frozen", "molpred",
        _molpred_builder("dmpnn", pretrained="molpred-base", freeze_encoder=True),
        lambda: _module_available("molpred")),
    # hyperparameters searched by CV inside the training data (benchmarks/tuned.py, molpred.tuning)
    **{f"molpred-{a}-tuned": ModelEntry(f"molpred-{a}-tuned", "molpred", _tuned_builder(a, **p),
                                        lambda: _module_available("optuna"))
       for a, p in (("gp-minmax", {"kernel": "minmax"}), ("svr-minmax", {"kernel": "minmax"}), ("mlp", {}),
                    ("dmpnn", {}))},
}


def _multitask_build(task_type, seed, epochs):
    from benchmarks.multitask_transfer import source_model

    return MolpredModel("dmpnn", task_type, seed, epochs, params={"init_from": str(source_model(seed))})


# transfer across targets (issue 17, item 4): D-MPNN fine-tuned from a multi-task D-MPNN trained on
# the 30 MoleculeACE training splits with every test molecule of every target removed
MODELS["molpred-dmpnn-mt"] = ModelEntry("molpred-dmpnn-mt", "molpred", _multitask_build,
                                        lambda: _module_available("molpred"))
DEFAULT_MODELS = ("svm", "rf", "knn", "molpred-mlp", "molpred-dmpnn")
QUICK_MODELS = ("svm", "molpred-mlp", "molpred-dmpnn")


def get_model(name: str) -> ModelEntry:
    """Return the model entry ``name`` (``"dmpnn"`` is accepted for ``"molpred-dmpnn"``).

    Raises
    ------
    KeyError
        Unknown name, with a did-you-mean suggestion.
    """
    key = name.strip().lower()
    if key in MODELS:
        return MODELS[key]
    if f"molpred-{key}" in MODELS:
        return MODELS[f"molpred-{key}"]
    close = difflib.get_close_matches(key, list(MODELS), n=3)
    hint = f"; did you mean {', '.join(map(repr, close))}?" if close else ""
    raise KeyError(f"unknown model {name!r}{hint} (known: {', '.join(MODELS)})")
