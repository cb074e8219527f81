"""Network input: frame pairs as the (B, 3, 2, H, W) tensor of upstream, its normalisation, and
the resize to multiples of 64 with the matching rescale of the flow.

Size policy (chosen here; upstream inference center-crops instead, losing border pixels): a pair
of H x W frames is resized bilinearly to H' x W', the next multiples of 64 at or above H and W
(480 x 854 -> 512 x 896), the flow is computed there, resized back to H x W bilinearly and its
u and v are multiplied by W / W' and H / H' so they are in pixels of the input frames. Sizes that
are already multiples of 64 pass through untouched. Resizing rather than padding keeps every
pixel inside real image content: padding would put artificial borders into the correlation, the
warps and the per-pair mean of the normalisation.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

MULTIPLE = 64
RGB_MAX = 255.0


def normalize_pair(inputs: Tensor, rgb_max: float = RGB_MAX) -> tuple[Tensor, Tensor]:
    """(B, 3, 2, H, W) raw RGB -> (x1, x2), each (B, 3, H, W).

    Subtracts the per-channel mean over both frames and all pixels and divides by ``rgb_max``
    (no std), as every upstream FlowNet2 model does first.
    """
    if inputs.dim() != 5 or inputs.shape[1] != 3 or inputs.shape[2] != 2:
        raise ValueError(f"expected a (B, 3, 2, H, W) frame-pair tensor, got {tuple(inputs.shape)}")
    mean = inputs.reshape(*inputs.shape[:2], -1).mean(dim=-1).view(*inputs.shape[:2], 1, 1, 1)
    x = (inputs - mean) / rgb_max
    return x[:, :, 0], x[:, :, 1]


def pair_tensor(frames: Sequence[np.ndarray], start: int, stop: int) -> Tensor:
    """Pairs (frames[i], frames[i + 1]), i in start..stop-1, as float32 (B, 3, 2, H, W), 0..255."""
    stack = np.stack(
        [np.stack([frames[i], frames[i + 1]]) for i in range(start, stop)]
    )  # (B,2,H,W,3)
    return torch.from_numpy(stack.transpose(0, 4, 1, 2, 3).astype(np.float32))


def network_size(height: int, width: int) -> tuple[int, int]:
    """The size the networks run at: H and W rounded up to multiples of 64."""
    return (-(-height // MULTIPLE) * MULTIPLE, -(-width // MULTIPLE) * MULTIPLE)


def resize_pairs(inputs: Tensor, size: tuple[int, int]) -> Tensor:
    """Bilinearly resize a (B, 3, 2, H, W) pair tensor to ``size`` = (H', W')."""
    if tuple(inputs.shape[-2:]) == tuple(size):
        return inputs
    b, c, t, h, w = inputs.shape
    flat = inputs.reshape(b, c * t, h, w)
    resized = F.interpolate(flat, size=size, mode="bilinear", align_corners=False)
    return resized.view(b, c, t, *size)


def restore_flow(flow: Tensor, size: tuple[int, int]) -> Tensor:
    """Resize a (B, 2, H', W') flow to ``size`` = (H, W) and rescale u, v to pixels at that size."""
    h_net, w_net = flow.shape[-2:]
    if (h_net, w_net) == tuple(size):
        return flow
    resized = F.interpolate(flow, size=size, mode="bilinear", align_corners=False)
    scale = torch.tensor([size[1] / w_net, size[0] / h_net], dtype=flow.dtype, device=flow.device)
    return resized * scale.view(1, 2, 1, 1)
