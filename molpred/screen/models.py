"""The models of a screen: loading, output column names, and the per-chunk prediction table.

The prediction half of the pipeline (graphs -> networks -> columns) runs where the models are:
the local engine's worker processes (models on the CPU) or its main process (a model on a GPU),
or a Ray actor. It uses the same code as
``predict_frame`` (:func:`molpred.predict.member_outputs` and
:func:`molpred.predict.prediction_columns`), so a screened row carries the same numbers as
``molpred predict`` would give it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from molpred.chem.standardize import StandardizeConfig
from molpred.exceptions import MolpredError
from molpred.screen.worker import ChunkPlan, ChunkResult

__all__ = ["ScreenModel", "ModelSet", "load_models"]

BASE_COLUMNS = ("row", "id", "smiles", "smiles_std", "status", "error", "filter_reasons")
NETWORK_BATCH = 128  # molecules per network batch: bounds the forward pass temporaries (~50 MB)
PREDICT_GROUP = 4 * NETWORK_BATCH  # molecules converted to tensors at a time
# bfloat16 on the CPU: pad each batch's atom and edge rows to multiples of this, so oneDNN
# reuses a few kernels instead of building one per batch shape (unpadded, nearly every batch
# had new shapes); padding adds ~3% rows on average and leaves the real graphs' outputs unchanged
BF16_ROW_BUCKET = 512


@dataclass
class ScreenModel:
    """One model of a screen.

    Attributes
    ----------
    label : str
        Short name (directory name, or ``model<i>``), used to prefix clashing columns.
    estimator : MolPropertyRegressor or MolPropertyClassifier
    source : str
        The directory it came from, or ``"<in memory>"``.
    sha256 : str
        Hash of ``model.json`` (which holds the weights' hash) or of the in-memory weights.
    """

    label: str
    estimator: object
    source: str
    sha256: str


def _hash_estimator(est) -> str:
    h = hashlib.sha256()
    _hash_into(h, est)
    return h.hexdigest()


def _hash_into(h, est) -> None:
    """Feed an in-memory model's settings and fitted arrays into ``h``.

    Members are networks (tensors), kernel/tree learners (arrays + JSON) or, in a
    ``model="auto"`` stack, member estimators (hashed the same way, with the stack weights).
    """
    h.update(json.dumps(est.get_params(deep=False), sort_keys=True, default=str).encode())
    h.update(json.dumps(list(est.target_names_)).encode())
    if getattr(est, "stack_weights_", None) is not None:
        h.update(np.ascontiguousarray(est.stack_weights_, dtype=np.float64).tobytes())
    for member in est.members_:
        if hasattr(member, "state_dict"):
            for key, value in sorted(member.state_dict().items()):
                h.update(key.encode())
                h.update(value.detach().cpu().numpy().tobytes())
        elif hasattr(member, "state_arrays"):
            h.update(json.dumps(member.config_dict(), sort_keys=True, default=str).encode())
            for key, arr in sorted(member.state_arrays().items()):
                h.update(key.encode())
                h.update(np.ascontiguousarray(arr).tobytes())
        else:
            _hash_into(h, member)


def load_models(models) -> list[ScreenModel]:
    """Normalise the ``models`` argument of :func:`molpred.screen.screen`.

    Parameters
    ----------
    models : path, estimator, or a sequence (or ``{label: ...}`` mapping) of them

    Raises
    ------
    ModelFileError
        A directory that is not a valid model.
    MolpredError
        No model, an unfitted estimator, or models with different standardisation settings.
    """
    import molpred
    from molpred.io import CONFIG_FILE

    if isinstance(models, dict):
        items = list(models.items())
    else:
        seq = models if isinstance(models, (list, tuple)) else [models]
        items = [(None, m) for m in seq]
    if not items:
        raise MolpredError("screen needs at least one model")
    out, seen = [], set()
    for i, (label, m) in enumerate(items):
        if isinstance(m, (str, Path)):
            d = Path(m)
            est = molpred.load(d)
            source = str(d.resolve())
            sha = hashlib.sha256((d / CONFIG_FILE).read_bytes()).hexdigest()
            label = label or d.resolve().name or f"model{i}"
        else:
            if not hasattr(m, "members_"):
                raise MolpredError(f"model {i} is not fitted (call fit() or molpred.load())")
            est, source, sha = m, "<in memory>", _hash_estimator(m)
            label = label or f"model{i}"
        while label in seen:
            label = f"{label}_{i}"
        seen.add(label)
        out.append(ScreenModel(str(label), est, source, sha))
    configs = {json.dumps(sm.estimator.std_config_.to_dict(), sort_keys=True) for sm in out}
    if len(configs) > 1:
        raise MolpredError(
            "the models standardise molecules differently (e.g. one uses tautomer=True); "
            "screen them separately"
        )
    return out


class ModelSet:
    """Models plus the output columns they produce and how a chunk is predicted.

    Parameters
    ----------
    models : list of ScreenModel
    coverage : float, optional
        Nominal coverage of conformal intervals (default: each model's own ``coverage``).
    precision : {"auto", "fp32", "bf16"}
        Arithmetic of the networks' forward pass (:func:`molpred.inference.device.autocast`).
    """

    def __init__(self, models: list[ScreenModel], coverage: float | None = None, precision: str = "auto"):
        from molpred.inference.device import check_precision, resolve_device

        self.models = models
        self.coverage = coverage
        self.precision = check_precision(precision)  # refused before any work starts
        # bfloat16 on the CPU: network batches padded to a few shapes (see BF16_ROW_BUCKET)
        self._devices = [resolve_device(sm.estimator.device) for sm in models]
        on_cpu = any(d.type == "cpu" for d in self._devices)
        self._bucket = BF16_ROW_BUCKET if self.precision == "bf16" and on_cpu else 0
        self.std_config: StandardizeConfig = models[0].estimator.std_config_
        keys, self.featurizers, self.domains = [], [], []
        self._feat_of, self._dom_of = [], []
        for sm in models:
            est = sm.estimator
            key = json.dumps(est.featurizer_.spec(), sort_keys=True)
            if key not in keys:
                keys.append(key)
                self.featurizers.append(est.featurizer_)
            self._feat_of.append(keys.index(key))
            dom = est.domain_
            if dom is not None:
                spec = (int(dom.radius), int(dom.n_bits))
                if spec not in self.domains:
                    self.domains.append(spec)
                self._dom_of.append(self.domains.index(spec))
            else:
                self._dom_of.append(None)
        raw = [self._raw_columns(i) for i in range(len(models))]
        counts: dict[str, int] = {}
        for cols in raw:
            for c in cols:
                counts[c] = counts.get(c, 0) + 1
        reserved = set(BASE_COLUMNS) | {"score"}
        self.renames = [
            {c: (f"{sm.label}.{c}" if counts[c] > 1 or c in reserved else c) for c in cols}
            for sm, cols in zip(models, raw)
        ]
        self.columns = [self.renames[i][c] for i, cols in enumerate(raw) for c in cols]

    @property
    def on_cpu(self) -> bool:
        """True when every model runs on the CPU (then screen workers predict too)."""
        return all(d.type == "cpu" for d in self._devices)

    def _raw_columns(self, i: int) -> list[str]:
        """Columns model ``i`` produces, found by predicting one probe molecule.

        Asking :func:`molpred.predict.prediction_columns` itself (rather than re-deriving
        which of ``_std``/``_lo``/``_hi``/domain columns a model has) keeps the screen's columns
        equal to ``predict_frame``'s; every chunk is then given exactly these columns.
        """
        from molpred.chem.standardize import to_mol
        from molpred.data.packed import pack_records
        from molpred.predict import member_outputs, prediction_columns

        est = self.models[i].estimator
        mol = to_mol("CC(=O)Nc1ccc(O)cc1", self.std_config)
        mean, std = member_outputs(est, pack_records([est.featurizer_(mol)], est.featurizer_))
        query = [mol] if est.domain_ is not None else None
        cols = prediction_columns(est, mean, std, np.zeros(1, np.int64), 1, self.coverage or est.coverage, query)
        return list(cols)

    def target_columns(self) -> list[str]:
        """The model-output columns that are predictions (first of each model first)."""
        return [self.renames[i][t] for i, sm in enumerate(self.models) for t in sm.estimator.target_names_]

    def z_stats(self) -> dict[str, tuple[float, float]]:
        """``column -> (training label mean, std)`` for regression predictions."""
        out = {}
        for i, sm in enumerate(self.models):
            est = sm.estimator
            if est._task != "regression":
                continue
            for t, name in enumerate(est.target_names_):
                out[self.renames[i][name]] = (float(est.scaler_.mean[t]), float(est.scaler_.std[t]))
        return out

    def plan(self, filters, properties: tuple) -> ChunkPlan:
        """The worker plan for these models."""
        return ChunkPlan(self.std_config, tuple(self.featurizers), filters, tuple(properties), tuple(self.domains))

    def predict(self, result: ChunkResult) -> dict:
        """Model columns (``len(result)`` rows each, NaN/NA where not predicted) for one chunk.

        The packed features of each ``PREDICT_GROUP`` molecules become tensors once; the
        networks see batches of ``NETWORK_BATCH`` cut from them
        (:class:`~molpred.data.batching.GraphBatcher`), shared by the models with the same
        featurizer. Predictions equal :meth:`predict_frame`'s up to float rounding (its
        batches are larger) when ``precision`` is the same (``"auto"`` for ``predict_frame``).
        """
        from molpred.inference.forward import as_batches
        from molpred.learners import LEARNERS
        from molpred.learners.stack import STACK_ARCH
        from molpred.predict import member_outputs, prediction_columns

        n, m = len(result), len(result.ok_index)
        outputs: list[list] = [[] for _ in self.models]
        for lo in range(0, m, PREDICT_GROUP):
            hi = min(lo + PREDICT_GROUP, m)
            data_cache: dict[int, object] = {}
            for i, sm in enumerate(self.models):
                f = self._feat_of[i]
                est = sm.estimator
                if est.spec_.arch in LEARNERS or est.spec_.arch == STACK_ARCH:  # learners and stacks read packed sets
                    data = result.features[f].slice(lo, hi)
                else:
                    if f not in data_cache:
                        data_cache[f] = as_batches(result.features[f].slice(lo, hi), NETWORK_BATCH,
                                                   self._devices[i], self._bucket)
                    data = data_cache[f]
                outputs[i].append(member_outputs(est, data, precision=self.precision))
        cols: dict = {}
        for i, sm in enumerate(self.models):
            est = sm.estimator
            model_cols = {}
            if m:
                mean = np.concatenate([o[0] for o in outputs[i]])
                std = None if outputs[i][0][1] is None else np.concatenate([o[1] for o in outputs[i]])
                d = self._dom_of[i]
                query = result.domain[d] if d is not None else None
                model_cols = prediction_columns(est, mean, std, result.ok_index, n, self.coverage or est.coverage, query)
            for name, new_name in self.renames[i].items():  # the same columns in every chunk
                if name in model_cols:
                    cols[new_name] = model_cols[name]
                elif name == "in_domain":
                    cols[new_name] = pd.array([pd.NA] * n, dtype="boolean")
                else:
                    cols[new_name] = np.full(n, np.nan)
        return cols


def chunk_frame(result: ChunkResult, model_cols: dict, columns: list[str], properties: tuple,
                has_ids: bool, score, hits_in_domain: bool = False) -> pd.DataFrame:
    """The shard table of one chunk: base columns, properties, model columns, score.

    Parameters
    ----------
    result : ChunkResult
    model_cols : dict
        From :meth:`ModelSet.predict`.
    columns : list of str
        Model column order (:attr:`ModelSet.columns`).
    properties : tuple of str
    has_ids : bool
    score : callable
        :class:`~molpred.screen.scoring.ScoreSpec`.
    hits_in_domain : bool
        Leave rows unscored (NaN, so never a hit) unless every ``in_domain`` column is True.
    """
    n = len(result)
    data = {"row": np.arange(result.start, result.start + n, dtype=np.int64)}
    if has_ids:
        data["id"] = result.ids if result.ids is not None else [""] * n
    data["smiles"] = result.smiles
    data["smiles_std"] = result.smiles_std
    data["status"] = result.status
    data["error"] = result.error
    data["filter_reasons"] = result.filter_reasons
    for p in properties:
        data[p] = result.properties[p]
    for c in columns:
        data[c] = model_cols[c]
    frame = pd.DataFrame(data)
    frame["score"] = score(frame) if n else np.zeros(0)
    if hits_in_domain and n:
        inside = np.logical_and.reduce([frame[c].fillna(False).to_numpy(bool) for c in domain_columns(columns)])
        frame.loc[~inside, "score"] = np.nan
    return frame


def domain_columns(columns: list[str]) -> list[str]:
    """The applicability-domain flags among a screen's model columns."""
    return [c for c in columns if c == "in_domain" or c.endswith(".in_domain")]
