"""Encoder bundles: a pretrained encoder (+ readout) as safetensors + validated JSON.

Layout::

    encoder.safetensors  # tensors "encoder.*" and "readout.*" of a MoleculeModel
    encoder.json         # format tag/version, arch and encoder ModelSpec fields, featurizer
                         # spec, standardisation, objective, descriptor names, molecules,
                         # epochs, wall time, sha256 of the weights

A name such as ``"molpred-base"`` resolves to a bundle shipped inside the package
(``molpred/pretrained/<name>/``), so it works offline after ``pip install``.
"""

from __future__ import annotations

import datetime as _dt
import difflib
import json
from pathlib import Path

from molpred.exceptions import ModelFileError
from molpred.io import read_tagged_json, sha256_file
from molpred.types import PathType

__all__ = ["ENCODER_FORMAT", "save_encoder", "read_encoder_json", "resolve_pretrained", "list_pretrained",
           "load_encoder_into", "ENCODER_SPEC_FIELDS"]

ENCODER_FORMAT = "molpred-encoder"
ENCODER_FORMAT_VERSION = 1
ENCODER_JSON = "encoder.json"
ENCODER_WEIGHTS = "encoder.safetensors"
ENCODER_SPEC_FIELDS = ("arch", "d_atom", "d_bond", "hidden", "depth", "readout")
PRETRAINED_DIR = Path(__file__).resolve().parents[1] / "pretrained"


def list_pretrained() -> list[str]:
    """Names of the encoders shipped with this molpred (``molpred list pretrained``)."""
    if not PRETRAINED_DIR.is_dir():
        return []
    return sorted(p.name for p in PRETRAINED_DIR.iterdir() if (p / ENCODER_JSON).exists())


def resolve_pretrained(source: PathType) -> Path:
    """A bundle directory from a shipped name or a path.

    Raises
    ------
    ValueError
        Neither a shipped name nor an existing directory (with a did-you-mean hint).
    """
    p = Path(source)
    if p.is_dir():
        return p
    names = list_pretrained()
    if str(source) in names:
        return PRETRAINED_DIR / str(source)
    close = difflib.get_close_matches(str(source), names, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    raise ValueError(f"unknown pretrained encoder {str(source)!r}{hint} (shipped: {', '.join(names) or 'none'}; "
                     "or give a directory written by `molpred pretrain`)")


def save_encoder(model, spec, featurizer, std_config, out: PathType, info: dict) -> Path:
    """Write the encoder and readout of ``model`` as a bundle in ``out``.

    Parameters
    ----------
    model : MoleculeModel
    spec : ModelSpec
        The pretraining network's spec (its encoder fields are stored).
    featurizer : MolGraphFeaturizer
    std_config : StandardizeConfig
    out : path
    info : dict
        Provenance stored as is (objective, descriptors, molecules, epochs, wall time...).
    """
    from safetensors.torch import save_file

    from molpred import __version__

    d = Path(out)
    d.mkdir(parents=True, exist_ok=True)
    tensors = {}
    for part in ("encoder", "readout"):
        for k, v in getattr(model, part).state_dict().items():
            tensors[f"{part}.{k}"] = v.detach().cpu().contiguous()
    weights = d / ENCODER_WEIGHTS
    save_file(tensors, str(weights), metadata={"format": ENCODER_FORMAT})
    config = {
        "format": ENCODER_FORMAT, "format_version": ENCODER_FORMAT_VERSION, "molpred_version": __version__,
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "encoder_spec": {k: getattr(spec, k) for k in ENCODER_SPEC_FIELDS},
        "featurizer": featurizer.spec(),
        "standardize": std_config.to_dict(),
        **info,
        "weights": {"file": ENCODER_WEIGHTS, "sha256": sha256_file(weights), "bytes": weights.stat().st_size},
    }
    (d / ENCODER_JSON).write_text(json.dumps(config, indent=2))
    return d


def read_encoder_json(path: PathType) -> dict:
    """Read and validate ``encoder.json`` of a bundle directory.

    Raises
    ------
    ModelFileError
        Missing file, invalid JSON, wrong format tag, newer version or missing fields.
    """
    d = Path(path)
    f = d / ENCODER_JSON
    if not f.exists():
        raise ModelFileError(f"{d}: no {ENCODER_JSON}; not a molpred encoder bundle")
    config = read_tagged_json(f, ENCODER_FORMAT, "encoder")
    if int(config.get("format_version", 0)) > ENCODER_FORMAT_VERSION:
        raise ModelFileError(f"{f}: encoder format {config.get('format_version')} is newer than this molpred reads")
    for key in ("encoder_spec", "featurizer", "weights"):
        if not isinstance(config.get(key), dict):
            raise ModelFileError(f"{f}: missing field {key!r}")
    return config


def check_compatible(config: dict, spec, featurizer, where: str) -> None:
    """Raise ``ModelFileError`` when the bundle does not fit ``spec``/``featurizer``."""
    enc = config["encoder_spec"]
    if enc.get("arch") != spec.arch:
        raise ModelFileError(f"{where}: encoder was pretrained as {enc.get('arch')!r}, this model is {spec.arch!r}")
    if config["featurizer"] != featurizer.spec():
        raise ModelFileError(f"{where}: encoder was pretrained with featurizer {config['featurizer']}, "
                             f"this model uses {featurizer.spec()}")
    for k in ENCODER_SPEC_FIELDS[1:]:
        if enc.get(k) != getattr(spec, k):
            raise ModelFileError(f"{where}: encoder has {k}={enc.get(k)!r}, this model has {k}={getattr(spec, k)!r}")


def load_encoder_into(net, spec, featurizer, source: PathType) -> dict:
    """Copy a pretrained encoder (and readout) into ``net`` after validating it.

    Parameters
    ----------
    net : MoleculeModel
        A freshly built network for ``spec``.
    spec : ModelSpec
    featurizer : featurizer the model uses
    source : str or path
        Shipped name (``"molpred-base"``) or bundle directory.

    Returns
    -------
    dict
        The bundle's ``encoder.json``.

    Raises
    ------
    ModelFileError
        Incompatible architecture, widths, featurizer, or damaged files.
    ValueError
        Unknown name.
    """
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    d = resolve_pretrained(source)
    config = read_encoder_json(d)
    check_compatible(config, spec, featurizer, str(d))
    weights = d / str(config["weights"].get("file", ENCODER_WEIGHTS))
    if not weights.exists():
        raise ModelFileError(f"{d}: weights file {weights.name} is missing")
    if config["weights"].get("sha256") != sha256_file(weights):
        raise ModelFileError(f"{weights}: checksum does not match {ENCODER_JSON} (truncated or tampered with)")
    try:
        tensors = load_file(str(weights))
    except (SafetensorError, OSError, ValueError) as exc:
        raise ModelFileError(f"{weights}: unreadable safetensors file: {exc}") from None
    for part in ("encoder", "readout"):
        state = {k[len(part) + 1:]: v for k, v in tensors.items() if k.startswith(part + ".")}
        try:
            getattr(net, part).load_state_dict(state, strict=True)
        except RuntimeError as exc:
            raise ModelFileError(f"{d}: {part} weights do not fit: {str(exc).splitlines()[0]}") from None
    return config
