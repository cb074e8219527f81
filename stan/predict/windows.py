"""Sliding-window inference over one video, shared by the predict stage and the Python API.

Every frame i is predicted from the window of ``frames_used`` frames ending at i (frames
i - T + 1 .. i, ``frame_step`` apart). At the start of a video the missing earlier frames are
replaced by frame 0 (the first T - 1 frames see frame 0 repeated), the same rule as training.
Per-frame maps X (Eq. 2) are computed once per frame in batches and reused by the T windows
that contain the frame, so the backbone runs once per frame.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np
import torch

from stan.inputs.frames import window_positions
from stan.model.branches import LEVELS

# load(i) -> {'rgb': uint8 (H, W, 3) | None, 'motion': uint8 (H, W, M) | None,
#             'features': {level: float16 (512, H/8, W/8)} | None}
FrameLoader = Callable[[int], dict]


def _to_batch(items: list[dict], device: torch.device) -> tuple:
    rgb = motion = feats = None
    if items[0].get("features") is not None:
        feats = {
            lv: torch.from_numpy(np.stack([it["features"][lv] for it in items])).to(device)
            for lv in LEVELS
        }
    elif items[0].get("rgb") is not None:
        rgb = (
            torch.from_numpy(np.stack([it["rgb"] for it in items]))
            .permute(0, 3, 1, 2)
            .float()
            .to(device)
        )
    if items[0].get("motion") is not None:
        motion = (
            torch.from_numpy(np.stack([it["motion"] for it in items]))
            .permute(0, 3, 1, 2)
            .float()
            .to(device)
            / 255.0
        )
    return rgb, motion, feats


@torch.no_grad()
def predict_frames(
    model,
    n_frames: int,
    load: FrameLoader,
    input_size: tuple[int, int],
    *,
    batch_size: int = 8,
    frame_step: int = 1,
    device: torch.device | None = None,
) -> Iterator[tuple[int, np.ndarray]]:
    """Yield (i, saliency (H, W) float32 in [0, 1] at ``input_size``) for i = 0 .. n_frames - 1."""
    device = device or next(model.parameters()).device
    model.eval()
    t_used = model.cfg.frames_used
    maps: dict[int, torch.Tensor] = {}  # X of the frames still needed by a later window
    priors: dict[int, torch.Tensor] = {}  # their motion input (model.prior_residual only)
    for start in range(0, n_frames, batch_size):
        stop = min(start + batch_size, n_frames)
        windows = [window_positions(i, t_used, frame_step) for i in range(start, stop)]
        needed = sorted({p for w in windows for p in w} - set(maps))
        if needed:
            rgb, motion, feats = _to_batch([load(p) for p in needed], device)
            maps.update(zip(needed, model.frame_maps(rgb, motion, feats), strict=True))
            if model.residual_gain is not None:  # model.prior_residual, temporal variants
                priors.update(zip(needed, motion, strict=True))
        stacked = torch.stack(
            [torch.stack([maps[p] for p in w]) for w in windows]
        )  # (B, T, C, H', W')
        last = torch.stack([priors[w[-1]] for w in windows]) if priors else None
        probs = (
            torch.sigmoid(model.head(stacked, tuple(input_size), last)["logits"])[:, 0]
            .float()
            .cpu()
            .numpy()
        )
        yield from zip(range(start, stop), probs, strict=True)
        keep = min(window_positions(stop, t_used, frame_step))
        maps = {p: x for p, x in maps.items() if p >= keep}
        priors = {p: x for p, x in priors.items() if p >= keep}
