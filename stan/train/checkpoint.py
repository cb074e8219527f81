"""STAN model checkpoints (kind ``stan-model``, written and read by :mod:`stan.runtime`).

Keys: ``format`` (``"stan-model/1"``), ``model`` (state dict), ``model_config`` (dict), ``optimizer`` (state dict), ``step``
(completed steps), ``metrics`` (dict of floats), ``train_config`` (dict), ``input_size``
([H, W]) and ``fingerprint`` (of the frozen trunk, for the feature cache check).
"""

from __future__ import annotations


def trained_with(ckpt: dict, model_config: dict, train_config: dict) -> bool:
    """Whether ``ckpt`` was written by a run with exactly these (resolved, ``to_dict``) settings."""
    return ckpt["model_config"] == model_config and ckpt.get("train_config") == train_config
