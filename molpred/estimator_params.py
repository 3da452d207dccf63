"""Checks of the estimators' constructor settings (run by ``fit``, and by ``tune`` before a study).

Kept apart from :mod:`molpred.estimators` so the public classes stay readable: every rule that
refuses a combination of settings lives here, with the message the user sees.
"""

from __future__ import annotations

__all__ = ["UNCERTAINTY_METHODS", "list_models", "check_model_name", "check_params"]

UNCERTAINTY_METHODS = (None, "ensemble", "dropout", "mve")


def list_models() -> list[str]:
    """Every ``model=`` name: graph/fingerprint networks, kernel/tree learners and the ``auto`` stack."""
    from molpred.learners import LEARNERS
    from molpred.learners.stack import STACK_ARCH
    from molpred.nn.model import ARCHITECTURES

    return sorted([*ARCHITECTURES, *LEARNERS, STACK_ARCH])


def check_model_name(name: str) -> str:
    """Return ``name`` if known, else raise ``ValueError`` with a did-you-mean hint."""
    import difflib

    known = list_models()
    if name not in known:
        close = difflib.get_close_matches(str(name), known, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise ValueError(f"unknown model {name!r}{hint} (known: {', '.join(known)})")
    return name


def check_params(est) -> None:
    """Raise ``ValueError`` (with the reason) for settings of ``est`` that cannot work together.

    Parameters
    ----------
    est : MolPropertyRegressor or MolPropertyClassifier
        An estimator as constructed (nothing fitted is read).
    """
    from molpred.data.duplicates import check_duplicate_policy

    check_model_name(est.model)
    check_duplicate_policy(est.duplicates)
    if est.model == "auto":
        from molpred.learners.stack_members import check_stack_params

        check_stack_params(est)
    from molpred.learners import build_learner, is_learner, learner_settings

    settings = learner_settings(est)  # raises for another learner's settings
    if is_learner(est.model):
        build_learner(est.model, est._task, est.seed, est.kernel, settings)  # raises for unsupported ones
        if est.uncertainty is not None or est.ensemble != 1:
            raise ValueError(f"model {est.model!r} takes no uncertainty/ensemble setting "
                             "(model='gp' gives a standard deviation by itest)")
    from molpred.featurize.molecule_features import check_feature_names

    feature_names = check_feature_names(est.features)
    if feature_names and is_learner(est.model):
        raise ValueError(f"model {est.model!r} takes no molecule features; features= is for the networks "
                         "(dmpnn, gine, attentivefp, mlp)")
    if "morgan_count" in feature_names and est.model == "mlp":
        raise ValueError("model 'mlp' already reads Morgan counts; use features=['rdkit2d']")
    from molpred.train.losses import LOSSES

    if est.loss not in LOSSES:
        raise ValueError(f"loss must be one of {LOSSES}, got {est.loss!r}")
    if est.loss != "mse" and est._task != "regression":
        raise ValueError("loss is a regression setting; classifiers use cross-entropy")
    if est.loss != "mse" and est.uncertainty == "mve":
        raise ValueError("uncertainty='mve' trains with its own Gaussian likelihood; use loss='mse'")
    _check_cliff(est, is_learner(est.model))
    if est.class_weight not in (None, "balanced"):
        raise ValueError(f"class_weight must be None or 'balanced', got {est.class_weight!r}")
    if est.class_weight is not None and est._task != "classification":
        raise ValueError("class_weight is for classifiers; use sample_weight for regression")
    if is_learner(est.model) and (est.loss != "mse" or est.class_weight is not None):
        raise ValueError(f"model {est.model!r} does not take loss or class_weight settings")
    if est.uncertainty not in UNCERTAINTY_METHODS:
        raise ValueError(f"uncertainty must be one of {UNCERTAINTY_METHODS}, got {est.uncertainty!r}")
    if est.uncertainty == "ensemble" and est.ensemble < 2:
        raise ValueError("uncertainty='ensemble' needs ensemble >= 2")
    if est.uncertainty == "mve" and est._task != "regression":
        raise ValueError("uncertainty='mve' is for regression only")
    if not 0.0 < est.coverage < 1.0:
        raise ValueError(f"coverage must be in (0, 1), got {est.coverage}")
    if est.ensemble < 1 or est.epochs < 1 or est.batch_size < 1:
        raise ValueError("ensemble, epochs and batch_size must be positive")
    if not (isinstance(est.warmup_epochs, int | float) and est.warmup_epochs >= 0):
        raise ValueError(f"warmup_epochs must be a number >= 0, got {est.warmup_epochs!r}")
    if not (isinstance(est.grad_clip, int | float) and est.grad_clip >= 0):
        raise ValueError(f"grad_clip must be a number >= 0 (0 = no clipping), got {est.grad_clip!r}")
    if not 0.0 <= est.val_fraction < 1.0:
        raise ValueError(f"val_fraction must be in [0, 1), got {est.val_fraction}")
    if not 0.0 <= est.calibration_fraction < 0.5:
        raise ValueError(f"calibration_fraction must be in [0, 0.5), got {est.calibration_fraction}")
    from molpred.train.calibrating import CALIBRATION_SPLITS
    from molpred.uncertainty._arrays import check_choice
    from molpred.uncertainty.calibration import CALIBRATION_METHODS, SCALING_METHODS
    from molpred.uncertainty.conformal import DIFFICULTIES

    check_choice(est.calibration_split, CALIBRATION_SPLITS, "calibration_split")
    check_choice(est.variance_scaling, SCALING_METHODS, "variance_scaling")
    check_choice(est.conformal_difficulty, ("auto", *DIFFICULTIES), "conformal_difficulty")
    if ("std" in est.conformal_difficulty and est.uncertainty is None and est._task == "regression"
            and est.model != "auto"):
        raise ValueError(f"conformal_difficulty={est.conformal_difficulty!r} needs a std: set uncertainty")
    if "distance" in est.conformal_difficulty and not est.applicability_domain:
        raise ValueError(f"conformal_difficulty={est.conformal_difficulty!r} needs applicability_domain=True")
    if est.probability_calibration is not None:
        check_choice(est.probability_calibration, CALIBRATION_METHODS, "probability_calibration")


def _check_cliff(est, learner: bool) -> None:
    """The activity-cliff term: a regression network setting with ``0 <= lower <= upper``."""
    weight = getattr(est, "cliff_weight", 0.0)
    if not isinstance(weight, int | float) or weight < 0:
        raise ValueError(f"cliff_weight must be a number >= 0, got {weight!r}")
    if not weight:
        return
    if est._task != "regression":
        raise ValueError("cliff_weight is a regression setting (the triplets are built from label differences)")
    if learner or est.model == "auto":
        raise ValueError(f"model {est.model!r} does not take cliff_weight; it trains the graph and "
                         "fingerprint networks (dmpnn, gine, attentivefp, mlp)")
    lower, upper = est.cliff_lower, est.cliff_upper
    if not (isinstance(lower, int | float) and isinstance(upper, int | float) and 0 <= lower <= upper):
        raise ValueError(f"cliff_lower and cliff_upper need 0 <= cliff_lower <= cliff_upper, got {lower!r}, {upper!r}")
