"""Seeds and determinism, set in one place for training, caching and prediction."""

from __future__ import annotations

import random

import numpy as np
import torch


def seed_everything(seed: int, *, threads: int | None = None) -> None:
    """Seed python, numpy and torch; make CPU kernels deterministic; limit CPU threads."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    if threads:
        torch.set_num_threads(threads)
    # On CUDA some kernels (bilinear upsampling backward) have no deterministic version: warn only.
    torch.use_deterministic_algorithms(True, warn_only=torch.cuda.is_available())
    # Deterministic mode also fills every new tensor with NaN by default (a debugging aid that
    # cost 15% of a CPU training step here); the kernels stay deterministic without it.
    torch.utils.deterministic.fill_uninitialized_memory = False


def sample_rng(seed: int, index: int) -> np.random.Generator:
    """Generator of the index-th training sample: sampling and augmentation depend only on
    (seed, index), so a resumed run or a run with DataLoader workers draws the same windows."""
    return np.random.default_rng([seed, index])


def resolve_device(name: str) -> torch.device:
    """'auto' -> CUDA when present, else CPU."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise RuntimeError(
            "device 'cuda' requested (train.device / predict.device) but no GPU is visible"
        )
    return torch.device(name)
