"""Benchmark tasks: a data set, a split and the metrics to report, by name.

A :class:`Task` is declared once in :data:`TASKS`; :func:`load_task` turns it into a
:class:`TaskData` (SMILES and labels for train / validation / test, plus the activity-cliff
mask on MoleculeACE). Suites are named lists of tasks (:data:`SUITES`).

Only the public molpred API is used (``molpred.datasets``, ``molpred.data.splits``,
``molpred.chem``), so the suite measures what a user gets.

Examples
--------
>>> from benchmarks.tasks import get_task, resolve
>>> get_task("moleculeace/CHEMBL2034_Ki").metrics
('rmse', 'rmse_cliff')
>>> [t.name for t in resolve("moleculenet")][:2]
['moleculenet/esol', 'moleculenet/freesolv']
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

import numpy as np

__all__ = ["Task", "TaskData", "TASKS", "SUITES", "QUICK_TASKS", "get_task", "resolve", "load_task"]

# The 30 MoleculeACE targets, in the MoleculeACE paper's order.
MOLECULEACE_TARGETS = (
    "CHEMBL1862_Ki", "CHEMBL1871_Ki", "CHEMBL2034_Ki", "CHEMBL2047_EC50", "CHEMBL204_Ki",
    "CHEMBL2147_Ki", "CHEMBL214_Ki", "CHEMBL218_EC50", "CHEMBL219_Ki", "CHEMBL228_Ki",
    "CHEMBL231_Ki", "CHEMBL233_Ki", "CHEMBL234_Ki", "CHEMBL235_EC50", "CHEMBL236_Ki",
    "CHEMBL237_EC50", "CHEMBL237_Ki", "CHEMBL238_Ki", "CHEMBL239_EC50", "CHEMBL244_Ki",
    "CHEMBL262_Ki", "CHEMBL264_Ki", "CHEMBL2835_Ki", "CHEMBL287_Ki", "CHEMBL2971_Ki",
    "CHEMBL3979_EC50", "CHEMBL4005_Ki", "CHEMBL4203_Ki", "CHEMBL4616_EC50", "CHEMBL4792_Ki",
)
MOLECULENET = ("esol", "freesolv", "lipophilicity", "bbbp", "bace", "clintox", "tox21", "sider", "hiv")
ADMET = ("aqsoldb", "tdc/ames", "tdc/herg", "tdc/dili", "tdc/bbb_martins", "tdc/pgp_broccatelli",
         "tdc/hia_hou", "tdc/cyp3a4_veith")


@dataclass(frozen=True)
class Task:
    """One benchmark task.

    Attributes
    ----------
    name : str
        ``"<suite>/<dataset>"``, e.g. ``"moleculeace/CHEMBL204_Ki"``.
    suite : str
    dataset : str
        Name in ``molpred.datasets``.
    split : str
        ``"shipped"`` (the file's train/test column) or ``"scaffold"`` (balanced Bemis-Murcko,
        80/10/10, seeded).
    task_type : str
        ``"regression"`` or ``"classification"``.
    metrics : tuple of str
        Metric columns of the results table, the first being the headline metric.
    """

    name: str
    suite: str
    dataset: str
    split: str
    task_type: str
    metrics: tuple[str, ...]

    @property
    def seeded_split(self) -> bool:
        """Whether the split changes with the seed (scaffold) or is fixed (shipped)."""
        return self.split != "shipped"


@dataclass(frozen=True)
class TaskData:
    """SMILES and labels of one task and one split seed.

    Attributes
    ----------
    task : Task
    smiles_train, smiles_val, smiles_test : list of str
        ``smiles_val`` is empty when the split has no validation part (MoleculeACE: the
        estimators hold out part of the training data themselves).
    y_train, y_val, y_test : numpy.ndarray
        ``n x n_targets`` float64, NaN = missing label.
    target_names : list of str
    cliff_test : numpy.ndarray or None
        ``n_test`` bool, True for activity-cliff molecules (MoleculeACE only).
    """

    task: Task
    smiles_train: list[str]
    y_train: np.ndarray
    smiles_val: list[str]
    y_val: np.ndarray
    smiles_test: list[str]
    y_test: np.ndarray
    target_names: list[str]
    cliff_test: np.ndarray | None = None


def _build_registry() -> dict[str, Task]:
    tasks: list[Task] = []
    for t in MOLECULEACE_TARGETS:
        tasks.append(Task(f"moleculeace/{t}", "moleculeace", f"moleculeace/{t}", "shipped",
                          "regression", ("rmse", "rmse_cliff")))
    for d in MOLECULENET:
        reg = d in ("esol", "freesolv", "lipophilicity")
        tasks.append(Task(f"moleculenet/{d}", "moleculenet", d, "scaffold",
                          "regression" if reg else "classification",
                          ("rmse", "mae", "r2") if reg else ("roc_auc", "pr_auc")))
    for d in ADMET:
        reg = d == "aqsoldb"
        tasks.append(Task(f"admet/{d.split('/')[-1]}", "admet", d, "scaffold",
                          "regression" if reg else "classification",
                          ("rmse", "mae", "r2") if reg else ("roc_auc", "pr_auc")))
    return {t.name: t for t in tasks}


TASKS: dict[str, Task] = _build_registry()
SUITES: dict[str, list[str]] = {
    suite: [n for n, t in TASKS.items() if t.suite == suite] for suite in ("moleculeace", "moleculenet", "admet")
}
# The smallest-train MoleculeACE targets: the quick mode runs these.
QUICK_TASKS = ("moleculeace/CHEMBL2835_Ki",)


def get_task(name: str) -> Task:
    """Return the task called ``name`` (``"moleculeace/CHEMBL204_Ki"`` or the unique short
    form ``"CHEMBL204_Ki"``).

    Raises
    ------
    KeyError
        Unknown name, with the closest names suggested.
    """
    if name in TASKS:
        return TASKS[name]
    short = [t for n, t in TASKS.items() if n.split("/", 1)[1].lower() == name.lower()]
    if len(short) == 1:
        return short[0]
    choices = list(TASKS) + [n.split("/", 1)[1] for n in TASKS] + list(SUITES)
    close = difflib.get_close_matches(name, choices, n=3)
    hint = f"; did you mean {', '.join(map(repr, close))}?" if close else ""
    raise KeyError(f"unknown task or suite {name!r}{hint} (suites: {', '.join(SUITES)}, speed)")


def resolve(names: str | list[str]) -> list[Task]:
    """Expand suite names and task names (comma-separated or a list) into tasks, in order."""
    items = names.split(",") if isinstance(names, str) else list(names)
    out: list[Task] = []
    for item in (i.strip() for i in items if i.strip()):
        found = [TASKS[n] for n in SUITES[item]] if item in SUITES else [get_task(item)]
        out.extend(t for t in found if t not in out)
    return out


def _rows(y: np.ndarray, idx: np.ndarray) -> np.ndarray:
    return y[np.asarray(idx, dtype=np.int64)]


def load_task(task: Task, seed: int = 0) -> TaskData:
    """Load the data of ``task`` and split it (the scaffold split is seeded by ``seed``).

    Rows whose SMILES RDKit cannot parse are dropped before splitting (they have no scaffold
    and no peer can featurise them); their number is the data set card's documented count.
    """
    from molpred import datasets

    if task.split == "shipped":
        frame = datasets.load_moleculeace(task.dataset)
        train = frame[frame["split"] == "train"]
        test = frame[frame["split"] == "test"]
        return TaskData(task, train["smiles"].tolist(), train[["y"]].to_numpy(np.float64), [],
                        np.zeros((0, 1)), test["smiles"].tolist(), test[["y"]].to_numpy(np.float64), ["y"],
                        test["cliff_mol"].to_numpy().astype(bool))
    from molpred.chem import to_mol_record
    from molpred.data.splits import scaffold_split

    smiles, y, names = datasets.load_xy(task.dataset)
    records = [to_mol_record(s) for s in smiles]
    ok = [i for i, r in enumerate(records) if r.mol is not None]
    split = scaffold_split([records[i].mol for i in ok], (0.8, 0.1, 0.1), seed=seed, balanced=True)
    ok_arr = np.asarray(ok, dtype=np.int64)
    parts = [ok_arr[p] for p in (split.train, split.val, split.test)]
    s = np.asarray(smiles, dtype=object)
    return TaskData(task, s[parts[0]].tolist(), _rows(y, parts[0]), s[parts[1]].tolist(), _rows(y, parts[1]),
                    s[parts[2]].tolist(), _rows(y, parts[2]), list(names))
