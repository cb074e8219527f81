"""The Middlebury ``.flo`` format: the community standard for exchanging optical flow.

Layout: the float32 tag 202021.25 (bytes ``PIEH``), int32 width, int32 height, then
height x width x 2 float32 values (u, v interleaved, row-major), little-endian.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from stan.io import InputError, atomic_path

TAG = 202021.25


def write_flo(path: str | Path, flow: np.ndarray) -> None:
    """Write an (H, W, 2) flow field as a ``.flo`` file (atomically)."""
    flow = np.asarray(flow, dtype="<f4")
    if flow.ndim != 3 or flow.shape[2] != 2:
        raise ValueError(f"{path}: flow must have shape (H, W, 2), got {flow.shape}")
    h, w = flow.shape[:2]
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        np.array([TAG], "<f4").tofile(f)
        np.array([w, h], "<i4").tofile(f)
        flow.tofile(f)


def read_flo(path: str | Path) -> np.ndarray:
    """Read a ``.flo`` file into a float32 array of shape (H, W, 2)."""
    path = Path(path)
    with open(path, "rb") as f:
        tag = np.fromfile(f, "<f4", 1)
        if tag.size != 1 or tag[0] != TAG:
            raise InputError(f"{path}: not a Middlebury .flo file (bad magic number)")
        w, h = (int(v) for v in np.fromfile(f, "<i4", 2))
        data = np.fromfile(f, "<f4", w * h * 2)
    if data.size != w * h * 2:
        raise InputError(f"{path}: truncated .flo file (expected {w}x{h}x2 values)")
    return data.reshape(h, w, 2)
