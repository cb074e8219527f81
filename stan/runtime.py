"""Runtime helpers shared by every stage: device choice, seeding, versioned checkpoint files.

Checkpoints (STAN models, motion priors, model bundles) are plain dicts saved with
``torch.save`` and read with ``torch.load(..., weights_only=True)``. Each carries
``format: "<kind>/<version>"``; :func:`load_checkpoint` checks the kind and the version against
:data:`CHECKPOINT_KINDS` and turns an unreadable file into an error that names the file, says it
is damaged and how to rebuild it. Files are written through a temporary name and a rename, so a
file that exists is complete.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import NamedTuple

import numpy as np
import torch

from stan.io import InputError, atomic_path


def resolve_device(name: str | torch.device, key: str = "device") -> torch.device:
    """'auto' -> the first CUDA device when present, else the CPU; 'cpu', 'cuda', 'cuda:N'.

    A CUDA device that is not present (no GPU, or N beyond the visible count) is an
    :class:`InputError` naming the config key or option ``key``.
    """
    if isinstance(name, torch.device):
        name = str(name)
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
    except RuntimeError as error:
        raise InputError(f"{key}={name!r}: not a device; use auto, cpu, cuda or cuda:N") from error
    if device.type == "cuda":
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if count == 0:
            raise InputError(f"{key}={name!r} but no CUDA device is visible; use 'auto' or 'cpu'")
        if device.index is not None and device.index >= count:
            raise InputError(
                f"{key}={name!r} but only {count} CUDA device(s) are visible "
                f"(cuda:0..cuda:{count - 1}); use one of them or 'auto'"
            )
    elif device.type != "cpu":
        raise InputError(f"{key}={name!r}: use auto, cpu, cuda or cuda:N")
    return device


def seed_everything(seed: int, *, threads: int | None = None) -> None:
    """Seed python, numpy and torch; make kernels deterministic; optionally limit CPU threads."""
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


class CheckpointKind(NamedTuple):
    version: int
    what: str  # in words, for messages
    rule: str  # the workflow rule that writes it
    required: tuple[str, ...]  # keys every file of this kind holds


#: every checkpoint kind of the project: the version written now and the keys it must hold
CHECKPOINT_KINDS = {
    "stan-model": CheckpointKind(1, "STAN model checkpoint", "train_model", ("model", "model_config", "step")),
    "stan-prior": CheckpointKind(3, "motion-prior checkpoint", "train_motion_prior", ("model", "model_config")),
    "stan-bundle": CheckpointKind(1, "STAN model bundle", "bundle", ("stan", "prior", "flow")),
}  # fmt: skip


def checkpoint_format(kind: str) -> str:
    """The ``format`` value written for ``kind`` now, e.g. ``"stan-model/1"``."""
    return f"{kind}/{CHECKPOINT_KINDS[kind].version}"


def save_checkpoint(path: str | Path, kind: str, entries: dict) -> None:
    """Write ``entries`` plus ``format`` as a plain-dict checkpoint, atomically."""
    ckpt = {"format": checkpoint_format(kind), **entries}
    with atomic_path(path) as tmp:
        torch.save(ckpt, tmp)


def _fix(path: Path, kind: CheckpointKind) -> str:
    return (
        f"delete it and rebuild it (`snakemake -R {kind.rule} {path}` when it is a workflow "
        "output), or pass another file"
    )


def load_checkpoint(path: str | Path, kind: str, map_location="cpu") -> dict:
    """Read a checkpoint of ``kind`` with ``weights_only=True``, checking its ``format``.

    Errors (:class:`InputError`, naming the file and the fix): missing file; damaged file
    (truncated, not a torch file, or holding more than tensors and plain values); a file of
    another kind or version. STAN model checkpoints written before ``format`` existed (they
    hold the same keys) are accepted.
    """
    path = Path(path)
    spec = CHECKPOINT_KINDS[kind]
    if not path.is_file():
        raise InputError(
            f"{path}: {spec.what} not found; build it (`snakemake {path}` for a workflow output) "
            "or check the path"
        )
    try:
        ckpt = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as error:  # truncated zip, garbage bytes, pickled objects beyond weights
        reason = (
            str(error).strip().splitlines()[0][:200] if str(error).strip() else type(error).__name__
        )
        raise InputError(
            f"{path}: damaged {spec.what} (cannot be read as plain tensors: {reason}); "
            + _fix(path, spec)
        ) from None
    if not isinstance(ckpt, dict):
        raise InputError(f"{path}: damaged {spec.what} (not a dict); " + _fix(path, spec))
    found = ckpt.get("format")
    if found is None and kind == "stan-model" and all(k in ckpt for k in spec.required):
        found = checkpoint_format(kind)  # written before checkpoints carried a format
    want = checkpoint_format(kind)
    if found != want:
        found_kind = str(found).split("/")[0] if found else None
        if found_kind in CHECKPOINT_KINDS and found_kind != kind:
            other = CHECKPOINT_KINDS[found_kind].what
            raise InputError(f"{path}: this is a {other} ({found}), not a {spec.what} ({want})")
        if found_kind == kind:
            raise InputError(
                f"{path}: {spec.what} of format {found}, this code reads {want}; "
                + _fix(path, spec)
            )
        raise InputError(f"{path}: not a {spec.what} (format {found!r}, expected {want})")
    missing = [k for k in spec.required if k not in ckpt]
    if missing:
        raise InputError(f"{path}: damaged {spec.what} (missing {missing}); " + _fix(path, spec))
    return ckpt


__all__ = [
    "CHECKPOINT_KINDS",
    "checkpoint_format",
    "load_checkpoint",
    "resolve_device",
    "save_checkpoint",
    "seed_everything",
]
