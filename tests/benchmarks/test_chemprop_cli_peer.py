"""The ``chemprop`` benchmark peer is Chemprop as its users run it: its CLI with its defaults."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from benchmarks.chemprop_cli_peer import ChempropCLIPeer, chemprop_cli_available
from benchmarks.models import get_model

pytestmark = pytest.mark.skipif(not chemprop_cli_available()[0], reason="chemprop CLI not installed")


def test_registry_names_the_cli_peer_chemprop_and_the_mirrored_config_an_ablation():
    assert type(get_model("chemprop").build("regression", 0, None)).__name__ == "ChempropCLIPeer"
    ablation = get_model("chemprop-meanagg-nobn").build("regression", 0, None)
    assert type(ablation).__name__ == "ChempropPeer" and ablation.name == "chemprop-meanagg-nobn"


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    from pathlib import Path

    frame = pd.read_csv(Path(__file__).resolve().parents[2] / "datasets" / "moleculeace" / "CHEMBL2835_Ki.csv")
    train, test = frame[frame["split"] == "train"].head(80), frame[frame["split"] == "test"].head(20)
    peer = ChempropCLIPeer("regression", seed=0, epochs=3, workdir=tmp_path_factory.mktemp("cp"))
    peer.fit(train["smiles"].tolist(), train["y"].to_numpy()[:, None])
    pred = peer.predict([*test["smiles"], "not a smiles"])
    return peer, pred, test


def test_cli_peer_predicts_every_row_and_nan_for_an_unparsable_one(trained):
    peer, pred, test = trained
    assert pred.shape == (len(test) + 1, 1)
    assert np.isfinite(pred[:-1]).all() and np.isnan(pred[-1, 0])
    assert np.sqrt(np.mean((pred[:-1, 0] - test["y"].to_numpy()) ** 2)) < 3  # log units: a trained model


def test_cli_peer_leaves_the_architecture_to_the_cli_defaults(trained):
    from chemprop import models, nn

    peer, _, _ = trained
    cmd = peer.run_info_["peer_command"]
    assert cmd.startswith("chemprop train ") and "--split-sizes 0.9 0.1 0.0" in cmd
    for option in ("--aggregation", "--agg ", "--batch-norm", "--message-hidden-dim", "--depth", "--batch-size"):
        assert option not in cmd
    model = models.MPNN.load_from_file(peer.model_path_)
    assert isinstance(model.agg, nn.NormAggregation)  # chemprop train's default, not the mean
    assert peer.run_info_["peer_version"].startswith("2")
