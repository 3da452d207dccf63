"""Model bundles: a directory with safetensors weights and validated JSON. Nothing pickled.

Layout of a model directory::

    model.json           # format tag and version, estimator parameters, featurizer spec,
                         # architecture, target names and scalers, calibration, training summary
    weights.safetensors  # every ensemble member's tensors (+ packed training fingerprints)
    metrics.json         # optional: test-set metrics written by ``molpred train``

Loading reads JSON and safetensors only, so it executes no code from the files. Any
problem (missing, truncated, tampered, other version) raises :class:`ModelFileError` with a
one-line message.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
from pathlib import Path

import numpy as np

from molpred import __version__
from molpred.exceptions import ModelFileError
from molpred.types import PathType

__all__ = ["save", "load", "read_model_json", "FORMAT", "FORMAT_VERSION"]

FORMAT = "molpred-model"
FORMAT_VERSION = 1
CONFIG_FILE = "model.json"
WEIGHTS_FILE = "weights.safetensors"
_REQUIRED = {
    "format": str, "format_version": int, "molpred_version": str, "estimator": str, "task": str,
    "params": dict, "featurizer": dict, "standardize": dict, "model_spec": dict,
    "target_names": list, "scaler": dict, "weights": dict,
}


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file, read in 1 MiB blocks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _json_default(obj):
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    raise TypeError(f"cannot store {type(obj).__name__} in model.json")


def save(estimator, path: PathType, metrics: dict | None = None) -> Path:
    """Write a fitted estimator to the directory ``path`` (created if needed).

    Parameters
    ----------
    estimator : MolPropertyRegressor or MolPropertyClassifier
        A fitted estimator.
    path : str or Path
        Target directory; existing model files in it are replaced.
    metrics : dict, optional
        Extra metrics to write to ``metrics.json``.

    Returns
    -------
    Path
        The model directory.
    """
    from safetensors.torch import save_file

    estimator._check_fitted()
    out = Path(path)
    out.mkdir(parents=True, exist_ok=True)
    import torch

    from molpred.learners import is_learner
    from molpred.learners.stack import STACK_ARCH

    tensors = {}
    learner_cfgs = stack_cfg = None
    if estimator.spec_.arch == STACK_ARCH:  # model="auto": one sub-bundle per member
        from molpred.learners.stack_files import save_stack_members

        stack_cfg = save_stack_members(estimator, out)
    elif is_learner(estimator.spec_.arch):  # kernel/tree learners: plain arrays + a JSON dict each
        learner_cfgs = []
        for i, learner in enumerate(estimator.members_):
            for key, arr in learner.state_arrays().items():
                tensors[f"learner{i}.{key}"] = torch.from_numpy(np.ascontiguousarray(arr))
            learner_cfgs.append(learner.config_dict())
    else:
        for i, member in enumerate(estimator.members_):
            for key, value in member.state_dict().items():
                tensors[f"member{i}.{key}"] = value.detach().cpu().contiguous()
    domain_cfg = None
    if estimator.domain_ is not None:
        for key, arr in estimator.domain_.state_arrays().items():
            tensors[f"domain.{key}"] = torch.from_numpy(np.ascontiguousarray(arr))
        domain_cfg = estimator.domain_.config_dict()
    weights = out / WEIGHTS_FILE
    save_file(tensors, str(weights), metadata={"format": FORMAT})
    config = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "molpred_version": __version__,
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "estimator": type(estimator).__name__,
        "task": estimator._task,
        "params": estimator.get_params(deep=False),
        "featurizer": estimator.featurizer_.spec(),
        "standardize": estimator.std_config_.to_dict(),
        "model_spec": estimator.spec_.to_dict(),
        "target_names": list(estimator.target_names_),
        "scaler": estimator.scaler_.to_dict(),
        "var_scaler": estimator.var_scaler_.to_dict() if estimator.var_scaler_ is not None else None,
        "conformal": estimator.conformal_.to_dict() if estimator.conformal_ is not None else None,
        "prob_calibrator": _state_or_none(getattr(estimator, "prob_calibrator_", None)),
        "conformal_sets": ([c.to_dict() for c in estimator.set_predictors_]
                           if getattr(estimator, "set_predictors_", None) is not None else None),
        "domain": domain_cfg,
        "learners": learner_cfgs,
        "stack": stack_cfg,
        "train_summary": estimator.train_summary_,
        "val_metrics": estimator.val_metrics_,
        "training": [{k: v for k, v in h.items() if k != "history"} for h in estimator.training_],
        "weights": {"file": WEIGHTS_FILE, "sha256": sha256_file(weights), "n_members": len(estimator.members_)},
    }
    (out / CONFIG_FILE).write_text(json.dumps(config, indent=2, default=_json_default))
    if metrics is not None:
        (out / "metrics.json").write_text(json.dumps(metrics, indent=2, default=_json_default))
    return out


def _state_or_none(obj) -> dict | None:
    return obj.to_dict() if obj is not None else None


def read_tagged_json(path: Path, format_tag: str, what: str) -> dict:
    """Parse a molpred JSON file and check its ``format`` tag.

    Raises
    ------
    ModelFileError
        Invalid JSON, not an object, or another ``format`` than ``format_tag`` (``what`` names
        the kind of file in the message).
    """
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelFileError(f"{path}: not valid JSON (truncated or edited?): {exc}") from None
    if not isinstance(config, dict) or config.get("format") != format_tag:
        raise ModelFileError(f"{path}: not a molpred {what} file (format tag missing)")
    return config


def read_model_json(path: PathType) -> dict:
    """Read and validate ``model.json`` of a model directory (no weights are loaded).

    Raises
    ------
    ModelFileError
        Not a directory, no ``model.json``, invalid JSON, wrong format, a newer format
        version, or missing/mistyped fields.
    """
    d = Path(path)
    if not d.exists():
        raise ModelFileError(f"{d}: no such model directory")
    if not d.is_dir():
        raise ModelFileError(f"{d}: a model is a directory (with {CONFIG_FILE} and {WEIGHTS_FILE}), not a file")
    cfg_path = d / CONFIG_FILE
    if not cfg_path.exists():
        raise ModelFileError(f"{d}: no {CONFIG_FILE}; not a molpred model directory")
    config = read_tagged_json(cfg_path, FORMAT, "model")
    for key, typ in _REQUIRED.items():
        if key not in config:
            raise ModelFileError(f"{cfg_path}: missing field {key!r}")
        if not isinstance(config[key], typ):
            raise ModelFileError(f"{cfg_path}: field {key!r} should be {typ.__name__}")
    if config["format_version"] > FORMAT_VERSION:
        raise ModelFileError(
            f"{cfg_path}: model format {config['format_version']} was written by molpred "
            f"{config['molpred_version']}; this molpred ({__version__}) reads format <= {FORMAT_VERSION}: upgrade molpred"
        )
    if config["task"] not in ("regression", "classification"):
        raise ModelFileError(f"{cfg_path}: unknown task {config['task']!r}")
    return config


def _load_tensors(d: Path, config: dict) -> dict:
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    wcfg = config["weights"]
    weights = d / str(wcfg.get("file", WEIGHTS_FILE))
    if weights.parent != d or not weights.exists():
        raise ModelFileError(f"{d}: weights file {weights.name} is missing")
    if wcfg.get("sha256") != sha256_file(weights):
        raise ModelFileError(f"{weights}: checksum does not match model.json (file truncated or tampered with)")
    try:
        return load_file(str(weights))
    except (SafetensorError, OSError, ValueError) as exc:
        raise ModelFileError(f"{weights}: unreadable safetensors file: {exc}") from None


def _load_learners(d: Path, config: dict, tensors: dict) -> list:
    """Kernel/tree learners from their arrays and JSON dicts."""
    from molpred.learners import learner_from_state

    cfgs = config.get("learners")
    if not isinstance(cfgs, list) or len(cfgs) != int(config["weights"].get("n_members", -1)):
        raise ModelFileError(f"{d}/{CONFIG_FILE}: learner settings missing or do not match the weights")
    members = []
    for i, cfg in enumerate(cfgs):
        prefix = f"learner{i}."
        arrays = {k[len(prefix):]: v.numpy() for k, v in tensors.items() if k.startswith(prefix)}
        try:
            members.append(learner_from_state(arrays, cfg))
        except (TypeError, ValueError, KeyError, AttributeError) as exc:
            raise ModelFileError(f"{d}: learner {i} cannot be rebuilt from its files: {exc}") from None
    return members


def load(path: PathType):
    """Load a model directory written by :func:`save` (or ``molpred train``).

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    MolPropertyRegressor or MolPropertyClassifier
        Ready to predict.

    Raises
    ------
    ModelFileError
        Anything wrong with the files; the message says what.
    """
    from molpred.chem.standardize import StandardizeConfig
    from molpred.data.scaler import TargetScaler
    from molpred.estimators import MolPropertyClassifier, MolPropertyRegressor
    from molpred.featurize.registry import featurizer_from_spec
    from molpred.learners import is_learner
    from molpred.learners.stack import STACK_ARCH
    from molpred.nn.model import ModelSpec, build_model

    d = Path(path)
    config = read_model_json(d)
    classes = {"MolPropertyRegressor": MolPropertyRegressor, "MolPropertyClassifier": MolPropertyClassifier}
    if config["estimator"] not in classes:
        raise ModelFileError(f"{d}: unknown estimator {config['estimator']!r}")
    try:
        est = classes[config["estimator"]](**config["params"])
        featurizer = featurizer_from_spec(config["featurizer"])
        spec = ModelSpec.from_dict(config["model_spec"])
        if (spec.d_atom, spec.d_bond, spec.d_mol) != (featurizer.d_atom, featurizer.d_bond,
                                                      getattr(featurizer, "d_mol", 0)):
            raise ModelFileError(f"{d}: network input width does not match its featurizer")
        scaler = TargetScaler.from_dict(config["scaler"])
    except ModelFileError:
        raise
    except (TypeError, ValueError, KeyError) as exc:
        raise ModelFileError(f"{d}/{CONFIG_FILE}: invalid settings: {exc}") from None
    tensors = _load_tensors(d, config)
    members = []
    if spec.arch == STACK_ARCH:
        from molpred.learners.stack_files import load_stack_members

        members = load_stack_members(est, d, config)
    elif is_learner(spec.arch):
        members = _load_learners(d, config, tensors)
    for i in range(0 if members else int(config["weights"].get("n_members", 0))):
        prefix = f"member{i}."
        state = {k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)}
        net = build_model(spec)
        try:
            net.load_state_dict(state, strict=True)
        except RuntimeError as exc:
            first = str(exc).splitlines()[0]
            raise ModelFileError(f"{d}: weights do not fit the architecture in model.json: {first}") from None
        members.append(net.eval())
    if not members:
        raise ModelFileError(f"{d}: model has no ensemble members")
    est.members_ = members
    est.featurizer_ = featurizer
    est.spec_ = spec
    est.std_config_ = StandardizeConfig.from_dict(config["standardize"])
    est.scaler_ = scaler
    est.n_tasks_ = spec.n_tasks
    est.target_names_ = [str(t) for t in config["target_names"]]
    est.train_summary_ = config.get("train_summary")
    est.val_metrics_ = config.get("val_metrics")
    est.training_ = config.get("training") or []
    est.var_scaler_ = est.conformal_ = est.domain_ = None
    est.prob_calibrator_ = est.set_predictors_ = None
    try:
        if config.get("var_scaler"):
            from molpred.uncertainty.calibration import VarianceScaler

            est.var_scaler_ = VarianceScaler.from_dict(config["var_scaler"])
        if config.get("conformal"):
            from molpred.uncertainty.conformal import ConformalRegressor

            est.conformal_ = ConformalRegressor.from_dict(config["conformal"])
        if config.get("prob_calibrator"):
            from molpred.uncertainty.calibration import ProbabilityCalibrator

            est.prob_calibrator_ = ProbabilityCalibrator.from_dict(config["prob_calibrator"])
        if config.get("conformal_sets"):
            from molpred.uncertainty.conformal_sets import ConformalClassifier

            est.set_predictors_ = [ConformalClassifier.from_dict(c) for c in config["conformal_sets"]]
            if len(est.set_predictors_) != spec.n_tasks:
                raise ModelFileError(f"{d}: {len(est.set_predictors_)} conformal set predictors for "
                                     f"{spec.n_tasks} outputs")
        if config.get("domain"):
            from molpred.uncertainty.domain import ApplicabilityDomain

            arrays = {k[len("domain."):]: v.numpy() for k, v in tensors.items() if k.startswith("domain.")}
            est.domain_ = ApplicabilityDomain.from_state(arrays, config["domain"])
    except (TypeError, ValueError, KeyError) as exc:
        raise ModelFileError(f"{d}/{CONFIG_FILE}: invalid calibration or domain data: {exc}") from None
    if len(est.target_names_) != spec.n_tasks:
        raise ModelFileError(f"{d}: {len(est.target_names_)} target names for {spec.n_tasks} outputs")
    return est
