"""The sklearn-style public API: ``MolPropertyRegressor`` and ``MolPropertyClassifier``.

Examples
--------
>>> from molpred import MolPropertyRegressor
>>> model = MolPropertyRegressor(model="dmpnn", epochs=30).fit(smiles, y)  # doctest: +SKIP
>>> model.predict(["CCO", "c1ccccc1O"])  # doctest: +SKIP
>>> model.predict_frame(["CCO", "not a smiles"])  # one row per input, with status/error  # doctest: +SKIP
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin

from molpred.chem.standardize import StandardizeConfig
from molpred.estimator_params import check_params, list_models
from molpred.exceptions import NotFittedError
from molpred.inputs import as_smiles

__all__ = ["MolPropertyRegressor", "MolPropertyClassifier", "list_models"]

class _MolEstimator(BaseEstimator):
    """Shared fitting and prediction logic; see the two public subclasses.

    Parameters
    ----------
    model : {"dmpnn", "gine", "attentivefp", "mlp", "svr", "gp", "rf", "auto"}
        Architecture (``molpred list models``). ``svr`` (Tanimoto-kernel SVR), ``gp``
        (Tanimoto Gaussian process, gives ``return_std``) and ``rf`` (random forest, also a
        classifier) work on binary ECFP4 and ignore the network and training settings; they
        calibrate on out-of-fold predictions instead of holding rows out
        (:mod:`molpred.learners.fitting`). ``auto`` stacks the candidates in
        ``members`` with non-negative weights summing to 1, chosen by ``cv_folds``-fold
        cross-validation inside the training data (:mod:`molpred.learners.stack`); fitted,
        it reports ``stack_members_``, ``stack_weights_`` (``n_members x n_tasks``) and
        ``cv_scores_``.
    hidden_size, depth : int, optional
        Encoder width and depth; ``None`` takes the architecture's default.
    dropout : float
    ffn_hidden_size, ffn_layers : int
        Head width and number of layers.
    readout : {"mean", "sum", "attention"}, optional
        Graph readout for D-MPNN and GINE (default mean).
    features : list of str, optional
        Molecule-level features concatenated to the graph embedding after the readout, before
        the head (``molpred list features``): ``"morgan_count"`` (``log1p`` Morgan counts,
        radius 2, 2,048 bits) and ``"rdkit2d"`` (202 RDKit 2D descriptors, median-imputed,
        robustly scaled on the training molecules and clipped). Computed once per molecule;
        the settings and scaling are saved with the model. For ``mlp``, ``["rdkit2d"]`` appends
        the descriptors to its fingerprint. See :mod:`molpred.featurize.molecule_features`.
    epochs, batch_size, lr, patience : training settings (see :class:`molpred.train.TrainConfig`).
    warmup_epochs : float
        Epochs of linear learning-rate warm-up from ``lr / 10`` to ``lr`` (default 2, Chemprop's),
        followed by exponential decay to ``lr / 10`` at the last epoch. A value above
        ``epochs`` leaves the rate rising for the whole run (MolPAL's later code trains its MPN
        that way).
    grad_clip : float
        Gradient-norm clip of the networks (default 10; 0 = none, as MolPAL's MPN trains).
    val_fraction : float
        Fraction of the training data held out (seeded, random) for early stopping when
        ``fit`` gets no ``X_val``.
    calibration_fraction : float
        Fraction of the training data held out, before training and apart from the
        early-stopping set, to calibrate on: variance scaling and conformal intervals
        (regression), probability calibration and conformal prediction sets
        (classification). Calibrating on the early-stopping molecules would make intervals
        optimistic. ``0`` calibrates on the validation set instead (as molpred did before);
        so does a training set too small for 10 calibration molecules (with a warning).
        See :mod:`molpred.train.calibrating`.
    calibration_split : {"random", "scaffold", "cluster"}
        How the calibration set is drawn; use the strategy of your test split (intervals
        for new scaffolds should be calibrated on held-out scaffolds). ``molpred train``
        passes its ``--split`` when it is scaffold or cluster.
    variance_scaling : {"median", "mean"}
        How the predicted std is rescaled on the calibration set: ``"median"`` (robust:
        ``median(|z|) / 0.6745``) or ``"mean"`` (``sqrt(mean(z^2))``, dominated by a few
        points on small sets). See :class:`molpred.uncertainty.VarianceScaler`.
    conformal_difficulty : {"auto", "none", "std", "distance", "std+distance"}
        What scales each conformal interval (regression): the calibrated std, the distance
        to the training set ``1 - max_sim_train``, both, or nothing (constant width).
        ``"auto"`` uses both when available (``uncertainty`` set, ``applicability_domain``
        on). See :class:`molpred.uncertainty.ConformalRegressor`.
    probability_calibration : {"platt", "isotonic", None}
        Recalibration of classifier probabilities on the calibration set.
    ensemble : int
        Number of independently seeded networks.
    uncertainty : {None, "ensemble", "dropout", "mve"}
        How predictions get a standard deviation. ``"ensemble"`` needs ``ensemble >= 2``;
        ``"dropout"`` uses MC dropout (``mc_samples`` passes); ``"mve"`` a mean-variance head.
    mc_samples : int
    coverage : float
        Nominal coverage of conformal intervals (regression) and prediction sets.
    applicability_domain : bool
        Keep packed training fingerprints in the model for ``max_sim_train``/``in_domain``.
    standardize : bool
        Run MolStandardize cleanup/parent/neutralise (parsing always happens).
    tautomer : bool
        Canonicalise tautomers too.
    max_heavy_atoms : int, optional
        Refuse (status ``unsupported``) molecules with more heavy atoms; ``None`` scores them
        all (the domain columns flag the unusual ones). ``150`` restores the old limit.
    require_carbon : bool
        Refuse molecules without carbon (inorganic), as molpred did before; off by default.
    duplicates : {"merge", "keep", "error"}
        Training rows that standardise to the same molecule: ``"merge"`` trains on one row
        per molecule (mean label for regression, majority for classification, NaN on a tie),
        ``"keep"`` keeps every row, ``"error"`` refuses the data. The counts and label
        conflicts are in ``train_summary_["duplicates"]``. Whatever the policy, the
        validation hold-out never shares a molecule with training.
    kernel : {"tanimoto", "minmax", "multi"}
        Similarity of ``svr`` and ``gp``: Tanimoto on ECFP4 bits (the MoleculeACE SVM),
        MinMax on ECFP4 counts, or the mean of the MinMax kernels of ECFP4, atom-pair and
        topological-torsion counts (2,048 each).
    C, epsilon : float, optional
        ``svr`` only: fixed SVR settings (``None``: chosen by 5-fold CV on a grid).
    alpha : float, optional
        ``gp`` only: fixed noise variance of the standardised targets (``None``: by marginal likelihood).
    n_estimators, max_depth, max_features : optional
        ``rf`` only: trees (default 500), depth limit (default none), share of bits per split
        (default a third, or the square root of the bits for classification).
    loss : {"mse", "mae", "huber", "censored"}
        Regression loss (:mod:`molpred.train.losses`). ``"censored"`` also lets labels be
        qualified text such as ``">10 uM"`` or ``"<5"`` (:func:`molpred.inputs.parse_qualified`):
        a bound is only penalised when the prediction falls on its wrong side.
    cliff_weight : float
        Networks, regression: weight of an activity-cliff triplet term on the molecule
        embeddings (after ACANet; :func:`molpred.train.losses.cliff_triplet_loss`) added to
        ``loss``; 0 (default) trains without it. ACANet used 0.1 to 1.
    cliff_lower, cliff_upper : float
        Its label thresholds in target units: molecules within ``cliff_lower`` of each other
        are pulled together in the embedding, molecules ``cliff_upper`` or more apart (an
        activity cliff when they look alike) pushed apart. Defaults 0.2 and 1.0 (a 10-fold
        potency step for pKi/pIC50 labels).
    class_weight : {None, "balanced"}
        Classification: weight each target's classes inversely to their frequency in the
        training rows (``n / (2 n_class)``), on top of any ``sample_weight``.
    seed : int
    device : str
        ``"auto"`` (CUDA with mixed precision when present), ``"cpu"`` or ``"cuda"``.
    progress : bool
        Progress bars.
    pretrained : str or path, optional
        Start the encoder from a pretrained bundle: a shipped name (``"molpred-base"``,
        ``molpred list pretrained``) or a directory written by ``molpred pretrain``. The
        architecture, sizes and featurizer must match (``ModelFileError`` otherwise);
        ``hidden_size``/``depth`` left at ``None`` take the bundle's. ``"auto"`` (default)
        fine-tunes ``molpred-base`` for a ``dmpnn`` of its sizes on at most 5,000 training
        molecules, where it was measured to help, and starts from scratch otherwise
        (:func:`molpred.pretrain.finetune.choose_start`; the choice and its reason are in
        ``train_summary_``); ``None`` always starts from scratch.
    freeze_encoder : bool or int
        ``True`` keeps the encoder fixed (only the head trains); an integer ``k`` freezes it for
        the first ``k`` epochs, then fine-tunes everything.
    encoder_lr_ratio : float, optional
        Encoder learning rate relative to ``lr``; default 0.1 when starting from ``pretrained``
        or ``init_from``, else 1.
    init_from : path, optional
        Start the encoder from another molpred model directory (e.g. trained on a related
        target); same checks as ``pretrained``. The head starts fresh.
    members : sequence of str, optional
        ``model="auto"``: the candidates (``"gp-minmax"``, ``"svr-minmax"``, ``"mlp"``,
        ``"gine"``...); ``None`` = ``("gp-minmax", "svr-minmax", "mlp")`` for regression,
        ``("rf", "mlp")`` for classification. Network members use this estimator's network
        and training settings.
    cv_folds : int
        ``model="auto"``: folds of the stacking cross-validation.
    """

    _task = "regression"

    def __init__(
        self,
        model: str = "dmpnn",
        hidden_size: int | None = None,
        depth: int | None = None,
        dropout: float = 0.0,
        ffn_hidden_size: int = 300,
        ffn_layers: int = 2,
        readout: str | None = None,
        features: list[str] | None = None,
        epochs: int = 50,
        batch_size: int = 64,
        lr: float = 1e-3,
        warmup_epochs: float = 2.0,
        grad_clip: float = 10.0,
        patience: int = 15,
        val_fraction: float = 0.1,
        calibration_fraction: float = 0.1,
        calibration_split: str = "random",
        variance_scaling: str = "median",
        conformal_difficulty: str = "auto",
        probability_calibration: str | None = "platt",
        ensemble: int = 1,
        uncertainty: str | None = None,
        mc_samples: int = 20,
        coverage: float = 0.9,
        applicability_domain: bool = True,
        standardize: bool = True,
        tautomer: bool = False,
        max_heavy_atoms: int | None = None,
        require_carbon: bool = False,
        duplicates: str = "merge",
        kernel: str = "tanimoto",
        C: float | None = None,
        epsilon: float | None = None,
        alpha: float | None = None,
        n_estimators: int | None = None,
        max_depth: int | None = None,
        max_features: float | None = None,
        loss: str = "mse",
        cliff_weight: float = 0.0,
        cliff_lower: float = 0.2,
        cliff_upper: float = 1.0,
        class_weight: str | None = None,
        seed: int = 0,
        device: str = "auto",
        progress: bool = False,
        pretrained: str | None = "auto",
        freeze_encoder: bool | int = False,
        encoder_lr_ratio: float | None = None,
        init_from: str | None = None,
        members: tuple[str, ...] | None = None,
        cv_folds: int = 5,
    ):
        self.model = model
        self.hidden_size = hidden_size
        self.depth = depth
        self.dropout = dropout
        self.ffn_hidden_size = ffn_hidden_size
        self.ffn_layers = ffn_layers
        self.readout = readout
        self.features = features
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.warmup_epochs = warmup_epochs
        self.grad_clip = grad_clip
        self.patience = patience
        self.val_fraction = val_fraction
        self.calibration_fraction = calibration_fraction
        self.calibration_split = calibration_split
        self.variance_scaling = variance_scaling
        self.conformal_difficulty = conformal_difficulty
        self.probability_calibration = probability_calibration
        self.ensemble = ensemble
        self.uncertainty = uncertainty
        self.mc_samples = mc_samples
        self.coverage = coverage
        self.applicability_domain = applicability_domain
        self.standardize = standardize
        self.tautomer = tautomer
        self.max_heavy_atoms = max_heavy_atoms
        self.require_carbon = require_carbon
        self.duplicates = duplicates
        self.kernel = kernel
        self.C = C
        self.epsilon = epsilon
        self.alpha = alpha
        self.n_estimators = n_estimators
        self.max_depth = max_depth
        self.max_features = max_features
        self.loss = loss
        self.cliff_weight = cliff_weight
        self.cliff_lower = cliff_lower
        self.cliff_upper = cliff_upper
        self.class_weight = class_weight
        self.seed = seed
        self.device = device
        self.progress = progress
        self.pretrained = pretrained
        self.freeze_encoder = freeze_encoder
        self.encoder_lr_ratio = encoder_lr_ratio
        self.init_from = init_from
        self.members = members
        self.cv_folds = cv_folds

    # ------------------------------------------------------------------ configuration
    def _standardize_config(self) -> StandardizeConfig:
        on = bool(self.standardize)
        return StandardizeConfig(cleanup=on, parent_fragment=on, neutralize=on, tautomer=bool(self.tautomer),
                                 max_heavy_atoms=self.max_heavy_atoms, require_carbon=bool(self.require_carbon))

    def _check_params(self) -> None:
        check_params(self)

    def _model_spec(self, featurizer, n_tasks: int):
        from molpred.nn.model import ARCHITECTURES, ModelSpec
        from molpred.pretrain.finetune import encoder_defaults

        defaults = {**ARCHITECTURES[self.model][1], **encoder_defaults(self)}
        dropout = self.dropout
        if self.uncertainty == "dropout" and dropout == 0.0:
            dropout = 0.1  # MC dropout needs dropout
        return ModelSpec(
            arch=self.model,
            d_atom=featurizer.d_atom,
            d_bond=featurizer.d_bond,
            n_tasks=n_tasks,
            hidden=self.hidden_size or defaults["hidden"],
            depth=self.depth or defaults["depth"],
            readout="none" if defaults["readout"] == "none" else (self.readout or defaults["readout"]),
            dropout=dropout,
            ffn_hidden=self.ffn_hidden_size,
            ffn_layers=self.ffn_layers,
            mve=self.uncertainty == "mve",
            d_mol=getattr(featurizer, "d_mol", 0),
        )

    # ------------------------------------------------------------------ fitting
    def fit(self, X, y=None, *, X_val=None, y_val=None, sample_weight=None, on_epoch=None):
        """Featurise once, then train ``ensemble`` networks with early stopping.

        Parameters
        ----------
        X : sequence of str, pandas.Series/DataFrame, or deepchem.data.Dataset
            Training SMILES (a DeepChem dataset supplies SMILES as ``ids``, labels as ``y``
            and its weights ``w`` as sample weights; weight 0 means missing).
        y : array-like, optional
            ``n`` or ``n x n_tasks`` labels, NaN for missing; a DataFrame/Series names the
            targets. With ``loss="censored"`` labels may be qualified text (``">10 uM"``).
            Not needed with a DeepChem dataset.
        X_val, y_val : optional
            Validation data for early stopping; otherwise ``val_fraction`` of ``X`` is held
            out. Calibration uses its own held-out part of ``X`` either way
            (``calibration_fraction``).
        sample_weight : array-like, optional
            ``n`` (every target) or ``n x n_tasks`` non-negative weights of the training rows.
        on_epoch : callable, optional
            Networks: called after every epoch with a dict (``epoch``, ``train_loss``,
            ``val_score`` (-RMSE or ROC-AUC), ``member``); raising in it stops the fit.

        Returns
        -------
        self
            With ``fit_positions_``: a dict mapping ``"train"``, ``"calibration"`` and (when
            held out of ``X``) ``"validation"`` to the positions in ``X`` of the rows used for
            each role (disjoint; rows that could not be used appear in none).

        Raises
        ------
        ValueError
            Bad parameters, labels that are not numbers, or no usable molecule.
        """
        from molpred.inputs import fit_arguments
        from molpred.train.fitting import fit_estimator

        self._check_params()
        smiles, y_arr, names, val, weight, qual = fit_arguments(self, X, y, X_val, y_val, sample_weight)
        fit_estimator(self, smiles, y_arr, names, val, weight=weight, qual=qual, on_epoch=on_epoch)
        return self

    # ------------------------------------------------------------------ prediction
    def _check_fitted(self) -> None:
        if not hasattr(self, "members_"):
            raise NotFittedError(f"this {type(self).__name__} is not fitted yet; call fit() or molpred.load()")

    def _predict_raw(self, X):
        """Featurise ``X`` and return (FeaturizedSet, mean ``n_ok x t``, std ``n_ok x t`` or None)."""
        from molpred.predict import predict_featurized

        self._check_fitted()
        return predict_featurized(self, as_smiles(X))

    def _scatter(self, fs, values: np.ndarray | None) -> np.ndarray | None:
        """Place per-valid-row values back into ``n_inputs x t`` with NaN for failed rows."""
        if values is None:
            return None
        out = np.full((len(fs), self.n_tasks_), np.nan)
        out[fs.index] = values
        return out

    def _squeeze(self, a: np.ndarray | None) -> np.ndarray | None:
        return a[:, 0] if a is not None and self.n_tasks_ == 1 else a

    def predict_frame(self, X, coverage: float | None = None) -> pd.DataFrame:
        """One row per input, in input order, with status and error.

        Columns: ``smiles`` (input), ``smiles_std`` (standardised), one column per target
        (calibrated probability of class 1 for classifiers), and when available
        ``<target>_std``, ``<target>_lo``/``<target>_hi`` (regression: conformal interval at
        ``coverage``), ``<target>_set`` (classification: conformal prediction set at
        ``coverage``, written ``"{0}"``, ``"{1}"``, ``"{0,1}"`` or ``"{}"``),
        ``max_sim_train``, ``mean_sim_knn``, ``in_domain``; then ``status`` and ``error``.
        """
        from molpred.predict import prediction_frame

        self._check_fitted()
        return prediction_frame(self, as_smiles(X), coverage or self.coverage)

    def tune(self, X, y, **kwargs):
        """Search this estimator's hyperparameters by CV on ``(X, y)``; see :func:`molpred.tuning.tune`.

        Returns a :class:`molpred.tuning.TuneResult` whose ``estimator`` is a new, fitted
        estimator with the best parameters (this one is left unchanged).
        """
        from molpred.tuning import tune

        return tune(self, X, y, **kwargs)

    def save(self, path) -> None:
        """Write the model directory (safetensors weights + validated JSON). See ``molpred.load``."""
        from molpred.io import save

        save(self, path)


class MolPropertyRegressor(RegressorMixin, _MolEstimator):
    """Graph-network regressor from SMILES (pKi, pIC50, solubility, logD...).

    Targets are standardised on the training split; predictions come back in original units.
    See :class:`_MolEstimator` for the parameters.
    """

    _task = "regression"

    def predict(self, X, return_std: bool = False):
        """Predictions in original units.

        Parameters
        ----------
        X : sequence of str or DataFrame
        return_std : bool
            Also return the calibrated standard deviation (needs ``uncertainty``).

        Returns
        -------
        mean : numpy.ndarray
            ``n`` (one target) or ``n x n_tasks``; NaN for molecules that failed.
        std : numpy.ndarray
            Same shape, only when ``return_std``.
        """
        fs, mean, std = self._predict_raw(X)
        mean_full = self._squeeze(self._scatter(fs, mean))
        if not return_std:
            return mean_full
        if std is None:
            raise ValueError("this model has no uncertainty; fit it with uncertainty='ensemble'|'dropout'|'mve' "
                             "(or use model='gp')")
        return mean_full, self._squeeze(self._scatter(fs, std))


class MolPropertyClassifier(ClassifierMixin, _MolEstimator):
    """Graph-network binary classifier from SMILES (one or several 0/1 targets).

    See :class:`_MolEstimator` for the parameters.
    """

    _task = "classification"

    def predict_proba(self, X) -> np.ndarray:
        """Probabilities (recalibrated on the calibration set unless ``probability_calibration=None``).

        Returns
        -------
        numpy.ndarray
            ``n x 2`` (classes 0, 1) for one target, as scikit-learn does; ``n x n_tasks``
            probabilities of class 1 for several targets. NaN rows for failed molecules.
        """
        fs, p, _ = self._predict_raw(X)
        full = self._scatter(fs, p)
        if self.n_tasks_ == 1:
            return np.column_stack([1.0 - full[:, 0], full[:, 0]])
        return full

    def predict(self, X) -> np.ndarray:
        """Class labels (0/1) with threshold 0.5; ``-1`` for molecules that failed."""
        fs, p, _ = self._predict_raw(X)
        full = self._scatter(fs, p)
        labels = np.where(np.isnan(full), -1, (full >= 0.5).astype(int))
        return self._squeeze(labels)

    @property
    def classes_(self) -> np.ndarray:
        return np.array([0, 1])
