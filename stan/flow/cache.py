"""The flow cache: one compressed file per video.

Format (``results/flow/<dataset>/<method>/<video>.npz``, written by :func:`save_flow`):

- ``flow``: int16 array (N, H, W, 2): the flow from frame i to frame i+1, in pixels, multiplied
  by ``scale`` and rounded (default 16, i.e. 1/16-pixel steps, range +-2047 px). The
  quantisation error (at most 1/32 px) is far below the accuracy of any flow method.
- ``scale``: the factor above; ``frames``: the frame ids.
- The last frame has no successor; by convention ``flow[N-1]`` repeats ``flow[N-2]``, so every
  frame has a flow map (a one-frame video gets a zero field).

Stored with zlib (``np.savez_compressed``): DAVIS-2016 at 854x480 takes a fraction of the 1.6 MB
per frame that float16 would need (measured in the README).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from stan.io import InputError, atomic_path, damaged_error, reading

DEFAULT_SCALE = 16.0
LIMIT = np.iinfo(np.int16).max


def quantize(flow: np.ndarray, scale: float = DEFAULT_SCALE) -> np.ndarray:
    """The int16 values a flow is stored as (``flow * scale``, rounded, clipped)."""
    return np.clip(np.rint(np.asarray(flow, np.float32) * scale), -LIMIT, LIMIT).astype(np.int16)


def as_cached(flow: np.ndarray, scale: float = DEFAULT_SCALE) -> np.ndarray:
    """The flow as :func:`load_flow` returns it after a :func:`save_flow` round trip."""
    return quantize(flow, scale).astype(np.float32) / np.float32(scale)


def save_flow(path: str | Path, flow: np.ndarray, frames: list[str], scale: float = DEFAULT_SCALE):
    """Quantise and write a video's flow (N, H, W, 2) float array."""
    flow = np.asarray(flow, dtype=np.float32)
    if flow.ndim != 4 or flow.shape[-1] != 2 or len(frames) != flow.shape[0]:
        raise ValueError(f"{path}: expected flow (N, H, W, 2) with N = {len(frames)} frames")
    q = quantize(flow, scale)
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as f:
            np.savez_compressed(f, flow=q, scale=np.float32(scale), frames=np.array(frames))


def load_flow(path: str | Path) -> np.ndarray:
    """Read a cached video flow as float32 (N, H, W, 2)."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: flow cache not found; run the flow stage (snakemake flow)")
    with reading(path, "flow cache"), np.load(path) as data:
        flow = data["flow"].astype(np.float32) / float(data["scale"])
        n_frames = len(data["frames"])
    if flow.ndim != 4 or flow.shape[-1] != 2 or len(flow) != n_frames:
        raise damaged_error(path, "flow cache", ValueError(f"flow of shape {flow.shape}"))
    return flow


def load_frames(path: str | Path) -> list[str]:
    """Frame ids stored with a cached flow."""
    with reading(path, "flow cache"), np.load(path) as data:
        return [str(f) for f in data["frames"]]


def complete_last_frame(pair_flows: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Append the last frame's flow (a copy of the previous one) to the N-1 pairwise flows."""
    if len(pair_flows) == 0:
        return np.zeros((1, *shape, 2), np.float32)
    return np.concatenate([pair_flows, pair_flows[-1:]], axis=0)
