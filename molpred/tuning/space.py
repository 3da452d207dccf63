"""Search spaces of ``molpred tune``, one per model family, declared as data.

======================  =====================================================================
family (models)         searched estimator parameters
======================  =====================================================================
graph (dmpnn, gine,     ``hidden_size``, ``depth``, ``dropout``, ``lr``, ``batch_size``,
attentivefp)            ``ffn_layers`` (+ ``features`` when the estimator has it)
mlp                     ``hidden_size``, ``ffn_hidden_size``, ``ffn_layers``, ``dropout``,
                        ``lr``, ``batch_size`` (+ ``features``: none or rdkit2d)
svr                     ``kernel``, ``C``, ``epsilon``
gp                      ``kernel``, ``alpha``
rf                      ``n_estimators``, ``max_depth``, ``max_features``
======================  =====================================================================

The estimator's own settings run apart as trial 0 (``include_defaults`` of
:func:`molpred.tuning.tune`), so ranges need not contain them. A parameter the estimator does
not have (``features`` before graph models take molecule-level features) is left out of the
space; so are ``hidden_size`` and ``depth`` when the encoder starts from a pretrained bundle
(its sizes are the bundle's).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Param", "SPACES", "FEATURE_SETS", "space_for", "suggest", "estimator_value", "family_of"]


@dataclass(frozen=True)
class Param:
    """One searched estimator parameter.

    Parameters
    ----------
    name : str
        Estimator parameter (``get_params`` key).
    kind : {"int", "float", "categorical"}
    low, high : float, optional
        Range of ``int``/``float`` parameters (inclusive).
    log : bool
        Sample on a log scale.
    step : float, optional
        Grid step of ``int``/``float`` parameters.
    choices : tuple, optional
        Values of a ``categorical`` parameter (str, int, float, bool or None).
    """

    name: str
    kind: str
    low: float | None = None
    high: float | None = None
    log: bool = False
    step: float | None = None
    choices: tuple = ()

    def suggest(self, trial):
        """Draw this parameter in an Optuna ``trial``."""
        if self.kind == "int":
            return trial.suggest_int(self.name, int(self.low), int(self.high), step=int(self.step or 1), log=self.log)
        if self.kind == "float":
            return trial.suggest_float(self.name, self.low, self.high, step=self.step, log=self.log)
        return trial.suggest_categorical(self.name, list(self.choices))


# Molecule-level feature sets (``features=`` of the graph models, issue 18 item 1). Optuna's
# categorical choices must be plain values, so the space holds these names and
# :func:`estimator_value` maps a name to the estimator's value. Extension point: once graph
# estimators have a ``features`` parameter, the graph family searches these sets; until then
# :func:`space_for` leaves ``features`` out.
FEATURE_SETS: dict[str, list[str] | None] = {
    "none": None,
    "morgan_count": ["morgan_count"],
    "rdkit2d": ["rdkit2d"],
    "morgan_count+rdkit2d": ["morgan_count", "rdkit2d"],
}

_GRAPH = (
    Param("hidden_size", "int", 100, 600, step=100),
    Param("depth", "int", 2, 6),
    Param("dropout", "float", 0.0, 0.4, step=0.05),
    Param("lr", "float", 1e-4, 3e-3, log=True),
    Param("batch_size", "categorical", choices=(16, 32, 64, 128)),
    Param("ffn_layers", "int", 1, 3),
    Param("features", "categorical", choices=tuple(FEATURE_SETS)),
)
_MLP = (
    Param("hidden_size", "categorical", choices=(256, 512, 1024, 2048)),
    Param("ffn_hidden_size", "int", 100, 600, step=100),
    Param("ffn_layers", "int", 1, 3),
    Param("dropout", "float", 0.0, 0.5, step=0.05),
    Param("lr", "float", 1e-4, 3e-3, log=True),
    Param("batch_size", "categorical", choices=(16, 32, 64, 128)),
    Param("features", "categorical", choices=("none", "rdkit2d")),  # the MLP already reads Morgan counts
)
_SVR = (
    Param("kernel", "categorical", choices=("tanimoto", "minmax")),
    Param("C", "float", 0.1, 1000.0, log=True),
    Param("epsilon", "float", 1e-3, 0.5, log=True),
)
_GP = (
    Param("kernel", "categorical", choices=("tanimoto", "minmax")),
    Param("alpha", "float", 1e-3, 3.0, log=True),
)
_RF = (
    Param("n_estimators", "int", 100, 1000, step=100),
    Param("max_depth", "categorical", choices=(None, 8, 16, 32)),
    Param("max_features", "float", 0.05, 0.65, step=0.02),
)

SPACES: dict[str, tuple[Param, ...]] = {"graph": _GRAPH, "mlp": _MLP, "svr": _SVR, "gp": _GP, "rf": _RF}
_FAMILY = {"dmpnn": "graph", "gine": "graph", "attentivefp": "graph", "mlp": "mlp", "svr": "svr", "gp": "gp",
           "rf": "rf"}


def family_of(model: str) -> str:
    """Search-space family of ``model`` (``"graph"``, ``"mlp"``, ``"svr"``, ``"gp"``, ``"rf"``).

    Raises
    ------
    ValueError
        A model without a search space.
    """
    if model not in _FAMILY:
        raise ValueError(f"no search space for model {model!r} (tunable: {', '.join(sorted(_FAMILY))})")
    return _FAMILY[model]


def space_for(estimator) -> tuple[Param, ...]:
    """The searched parameters for ``estimator``: its family's space, limited to its parameters."""
    params = estimator.get_params(deep=False)
    space = SPACES[family_of(estimator.model)]
    fixed = set()
    # the encoder's sizes come from the bundle ("auto" searches them: other sizes start from scratch)
    if params.get("pretrained") not in (None, "auto") or params.get("init_from"):
        fixed = {"hidden_size", "depth"}
    return tuple(p for p in space if p.name in params and p.name not in fixed)


def estimator_value(param: Param, value):
    """The estimator value of an Optuna value of ``param`` (a feature-set name becomes its list)."""
    return FEATURE_SETS[value] if param.name == "features" else value


def suggest(trial, space: tuple[Param, ...]) -> dict:
    """Draw every parameter of ``space`` in ``trial``; returns estimator keyword arguments."""
    return {p.name: estimator_value(p, p.suggest(trial)) for p in space}
