"""Checkpoints: plain dicts loadable with ``torch.load(path, weights_only=True)``.

Keys: ``model`` (state dict), ``model_config`` (dict), ``optimizer`` (state dict), ``step``
(completed steps), ``metrics`` (dict of floats), ``train_config`` (dict), ``input_size``
([H, W]) and ``fingerprint`` (of the frozen trunk, for the feature cache check).
"""

from __future__ import annotations

from pathlib import Path

import torch

from stan.io import InputError, atomic_path, reading


def save_checkpoint(path: str | Path, **entries) -> None:
    """Write a checkpoint dict atomically (temporary file + rename)."""
    with atomic_path(path) as tmp:
        torch.save(dict(entries), tmp)


def load_checkpoint(path: str | Path, map_location="cpu") -> dict:
    """Read a checkpoint dict with ``weights_only=True``."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: checkpoint not found; run the train stage first")
    with reading(path, "checkpoint"):
        ckpt = torch.load(path, map_location=map_location, weights_only=True)
    missing = [k for k in ("model", "model_config", "step") if k not in ckpt]
    if missing:
        raise InputError(f"{path}: not a STAN checkpoint (missing {missing})")
    return ckpt


def trained_with(ckpt: dict, model_config: dict, train_config: dict) -> bool:
    """Whether ``ckpt`` was written by a run with exactly these (resolved, ``to_dict``) settings."""
    return ckpt["model_config"] == model_config and ckpt.get("train_config") == train_config
