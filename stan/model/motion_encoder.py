"""Light trainable motion encoder of the temporal stream in frozen-backbone (CPU) mode.

In the paper the temporal stream is a full VGG16 on RGB + prior whose first convolution is
re-initialised, so it must be trained; with ``model.frozen_backbone: true`` (the affordable CPU
mode) that is impossible. The CPU approximation used instead: the temporal stream reuses the
frozen RGB features of the spatial stream (shared cache) and gets the motion input (prior, or
flow colour image) through this small encoder: a 2x2 average pooling, then three 3x3
convolutions (stride 2, 2, 1) bringing it to the 1/8 resolution of the backbone features; the
result is concatenated to both temporal branches' input. (Pooling first keeps the cost of the
full-resolution layer low: the prior is smooth at the 2-pixel scale.)
"""

from __future__ import annotations

import torch
from torch import nn


class MotionEncoder(nn.Module):
    """(N, M, H, W) motion input in 0..1 -> (N, channels, H/8, W/8) (H, W multiples of 8)."""

    def __init__(self, *, in_channels: int, channels: int):
        super().__init__()
        half = max(channels // 2, 1)
        self.net = nn.Sequential(
            nn.AvgPool2d(2),
            nn.Conv2d(in_channels, half, 3, stride=2, padding=1),
            nn.ReLU(inplace=True),
            nn.Conv2d(half, channels, 3, stride=2, padding=1),
            nn.ReLU(inplace=True),
            nn.Conv2d(channels, channels, 3, padding=1),
            nn.ReLU(inplace=True),
        )

    def forward(self, motion: torch.Tensor) -> torch.Tensor:
        return self.net(motion - 0.5)
