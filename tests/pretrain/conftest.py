"""Fixtures for the pretraining tests: a real slice of MOSES and a tiny pretrained encoder."""

from __future__ import annotations

import gzip
import itertools

import pytest


@pytest.fixture(scope="session")
def moses_slice(data_dir, tmp_path_factory):
    """The first 240 MOSES training molecules as a ``smiles`` CSV."""
    path = tmp_path_factory.mktemp("moses") / "slice.csv"
    with gzip.open(data_dir / "moses" / "moses_train.csv.gz", "rt") as fh:
        path.write_text("".join(itertools.islice(fh, 241)))
    return path


@pytest.fixture(scope="session")
def tiny_encoder(moses_slice, tmp_path_factory):
    """A real (tiny: hidden 32) D-MPNN pretrained for one epoch on the slice; its run dir."""
    from molpred.pretrain import pretrain

    run = tmp_path_factory.mktemp("pretrain") / "run"
    pretrain(moses_slice, run, hidden_size=32, epochs=1, batch_size=32, chunk_size=100,
             exclude_benchmarks=False, checkpoint_every=1000, log_every=2)
    return run
