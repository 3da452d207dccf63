"""Files of a ``model="auto"`` stack: one sub-bundle per member plus the weights in ``model.json``.

Layout inside the stack's model directory::

    model.json                 # the stack: params, composite featurizer, calibration, domain,
                               # and "stack": members (name, sub-directory, sha256 of its
                               # model.json), weights (n_members x n_targets), CV scores
    weights.safetensors        # the stack's own arrays (applicability-domain fingerprints)
    members/0-gp-minmax/       # a complete molpred model directory per member
    members/1-mlp/

Each member directory is a normal molpred model (``molpred.load`` reads it alone). Loading
checks every member against the hash recorded in the stack's ``model.json``, that its
directory name is the one recorded (no path leaves the model directory), that its task,
targets, standardisation and featurizer agree with the stack, and that the weights are
finite, non-negative and sum to 1 per target.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np

from molpred.exceptions import ModelFileError

__all__ = ["MEMBERS_DIR", "save_stack_members", "load_stack_members"]

MEMBERS_DIR = "members"
_MEMBER_DIR = re.compile(r"^\d+-[a-z0-9-]+$")


def save_stack_members(est, out: Path) -> dict:
    """Write every member as ``members/<i>-<name>/``; return the ``"stack"`` entry of ``model.json``."""
    from molpred.io import CONFIG_FILE, save, sha256_file

    root = out / MEMBERS_DIR
    wanted = {f"{i}-{name}" for i, name in enumerate(est.stack_members_)}
    if root.is_dir():  # members of an earlier save at this path that this stack does not have
        for old in root.iterdir():
            if old.name not in wanted and _MEMBER_DIR.match(old.name) and (old / CONFIG_FILE).exists():
                shutil.rmtree(old)
    entries = []
    for i, (name, sub) in enumerate(zip(est.stack_members_, est.members_)):
        rel = f"{MEMBERS_DIR}/{i}-{name}"
        save(sub, out / rel)
        entries.append({"name": name, "dir": rel, "sha256": sha256_file(out / rel / CONFIG_FILE)})
    return {"members": entries, "weights": np.asarray(est.stack_weights_).tolist(), "cv_scores": est.cv_scores_}


def load_stack_members(est, d: Path, config: dict) -> list:
    """Load and check the members of the stack in directory ``d``; sets ``stack_*_`` and ``cv_scores_`` on ``est``.

    Raises
    ------
    ModelFileError
        Missing or inconsistent stack entry, a member directory that is missing, altered or
        does not match the stack.
    """
    from molpred.featurize.registry import featurizer_from_spec
    from molpred.io import CONFIG_FILE, load, sha256_file
    from molpred.learners.stack_members import parse_member

    where = f"{d}/{CONFIG_FILE}"
    stack = config.get("stack")
    if not isinstance(stack, dict) or not isinstance(stack.get("members"), list) or not stack["members"]:
        raise ModelFileError(f"{where}: a model='auto' file needs a 'stack' entry listing its members")
    entries = stack["members"]
    n_tasks = int(config["model_spec"].get("n_tasks", -1))
    try:
        weights = np.asarray(stack.get("weights"), dtype=np.float64)
    except (TypeError, ValueError):
        raise ModelFileError(f"{where}: stack weights are not numbers") from None
    if weights.shape != (len(entries), n_tasks):
        raise ModelFileError(f"{where}: stack weights should be {len(entries)} x {n_tasks}, got {weights.shape}")
    if not np.isfinite(weights).all() or (weights < 0).any() or not np.allclose(weights.sum(axis=0), 1.0):
        raise ModelFileError(f"{where}: stack weights must be finite, non-negative and sum to 1 per target")
    composite = featurizer_from_spec(config["featurizer"])
    members, names = [], []
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise ModelFileError(f"{where}: stack member {i} is not an object")
        try:
            spec = parse_member(entry.get("name"))
        except ValueError as exc:
            raise ModelFileError(f"{where}: {exc}") from None
        rel = f"{MEMBERS_DIR}/{i}-{spec.name}"
        if entry.get("dir") != rel or entry.get("name") != spec.name:
            raise ModelFileError(f"{where}: stack member {i} should live in {rel}, the file says {entry.get('dir')!r}")
        sub_dir = d / rel
        if not (sub_dir / CONFIG_FILE).is_file():
            raise ModelFileError(f"{d}: stack member directory {rel} is missing")
        if entry.get("sha256") != sha256_file(sub_dir / CONFIG_FILE):
            raise ModelFileError(f"{sub_dir / CONFIG_FILE}: checksum does not match the stack's model.json "
                                 "(file truncated or tampered with)")
        sub = load(sub_dir)
        if sub._task != config["task"] or sub.n_tasks_ != n_tasks or sub.model != spec.model:
            raise ModelFileError(f"{sub_dir}: member does not match the stack (task, targets or model)")
        if sub.std_config_.to_dict() != config["standardize"]:
            raise ModelFileError(f"{sub_dir}: member standardises molecules differently from the stack")
        try:
            part = composite.part(sub.featurizer_.name)
        except KeyError as exc:
            raise ModelFileError(f"{sub_dir}: {exc.args[0]}") from None
        if part.spec() != sub.featurizer_.spec():
            raise ModelFileError(f"{sub_dir}: member featurizer differs from the stack's")
        members.append(sub)
        names.append(spec.name)
    est.stack_members_ = names
    est.stack_weights_ = weights
    est.cv_scores_ = stack.get("cv_scores") or {}
    return members
