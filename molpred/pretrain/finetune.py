"""Starting a property model from a pretrained encoder or another model, and freezing it.

Used by :func:`molpred.train.fitting.fit_estimator`. The "encoder" here is a network's
``encoder`` and ``readout`` (everything before the task head); the head always starts fresh,
since its targets differ.
"""

from __future__ import annotations

from pathlib import Path

from molpred.exceptions import ModelFileError

__all__ = ["AUTO", "AUTO_BUNDLE", "AUTO_MAX_MOLECULES", "choose_start", "encoder_defaults", "init_encoder",
           "freeze_epochs", "encoder_lr_ratio", "encoder_parameters"]

AUTO = "auto"
AUTO_BUNDLE = "molpred-base"
# pretrained="auto" fine-tunes up to this many training molecules: measured to help on sets of
# 100-3,360 (ESOL, FreeSolv, Lipophilicity, 3 of 4 small TDC classification sets, the 30 MoleculeACE
# targets: benchmarks/results/pretrain_moleculenet_admet.md, pretrain_moleculeace.md); not measured above
AUTO_MAX_MOLECULES = 5000


def choose_start(est, featurizer, n_train: int) -> tuple[str | None, str]:
    """The encoder ``est`` starts from this fit, and why.

    ``pretrained="auto"`` (the default) fine-tunes the shipped ``molpred-base`` when it fits:
    the same architecture and graph featurizer, ``hidden_size``/``depth``/``readout`` unset or
    equal to the bundle's, no ``init_from``, and at most :data:`AUTO_MAX_MOLECULES` training
    molecules (the small sets where pretraining was measured to help); otherwise the network
    starts from scratch. Any other value is used as given.

    Parameters
    ----------
    est : MolPropertyRegressor or MolPropertyClassifier
    featurizer : graph featurizer of the network (without molecule features)
    n_train : int
        Training molecules (after de-duplication and hold-outs).

    Returns
    -------
    tuple
        ``(pretrained, reason)``: the bundle name or directory, or ``None`` for a fresh encoder.
    """
    pretrained = getattr(est, "pretrained", None)
    if pretrained != AUTO:
        return pretrained, "given" if pretrained is not None else "pretrained=None"
    if getattr(est, "init_from", None) is not None:
        return None, "init_from given"
    if n_train > AUTO_MAX_MOLECULES:
        return None, f"{n_train} training molecules (auto fine-tunes up to {AUTO_MAX_MOLECULES})"
    from molpred.pretrain.bundle import read_encoder_json, resolve_pretrained

    try:
        config = read_encoder_json(resolve_pretrained(AUTO_BUNDLE))
    except (ValueError, ModelFileError) as exc:
        return None, f"{AUTO_BUNDLE} unavailable: {exc}"
    enc = config["encoder_spec"]
    if enc.get("arch") != est.model:
        return None, f"no shipped encoder for model {est.model!r} ({AUTO_BUNDLE} is {enc.get('arch')!r})"
    if config["featurizer"] != featurizer.spec():
        return None, f"featurizer {featurizer.spec()} differs from {AUTO_BUNDLE}'s"
    for name, key in (("hidden_size", "hidden"), ("depth", "depth"), ("readout", "readout")):
        value = getattr(est, name, None)
        if value is not None and value != enc.get(key):
            return None, f"{name}={value!r} differs from {AUTO_BUNDLE}'s {enc.get(key)!r}"
    return AUTO_BUNDLE, f"{n_train} training molecules (auto fine-tunes up to {AUTO_MAX_MOLECULES})"


def _source(est) -> tuple[str, object] | None:
    # a fitting estimator has resolved "auto" (choose_start) into pretrained_
    pretrained = getattr(est, "pretrained_", getattr(est, "pretrained", None))
    if pretrained == AUTO:
        pretrained = None
    init_from = getattr(est, "init_from", None)
    if pretrained is not None and init_from is not None:
        raise ValueError("give either pretrained= or init_from=, not both")
    if pretrained is not None:
        return "pretrained", pretrained
    if init_from is not None:
        return "init_from", init_from
    return None


def encoder_defaults(est) -> dict:
    """Encoder ``hidden``/``depth``/``readout`` of the starting point (empty without one).

    A model fine-tuned from a bundle takes its sizes when ``hidden_size``/``depth`` are left
    at ``None``; explicit different sizes fail later with a clear error.
    """
    src = _source(est)
    if src is None:
        return {}
    kind, where = src
    if kind == "pretrained":
        from molpred.pretrain.bundle import read_encoder_json, resolve_pretrained

        enc = read_encoder_json(resolve_pretrained(where))["encoder_spec"]
    else:
        from molpred.io import read_model_json

        enc = read_model_json(where)["model_spec"]
    return {k: enc[k] for k in ("hidden", "depth", "readout") if k in enc}


def init_encoder(est, net, spec, featurizer) -> dict | None:
    """Copy the starting encoder into ``net``; returns provenance for ``train_summary``.

    Raises
    ------
    ModelFileError
        Architecture, sizes or featurizer differ, or the files are damaged.
    """
    src = _source(est)
    if src is None:
        return None
    kind, where = src
    if kind == "pretrained":
        from molpred.pretrain.bundle import load_encoder_into

        cfg = load_encoder_into(net, spec, featurizer, where)
        return {"pretrained": str(where), "sha256": cfg["weights"]["sha256"], "objective": cfg.get("objective"),
                "molecules_seen": (cfg.get("training") or {}).get("molecules_seen")}
    from molpred.io import _load_tensors, read_model_json

    d = Path(where)
    config = read_model_json(d)
    other = config["model_spec"]
    if other.get("arch") != spec.arch:
        raise ModelFileError(f"{d}: init_from model is {other.get('arch')!r}, this model is {spec.arch!r}")
    # the encoder reads the graph only: molecule features (beside it, in the head) may differ
    if {k: v for k, v in config["featurizer"].items() if k != "molecule_features"} != featurizer.spec():
        raise ModelFileError(f"{d}: init_from model uses featurizer {config['featurizer']}, this model uses "
                             f"{featurizer.spec()}")
    for k in ("d_atom", "d_bond", "hidden", "depth", "readout"):
        if other.get(k) != getattr(spec, k):
            raise ModelFileError(f"{d}: init_from model has {k}={other.get(k)!r}, this model has {getattr(spec, k)!r}")
    tensors = _load_tensors(d, config)
    for part in ("encoder", "readout"):
        prefix = f"member0.{part}."
        state = {k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)}
        getattr(net, part).load_state_dict(state, strict=True)
    return {"init_from": str(d), "sha256": config["weights"]["sha256"]}


def freeze_epochs(est) -> int:
    """Epochs with a frozen encoder: ``True`` = all, ``False``/0 = none, ``k`` = the first k."""
    f = getattr(est, "freeze_encoder", False)
    if f is True:
        return int(est.epochs)
    if f is False or f is None:
        return 0
    if int(f) < 0:
        raise ValueError(f"freeze_encoder must be a bool or a number of epochs >= 0, got {f!r}")
    return int(f)


def encoder_lr_ratio(est) -> float:
    """Encoder learning rate / head learning rate (default 0.1 when fine-tuning, else 1)."""
    r = getattr(est, "encoder_lr_ratio", None)
    if r is None:
        return 0.1 if _source(est) is not None else 1.0
    if not r > 0:
        raise ValueError(f"encoder_lr_ratio must be > 0, got {r}")
    return float(r)


def encoder_parameters(model) -> list:
    """Parameters of ``model.encoder`` and ``model.readout``."""
    return list(model.encoder.parameters()) + list(model.readout.parameters())
