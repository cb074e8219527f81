"""Per-pixel L2 norm over channels (the ``ChannelNorm`` CUDA op of flownet2-pytorch).

``out[b, 0, y, x] = sqrt(sum_c in[b, c, y, x]^2)``, the squares accumulated over c in order as
the CUDA kernel does. FlowNet2 applies it to image differences (brightness error after warping)
and to flow fields (magnitude), always with 2 or 3 channels, where a loop over channels is far
faster on the CPU than a strided reduction. The backward pass is upstream's,
``grad * x / (norm + 1e-9)``: finite (zero) where the norm is zero, unlike autograd of ``sqrt``.
"""

from __future__ import annotations

import torch
from torch import nn

BACKWARD_EPS = 1e-9


class _ChannelNormFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x: torch.Tensor) -> torch.Tensor:
        squares = x[:, 0] * x[:, 0]
        for c in range(1, x.shape[1]):
            squares = squares.addcmul_(x[:, c], x[:, c])
        norm = squares.sqrt_().unsqueeze(1)
        ctx.save_for_backward(x, norm)
        return norm

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> torch.Tensor:
        x, norm = ctx.saved_tensors
        return grad * x / (norm + BACKWARD_EPS)


def channel_norm(x: torch.Tensor) -> torch.Tensor:
    """L2 norm over dim 1 of a (B, C, H, W) tensor -> (B, 1, H, W)."""
    if x.dim() != 4:
        raise ValueError(f"channel_norm needs a (B, C, H, W) tensor, got {tuple(x.shape)}")
    return _ChannelNormFunction.apply(x)


class ChannelNorm(nn.Module):
    """Module form of :func:`channel_norm` (upstream ``ChannelNorm(norm_deg=2)``)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return channel_norm(x)
