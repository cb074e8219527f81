"""Reading the official FlowNet2 checkpoints and loading them into the models, with errors that
say which file, where it comes from and which config key to change.

The converted Caffe models (``FlowNet2_checkpoint.pth.tar`` etc.) are dicts
``{'epoch': 0, 'state_dict': OrderedDict(key -> tensor), 'best_EPE': ...}`` written by torch
0.2-0.4 in the legacy (non-zip) serialization; checkpoints of upstream training add ``'arch'``.
``torch.load(..., weights_only=True)`` reads both formats without running pickled code. A bare
state_dict is accepted too, and a ``module.`` prefix (from ``DataParallel``) is stripped.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path

import torch
from torch import nn

from stan.io import InputError

from .registry import (
    CHECKPOINT_FILES,
    CHECKPOINT_SOURCE,
    MODELS,
    check_model_name,
    config_method,
    expected_shapes,
)

log = logging.getLogger(__name__)

CONFIG_KEY = "flow.flownet2.checkpoint"
_LIST_LIMIT = 6


class CheckpointError(InputError):
    """A FlowNet2 checkpoint file is missing, unreadable or belongs to another model."""


def _hint(model_name: str) -> str:
    names = " or ".join(CHECKPOINT_FILES[model_name])
    return (
        f"download {names} from {CHECKPOINT_SOURCE} and set {CONFIG_KEY} in config.yaml to its path"
    )


def missing_checkpoint(path: str | os.PathLike, method: str) -> CheckpointError:
    """The error for a checkpoint of flow.method ``method`` (e.g. ``flownet2``) absent at ``path``."""
    model_name = next((m for m in MODELS if config_method(m) == method), "FlowNet2")
    return CheckpointError(f"{path}: {model_name} checkpoint not found; {_hint(model_name)}")


def _short(items: list[str]) -> str:
    shown = ", ".join(items[:_LIST_LIMIT])
    return shown + (f", ... ({len(items)} in all)" if len(items) > _LIST_LIMIT else "")


def read_state_dict(
    path: str | os.PathLike, model_name: str = "FlowNet2"
) -> dict[str, torch.Tensor]:
    """The state_dict stored in a checkpoint file, on the CPU, with any ``module.`` prefix removed.

    ``model_name`` only shapes the error message for a missing or unreadable file.
    """
    check_model_name(model_name)
    if not str(path):
        raise CheckpointError(
            f"no {model_name} checkpoint given ({CONFIG_KEY} is empty); {_hint(model_name)}"
        )
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: {model_name} checkpoint not found; {_hint(model_name)}")
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # any failure to unpickle is a problem of this file
        raise CheckpointError(
            f"{path}: cannot read it as a PyTorch checkpoint with weights_only=True ({err}); "
            f"the file may be truncated or not a {model_name} checkpoint; {_hint(model_name)}"
        ) from err
    state = obj.get("state_dict", obj) if isinstance(obj, Mapping) else None
    if not isinstance(state, Mapping) or not all(
        isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in state.items()
    ):
        raise CheckpointError(
            f"{path}: holds no state_dict (expected a dict with a 'state_dict' of tensors, as the "
            f"official files have); {_hint(model_name)}"
        )
    return {k.removeprefix("module."): v for k, v in state.items()}


def identify_model(state_dict: Mapping[str, torch.Tensor]) -> str | None:
    """The model whose keys and shapes exactly match ``state_dict``, or None."""
    shapes = {k: tuple(v.shape) for k, v in state_dict.items()}
    for name in MODELS:
        if expected_shapes(name) == shapes:
            return name
    return None


def check_state_dict(
    state_dict: Mapping[str, torch.Tensor], model_name: str, source: str | os.PathLike
) -> None:
    """Raise :class:`CheckpointError` listing missing/unexpected keys and shape mismatches."""
    expected = expected_shapes(model_name)
    missing = [k for k in expected if k not in state_dict]
    unexpected = [k for k in state_dict if k not in expected]
    wrong = [
        f"{k} {tuple(v.shape)} (expected {expected[k]})"
        for k, v in state_dict.items()
        if k in expected and tuple(v.shape) != expected[k]
    ]
    if not (missing or unexpected or wrong):
        return
    problems = []
    if missing:
        problems.append(f"{len(missing)} missing keys: {_short(missing)}")
    if unexpected:
        problems.append(f"{len(unexpected)} unexpected keys: {_short(unexpected)}")
    if wrong:
        problems.append(f"{len(wrong)} shape mismatches: {_short(wrong)}")
    other = identify_model(state_dict)
    if other is not None:
        fix = (
            f"it is a {other} checkpoint: set flow.method to {config_method(other)!r}, or point "
            f"{CONFIG_KEY} at a {model_name} file ({' or '.join(CHECKPOINT_FILES[model_name])})"
        )
    else:
        fix = _hint(model_name)
    raise CheckpointError(
        f"{source}: does not match the {model_name} architecture ({'; '.join(problems)}); {fix}"
    )


def load_checkpoint(model: nn.Module, model_name: str, path: str | os.PathLike) -> nn.Module:
    """Load the checkpoint at ``path`` into ``model`` (built by ``build_model(model_name, ...)``,
    possibly on the meta device) strictly, after checking every key and shape. Returns ``model``."""
    state = read_state_dict(path, model_name)
    load_state_dict(model, model_name, state, source=path)
    log.info("loaded %s weights from %s", model_name, path)
    return model


def load_state_dict(
    model: nn.Module,
    model_name: str,
    state_dict: Mapping[str, torch.Tensor],
    source: str | os.PathLike = "state_dict",
) -> nn.Module:
    """Check ``state_dict`` against ``model_name`` and load it into ``model`` (float32, strict)."""
    check_state_dict(state_dict, model_name, source)
    state = {k: v.float() for k, v in state_dict.items()}
    model.load_state_dict(state, strict=True, assign=True)
    return model
