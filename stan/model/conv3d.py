"""3D convolution over the window (paper Eq. 3, O_c = Conv3D(X_1..X_T)).

Conv3d with kernel (T, 3, 3) and no temporal padding collapses the T frames into one map
(many-to-one like the ConvLSTM), followed by ReLU and a 1x1 convolution to one logit channel.
"""

from __future__ import annotations

import torch
from torch import nn


class Conv3DHead(nn.Module):
    """(N, T, C_in, H, W) -> O_c (N, 1, H, W)."""

    def __init__(self, *, in_channels: int, channels: int, window: int):
        super().__init__()
        self.conv = nn.Conv3d(in_channels, channels, kernel_size=(window, 3, 3), padding=(0, 1, 1))
        self.out = nn.Conv2d(channels, 1, 1)

    def forward(self, xs: torch.Tensor) -> torch.Tensor:
        # (N, T, C, H, W) -> (N, C, T, H, W) -> conv over (T, 3, 3) -> (N, channels, 1, H, W)
        y = torch.relu(self.conv(xs.transpose(1, 2))).squeeze(2)
        return self.out(y)
