"""Write the reference models and predictions of ``tests/inference/test_packed_equivalence.py``.

Run once on the commit before the packed pipeline (``main`` at a8b41b0) with::

    PYTHONPATH=. OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 MOLPRED_DATA_DIR=../shared/data \
        python tests/data/pipeline_reference/make_reference.py

For every configuration it trains a small model on 120 real MoleculeACE CHEMBL204_Ki
molecules (seeded), saves it (``<name>/``) and writes its ``predict_frame`` on 40 other
molecules plus two bad rows (``<name>.csv``). The test reloads each model and retrains each
configuration with the same seed; both must give these predictions.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

HERE = Path(__file__).parent
SMALL = {"hidden_size": 32, "ffn_hidden_size": 32, "epochs": 3, "batch_size": 32, "seed": 3}
CONFIGS = {
    "dmpnn_ensemble": ("regressor", {"model": "dmpnn", "ensemble": 2, "uncertainty": "ensemble"}),
    "dmpnn_mve": ("regressor", {"model": "dmpnn", "uncertainty": "mve"}),
    "gine_dropout": ("regressor", {"model": "gine", "dropout": 0.2, "uncertainty": "dropout", "mc_samples": 3}),
    "attentivefp_dropout": ("regressor", {"model": "attentivefp", "dropout": 0.2, "uncertainty": "dropout",
                                          "mc_samples": 3}),
    "mlp": ("regressor", {"model": "mlp"}),
    "gine_classifier": ("classifier", {"model": "gine", "ensemble": 2, "uncertainty": "ensemble",
                                       "class_weight": "balanced"}),
}


def reference_data():
    """(train SMILES, train labels, query SMILES): fixed rows of the bundled CHEMBL204_Ki set."""
    import molpred

    df = molpred.datasets.load_moleculeace("CHEMBL204_Ki")
    train, test = df[df.split == "train"].iloc[:120], df[df.split == "test"].iloc[:40]
    query = list(test.smiles) + ["not a smiles", "CC[C@H](N)C(=O)O"]
    return list(train.smiles), train.y.to_numpy(float), query


def build(kind: str, params: dict):
    from molpred import MolPropertyClassifier, MolPropertyRegressor

    cls = MolPropertyRegressor if kind == "regressor" else MolPropertyClassifier
    return cls(**SMALL, **params)


def fit(kind: str, params: dict, smiles: list, y: np.ndarray):
    """The configuration trained on the reference molecules (classes: above the median label)."""
    import warnings

    est = build(kind, params)
    labels = y if kind == "regressor" else (y > np.median(y)).astype(float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return est.fit(smiles, labels)


def main() -> None:
    smiles, y, query = reference_data()
    for name, (kind, params) in CONFIGS.items():
        est = fit(kind, params, smiles, y)
        est.save(HERE / name)
        est.predict_frame(query).to_csv(HERE / f"{name}.csv", index=False, float_format="%.9g")
        print(name, "written")


if __name__ == "__main__":
    main()
