"""Per-pixel L2 norm over channels (the ``ChannelNorm`` CUDA op of flownet2-pytorch).

``out[b, 0, y, x] = sqrt(sum_c in[b, c, y, x]^2)``. FlowNet2 applies it to image differences
(brightness error after warping) and to flow fields (flow magnitude). ``linalg.vector_norm`` gives
a zero gradient where the norm is zero, where a plain ``sqrt`` would give NaN.
"""

from __future__ import annotations

import torch
from torch import nn


def channel_norm(x: torch.Tensor) -> torch.Tensor:
    """L2 norm over dim 1 of a (B, C, H, W) tensor -> (B, 1, H, W)."""
    return torch.linalg.vector_norm(x, ord=2, dim=1, keepdim=True)


class ChannelNorm(nn.Module):
    """Module form of :func:`channel_norm` (upstream ``ChannelNorm(norm_deg=2)``)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return channel_norm(x)
