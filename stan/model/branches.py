"""Branches of a stream (paper Eq. 1): a few convolutions on a backbone level, then upsampling.

Each stream has two branches, one after pool4 and one after the last convolution (conv5_3)
(section 4.2). A branch is conv1x1 (in -> width) + ReLU, conv3x3 (width -> width) + ReLU,
conv1x1 (width -> out); its output X_ri is bilinearly upsampled to the fusion size (the input
size when ``model.fusion_stride`` is 1, as in the paper).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from stan.model.vgg import LEVELS


class Branch(nn.Module):
    """One branch: (N, in, h, w) -> (N, out, H', W') with (H', W') the requested size."""

    def __init__(self, *, in_channels: int, width: int, out_channels: int):
        super().__init__()
        self.convs = nn.Sequential(
            nn.Conv2d(in_channels, width, 1),
            nn.ReLU(inplace=True),
            nn.Conv2d(width, width, 3, padding=1),
            nn.ReLU(inplace=True),
            nn.Conv2d(width, out_channels, 1),
        )

    def forward(self, feature: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
        # Eq. 1: X_ri = Up(Conv(feature)); bilinear up-sampling to `size`.
        return F.interpolate(self.convs(feature), size=size, mode="bilinear", align_corners=False)


class StreamBranches(nn.Module):
    """The two branches of one stream; ``forward`` returns [X_r1, X_r2] (pool4, conv5 levels)."""

    def __init__(self, *, in_channels: int, width: int, out_channels: int):
        super().__init__()
        self.branches = nn.ModuleDict(
            {
                level: Branch(in_channels=in_channels, width=width, out_channels=out_channels)
                for level in LEVELS
            }
        )

    def forward(
        self,
        feats: dict[str, torch.Tensor],
        size: tuple[int, int],
        extra: torch.Tensor | None = None,
    ) -> list[torch.Tensor]:
        """feats[level]: (N, C, h, w); extra: optional (N, E, h, w) appended to every level."""
        out = []
        for level in LEVELS:
            x = feats[level]
            if extra is not None:
                x = torch.cat([x.to(extra.dtype), extra], dim=1)
            out.append(self.branches[level](x, size))
        return out
