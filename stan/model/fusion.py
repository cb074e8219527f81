"""O_st, the sub-spatiotemporal map (paper Eq. 5).

For each level r_i a 1x1, 1-channel convolution over concat(X^s_ri, X^t_ri) (only X^s_ri for the
spatial-only variant OS); the per-level maps are summed element-wise.
"""

from __future__ import annotations

import torch
from torch import nn


class LevelFusion(nn.Module):
    """[concat(X^s_ri, X^t_ri) for each level] (N, C_i, H, W) -> O_st (N, 1, H, W)."""

    def __init__(self, *, level_channels: int, levels: int = 2):
        super().__init__()
        self.convs = nn.ModuleList(nn.Conv2d(level_channels, 1, 1) for _ in range(levels))

    def forward(self, per_level: list[torch.Tensor]) -> torch.Tensor:
        # Eq. 5: O_st = sum_i conv1x1_i(Con(X^s_ri, X^t_ri))
        return sum(conv(x) for conv, x in zip(self.convs, per_level, strict=True))
