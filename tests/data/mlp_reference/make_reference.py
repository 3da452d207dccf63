"""Write the reference predictions of ``tests/nn/test_fingerprint_mlp_reference.py``.

Run once on the commit before fingerprints were packed as uint8 counts (edb979a) with::

    PYTHONPATH=. OMP_NUM_THREADS=1 MOLPRED_DATA_DIR=../shared/data \
        python tests/data/mlp_reference/make_reference.py

For every configuration it trains a small fingerprint MLP on 200 real ESOL molecules (seeded)
and writes its ``predict_frame`` on 60 other ESOL molecules plus two bad rows
(``<name>.csv``, every float written so it reads back exactly). It also writes what the saved
reference MLP of ``tests/data/pipeline_reference`` predicts for its query molecules
(``saved_mlp.csv``). The test requires the same numbers, bit for bit.
"""

from __future__ import annotations

import warnings
from pathlib import Path

HERE = Path(__file__).parent
SAVED = HERE.parent / "pipeline_reference" / "mlp"
SMALL = {"hidden_size": 32, "ffn_hidden_size": 32, "epochs": 4, "batch_size": 32, "seed": 5}
CONFIGS = {
    "mlp": {"model": "mlp"},
    "mlp_dropout": {"model": "mlp", "dropout": 0.2, "uncertainty": "dropout", "mc_samples": 3},
    "mlp_ensemble": {"model": "mlp", "ensemble": 2, "uncertainty": "ensemble"},
}


def reference_data():
    """(train SMILES, train labels, query SMILES): fixed rows of ESOL."""
    import molpred

    frame = molpred.datasets.load("esol")
    smiles, y = frame["smiles"].tolist(), frame["measured log solubility in mols per litre"].to_numpy(float)
    return smiles[:200], y[:200], smiles[200:260] + ["not a smiles", "CC[C@H](N)C(=O)O"]


def fit(params: dict, smiles: list, y):
    from molpred import MolPropertyRegressor

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return MolPropertyRegressor(**SMALL, **params).fit(smiles, y)


def saved_query() -> list:
    import importlib.util

    spec = importlib.util.spec_from_file_location("pipeline_reference", SAVED.parent / "make_reference.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.reference_data()[2]


def main() -> None:
    import molpred

    smiles, y, query = reference_data()
    for name, params in CONFIGS.items():
        fit(params, smiles, y).predict_frame(query).to_csv(HERE / f"{name}.csv", index=False, float_format="%.17g")
        print(name, "written")
    molpred.load(SAVED).predict_frame(saved_query()).to_csv(HERE / "saved_mlp.csv", index=False,
                                                            float_format="%.17g")
    print("saved_mlp written")


if __name__ == "__main__":
    main()
