"""Backward warping (the ``Resample2d`` CUDA op of flownet2-pytorch, bilinear, kernel 1).

``warp(img, flow)[b, :, y, x]`` samples ``img`` at ``(x + u, y + v)`` with bilinear weights taken
from the unclamped coordinates and the four neighbour indices clamped into the image, i.e. border
replication with no mask. With the FlowNet2 flow convention ``img1(p) ~ img2(p + flow(p))``,
``warp(img2, flow)`` reconstructs ``img1``.

A direct gather with the clamped indices is used rather than ``grid_sample``: it follows the
upstream kernel term by term (the two differ by a few 1e-6).
"""

from __future__ import annotations

import torch
from torch import nn


def warp(image: torch.Tensor, flow: torch.Tensor) -> torch.Tensor:
    """Sample (B, C, H, W) ``image`` at pixel + ``flow`` (B, 2, H, W; u right, v down, pixels)."""
    if image.dim() != 4 or flow.dim() != 4 or flow.shape[1] != 2:
        raise ValueError(
            f"warp needs image (B, C, H, W) and flow (B, 2, H, W), got {image.shape}, {flow.shape}"
        )
    if image.shape[0] != flow.shape[0] or image.shape[2:] != flow.shape[2:]:
        raise ValueError(
            f"image {tuple(image.shape)} and flow {tuple(flow.shape)} differ in batch or size"
        )
    b, c, h, w = image.shape
    ys = torch.arange(h, device=flow.device, dtype=flow.dtype).view(1, h, 1)
    xs = torch.arange(w, device=flow.device, dtype=flow.dtype).view(1, 1, w)
    xf = xs + flow[:, 0]
    yf = ys + flow[:, 1]
    x0 = torch.floor(xf)
    y0 = torch.floor(yf)
    alpha = (xf - x0).unsqueeze(1)  # (B, 1, H, W), horizontal weight of the right neighbour
    beta = (yf - y0).unsqueeze(1)  # vertical weight of the bottom neighbour
    x0 = x0.long()
    y0 = y0.long()
    x_left = x0.clamp(0, w - 1)
    x_right = (x0 + 1).clamp(0, w - 1)
    y_top = y0.clamp(0, h - 1)
    y_bottom = (y0 + 1).clamp(0, h - 1)
    flat = image.reshape(b, c, h * w)

    def gather(yi: torch.Tensor, xi: torch.Tensor) -> torch.Tensor:
        index = (yi * w + xi).view(b, 1, h * w).expand(b, c, h * w)
        return flat.gather(2, index).view(b, c, h, w)

    return (
        (1 - alpha) * (1 - beta) * gather(y_top, x_left)
        + alpha * (1 - beta) * gather(y_top, x_right)
        + (1 - alpha) * beta * gather(y_bottom, x_left)
        + alpha * beta * gather(y_bottom, x_right)
    )


class Resample2d(nn.Module):
    """Module form of :func:`warp` (upstream ``Resample2d(kernel_size=1, bilinear=True)``)."""

    def forward(self, image: torch.Tensor, flow: torch.Tensor) -> torch.Tensor:
        return warp(image, flow)
