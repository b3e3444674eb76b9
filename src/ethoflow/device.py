"""Where PyTorch runs: CUDA when present (``device: auto``), else the CPU, with the job's cores."""

from __future__ import annotations

import torch

__all__ = ["resolve_device", "use_threads"]


def resolve_device(device: str = "auto") -> torch.device:
    """``"auto"``: CUDA when present, else CPU; or an explicit torch device string."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


def use_threads(threads: int | None) -> None:
    """Let PyTorch use ``threads`` CPU threads (the cores a job was given); None: its default."""
    if threads:
        torch.set_num_threads(threads)
