"""Validation scoring inside the training loop."""

from __future__ import annotations

import numpy as np
import torch
from torch_geometric.data import Batch, Data

from molpred.train.loop import TrainConfig, _val_score


class _FixedLogits(torch.nn.Module):
    """Returns each graph's stored logit, so the validation score is known in advance."""

    def forward(self, batch):
        return batch.logit.view(-1, 1)


def test_single_class_fallback_ignores_missing_labels():
    # one class only among observed labels -> ROC-AUC undefined -> log-likelihood fallback
    val_y = np.array([[1.0], [np.nan], [np.nan], [1.0]])
    data = [Batch.from_data_list([Data(logit=torch.tensor([5.0]), num_nodes=1) for _ in range(4)])]
    score = _val_score(_FixedLogits(), data, val_y, TrainConfig(task="classification"), torch.device("cpu"), None)
    expected = np.log(1 / (1 + np.exp(-5.0)))  # only the two observed positives count
    assert abs(score - expected) < 1e-4, score  # missing labels scored as negatives give about -2.5
