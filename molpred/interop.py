"""DeepChem interoperability: molpred models where DeepChem expects a ``dc.models.Model``.

``MolPropertyRegressor.fit`` already accepts a ``deepchem.data.Dataset`` whose ``ids`` are
SMILES. :class:`DeepChemModel` goes the other way: it wraps a molpred estimator so DeepChem's
``evaluate``/``Evaluator``, metrics and pipelines can use it.

Examples
--------
>>> import deepchem as dc  # doctest: +SKIP
>>> ds = dc.data.NumpyDataset(X=np.zeros((n, 1)), y=y, ids=smiles)  # doctest: +SKIP
>>> model = DeepChemModel(MolPropertyRegressor(epochs=30))  # doctest: +SKIP
>>> model.fit(ds); model.evaluate(ds, [dc.metrics.Metric(dc.metrics.rms_score)])  # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import warnings

import numpy as np


def _import_deepchem():
    """Import DeepChem without its page of optional-dependency warnings."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    logging.getLogger("deepchem").setLevel(logging.ERROR)
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        warnings.simplefilter("ignore")
        import deepchem

    return deepchem


dc = _import_deepchem()

__all__ = ["DeepChemModel", "to_deepchem_dataset"]


def to_deepchem_dataset(smiles, y):
    """A ``dc.data.NumpyDataset`` with SMILES as ``ids`` (``X`` is a placeholder column).

    NaN labels get weight 0, which molpred reads back as missing.
    """
    y = np.asarray(y, dtype=np.float64).reshape(len(smiles), -1)
    w = (~np.isnan(y)).astype(np.float64)
    return dc.data.NumpyDataset(X=np.zeros((len(smiles), 1)), y=np.nan_to_num(y), w=w,
                                ids=np.asarray(smiles, dtype=object), n_tasks=y.shape[1])


class DeepChemModel(dc.models.Model):
    """Adapter: a molpred estimator behind DeepChem's ``Model`` interface.

    Parameters
    ----------
    estimator : MolPropertyRegressor or MolPropertyClassifier
        Fitted or not; :meth:`fit` trains it on a DeepChem dataset (SMILES in ``ids``).
    model_dir : str, optional
        Where :meth:`save` writes the molpred model directory (``model_dir/molpred``).
    """

    def __init__(self, estimator, model_dir: str | None = None, **kwargs):
        super().__init__(model=estimator, model_dir=model_dir, **kwargs)
        self.estimator = estimator

    def fit(self, dataset, nb_epoch: int | None = None, **kwargs) -> float:
        """Train on ``dataset``; returns the last training loss of the first member."""
        if nb_epoch is not None:
            self.estimator.set_params(epochs=int(nb_epoch))
        self.estimator.fit(dataset)
        history = self.estimator.training_[0]["history"]
        return float(history[-1]["train_loss"]) if history else float("nan")

    def predict(self, dataset, transformers=()) -> np.ndarray:
        """Predictions for ``dataset.ids``.

        Returns
        -------
        numpy.ndarray
            Regression: ``n x n_tasks`` (transformers undone as DeepChem does); classification:
            ``n x n_tasks x 2`` class probabilities, DeepChem's layout.
        """
        smiles = [str(s) for s in np.asarray(dataset.ids).ravel()]
        return self.predict_on_batch(smiles, transformers)

    def predict_on_batch(self, X, transformers=()) -> np.ndarray:
        """Predict a batch of SMILES."""
        est = self.estimator
        fs, mean, _ = est._predict_raw(list(X))
        out = est._scatter(fs, mean)
        if est._task == "classification":
            return np.stack([1.0 - out, out], axis=-1)
        return dc.trans.undo_transforms(out, list(transformers)) if transformers else out

    def get_task_type(self) -> str:
        return "classification" if self.estimator._task == "classification" else "regression"

    def get_num_tasks(self) -> int:
        return int(self.estimator.n_tasks_)

    def save(self) -> None:
        from molpred.io import save

        save(self.estimator, os.path.join(self.model_dir, "molpred"))

    def reload(self) -> None:
        from molpred.io import load

        self.estimator = self.model = load(os.path.join(self.model_dir, "molpred"))
