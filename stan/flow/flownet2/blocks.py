"""Layer constructors shared by the FlowNet sub-networks, named and shaped as upstream.

The wrappers matter for the state_dict keys of the official checkpoints: an activated conv is
``nn.Sequential(conv, LeakyReLU)`` so its keys read ``convX.0.weight``; ``inter_conv`` is a
one-element ``Sequential`` (``inter_convX.0.*``); ``predict_flow`` and ``upsampled_flow`` are bare
layers (``predict_flowX.weight``). Only the ``batchNorm=False`` variant of the checkpoints exists.
"""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor, nn

LEAKY_SLOPE = 0.1


def conv(in_planes: int, out_planes: int, kernel_size: int = 3, stride: int = 1) -> nn.Sequential:
    """Conv2d (same padding, bias) + LeakyReLU(0.1)."""
    return nn.Sequential(
        nn.Conv2d(in_planes, out_planes, kernel_size, stride, padding=(kernel_size - 1) // 2),
        nn.LeakyReLU(LEAKY_SLOPE, inplace=True),
    )


def deconv(in_planes: int, out_planes: int) -> nn.Sequential:
    """ConvTranspose2d(k4, s2, p1, bias) + LeakyReLU(0.1): doubles the resolution."""
    return nn.Sequential(
        nn.ConvTranspose2d(in_planes, out_planes, 4, 2, 1),
        nn.LeakyReLU(LEAKY_SLOPE, inplace=True),
    )


def inter_conv(in_planes: int, out_planes: int) -> nn.Sequential:
    """Conv2d(k3, s1, p1, bias) with no activation, wrapped to give ``.0.`` keys."""
    return nn.Sequential(nn.Conv2d(in_planes, out_planes, 3, 1, 1))


def predict_flow(in_planes: int) -> nn.Conv2d:
    """Bare Conv2d(k3) to a 2-channel flow."""
    return nn.Conv2d(in_planes, 2, 3, 1, 1)


def upsample_flow(bias: bool) -> nn.ConvTranspose2d:
    """Bare learned x2 flow upsampling; upstream FlowNetS has no bias here, the others do."""
    return nn.ConvTranspose2d(2, 2, 4, 2, 1, bias=bias)


def upsample_bilinear4(flow: Tensor) -> Tensor:
    """x4 bilinear upsampling, ``align_corners=False`` (upstream ``nn.Upsample``, torch 0.4)."""
    return F.interpolate(flow, scale_factor=4, mode="bilinear", align_corners=False)


def upsample_nearest4(flow: Tensor) -> Tensor:
    """x4 nearest-neighbour upsampling (used for the FlowNetS2 and FlowNetSD outputs in stacks)."""
    return F.interpolate(flow, scale_factor=4, mode="nearest")
