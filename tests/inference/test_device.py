"""Device choice and the forward pass's precision."""

from __future__ import annotations

import pytest
import torch

from molpred.inference.device import PRECISIONS, autocast, resolve_device


@pytest.mark.parametrize("precision, dtype", [("auto", torch.float32), ("fp32", torch.float32),
                                              ("bf16", torch.bfloat16)])
def test_autocast_on_cpu_gives_the_requested_arithmetic(precision, dtype):
    layer = torch.nn.Linear(8, 4)
    with torch.no_grad(), autocast(torch.device("cpu"), precision):
        out = layer(torch.randn(3, 8))
    assert out.dtype == dtype


def test_unknown_precision_is_refused():
    assert "fp16" not in PRECISIONS
    with pytest.raises(ValueError, match="precision must be one of"):
        autocast(torch.device("cpu"), "fp16")


def test_auto_device_is_cpu_without_cuda_and_cuda_request_fails_clearly():
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    assert resolve_device("auto").type == "cpu"
    with pytest.raises(ValueError, match="CUDA is not available"):
        resolve_device("cuda")
