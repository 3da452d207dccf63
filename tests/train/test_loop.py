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


def test_epoch_order_is_the_order_a_shuffling_dataloader_gave():
    # same seed -> same batches as the PyG DataLoader the loop used before the packed pipeline
    from torch_geometric.loader import DataLoader

    from molpred.train.loop import _epoch_order

    data = [Data(i=torch.tensor([i]), num_nodes=1) for i in range(23)]
    g_old, g_new = torch.Generator(), torch.Generator()
    g_old.manual_seed(5)
    g_new.manual_seed(5)
    loader = DataLoader(data, batch_size=4, shuffle=True, generator=g_old)
    orders = [_epoch_order(len(data), g_new) for _ in range(3)]
    for epoch in range(3):
        assert torch.cat([b.i for b in loader]).tolist() == orders[epoch].tolist()
    assert orders[0].tolist() != orders[1].tolist()  # a new shuffle every epoch
