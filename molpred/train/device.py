"""Device choice: CUDA when present (with mixed precision), else CPU."""

from __future__ import annotations

import torch

__all__ = ["resolve_device", "autocast"]


def resolve_device(device: str = "auto") -> torch.device:
    """``"auto"`` -> ``cuda`` if available else ``cpu``; otherwise ``torch.device(device)``."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    dev = torch.device(device)
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError("device='cuda' requested but CUDA is not available; use device='auto' or 'cpu'")
    return dev


def autocast(device: torch.device):
    """Mixed precision (bf16/fp16 autocast) on CUDA; a no-op context on CPU, where bf16 is slower."""
    if device.type == "cuda":
        dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
        return torch.autocast("cuda", dtype=dtype)
    return torch.autocast("cpu", enabled=False)
