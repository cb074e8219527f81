"""The single-network models FlowNet2C, FlowNet2S and FlowNet2SD (upstream ``FlowNet2C`` etc.).

Each one is its sub-network with the layers at the root of the state_dict (no prefix) plus the
input normalisation. Input (B, 3, 2, H, W) raw RGB 0..255; in eval mode the output is the
flow2 prediction times div_flow, bilinearly upsampled x4 to (B, 2, H, W) pixels; in train mode
the five multi-scale predictions (flow2 .. flow6), unscaled, as upstream.
"""

from __future__ import annotations

import torch
from torch import Tensor

from .blocks import upsample_bilinear4
from .flownetc import FlowNetC
from .flownets import FlowNetS
from .flownetsd import FlowNetSD
from .preprocess import RGB_MAX, normalize_pair

DIV_FLOW = 20.0


class _Standalone:
    """Shared forward of the three single-network models (a mixin before the sub-network)."""

    rgb_max = RGB_MAX
    div_flow = DIV_FLOW

    def network_input(self, inputs: Tensor) -> Tensor:
        """(B, 3, 2, H, W) raw pair -> the normalised 6-channel input of the sub-network."""
        return torch.cat(normalize_pair(inputs, self.rgb_max), dim=1)

    def forward(self, inputs: Tensor):
        flows = super().forward(self.network_input(inputs))
        if self.training:
            return flows
        return upsample_bilinear4(flows[0] * self.div_flow)


class FlowNet2C(_Standalone, FlowNetC):
    """FlowNetC alone (``FlowNet2-C_checkpoint.pth.tar``)."""


class FlowNet2S(_Standalone, FlowNetS):
    """FlowNetS alone, on the 6-channel pair (``FlowNet2-S_checkpoint.pth.tar``)."""

    def __init__(self) -> None:
        super().__init__(input_channels=6)


class FlowNet2SD(_Standalone, FlowNetSD):
    """FlowNetSD alone (``FlowNet2-SD_checkpoint.pth.tar``)."""
