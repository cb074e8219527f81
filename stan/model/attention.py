"""Spatiotemporal attentive module (paper section 3.2, Eq. 7, Figure 3).

concat(O_st, O_m, O_c) -> conv3x3 (256) -> ReLU -> conv1x1 (3) -> softmax over the 3 channels
gives the weights w_a; the saliency (logit) map is sum_a w_a * O_a.
"""

from __future__ import annotations

import torch
from torch import nn


class AttentiveFusion(nn.Module):
    """[O_st, O_m, O_c] each (N, 1, H, W) -> (S (N, 1, H, W), w (N, 3, H, W))."""

    def __init__(self, *, channels: int = 256, inputs: int = 3):
        super().__init__()
        self.weights = nn.Sequential(
            nn.Conv2d(inputs, channels, 3, padding=1),
            nn.ReLU(inplace=True),
            nn.Conv2d(channels, inputs, 1),
        )

    def forward(self, maps: list[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        o = torch.cat(maps, dim=1)  # (N, 3, H, W)
        w = torch.softmax(self.weights(o), dim=1)  # w_a, sums to 1 over a
        return (w * o).sum(dim=1, keepdim=True), w  # Eq. 7: S = sum_a w_a (.) O_a
