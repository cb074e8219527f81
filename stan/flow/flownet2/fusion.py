"""FlowNetFusion: the last stage of FlowNet2, merging the large-displacement (CSS) and the
small-displacement (SD) flows at full resolution.

Input (B, 11, H, W): img1 (3), SD flow (2), CSS flow (2), their magnitudes (1 + 1) and the
brightness errors of img2 warped by each (1 + 1). Output: the final flow in pixels, unscaled.

    flow2   = predict_flow2(conv2_1)                                          1/4
    concat1 = cat[conv1_1, deconv1(conv2_1), up2to1(flow2)]       162 ch      1/2
    flow1   = predict_flow1(inter_conv1(concat1))
    concat0 = cat[conv0, deconv0(concat1), up1to0(flow1)]          82 ch      1/1
    flow0   = predict_flow0(inter_conv0(concat0))
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from .blocks import conv, deconv, inter_conv, predict_flow, upsample_flow


class FlowNetFusion(nn.Module):
    """Upstream ``FlowNetFusion`` with batchNorm=False."""

    def __init__(self) -> None:
        super().__init__()
        self.conv0 = conv(11, 64)
        self.conv1 = conv(64, 64, stride=2)
        self.conv1_1 = conv(64, 128)
        self.conv2 = conv(128, 128, stride=2)
        self.conv2_1 = conv(128, 128)
        self.deconv1 = deconv(128, 32)
        self.deconv0 = deconv(162, 16)
        self.inter_conv1 = inter_conv(162, 32)
        self.inter_conv0 = inter_conv(82, 16)
        self.predict_flow2 = predict_flow(128)
        self.predict_flow1 = predict_flow(32)
        self.predict_flow0 = predict_flow(16)
        self.upsampled_flow2_to_1 = upsample_flow(bias=True)
        self.upsampled_flow1_to_0 = upsample_flow(bias=True)

    def forward(self, x: Tensor) -> Tensor:
        conv0 = self.conv0(x)
        conv1_1 = self.conv1_1(self.conv1(conv0))
        conv2_1 = self.conv2_1(self.conv2(conv1_1))
        flow2 = self.predict_flow2(conv2_1)
        concat1 = torch.cat((conv1_1, self.deconv1(conv2_1), self.upsampled_flow2_to_1(flow2)), 1)
        flow1 = self.predict_flow1(self.inter_conv1(concat1))
        concat0 = torch.cat((conv0, self.deconv0(concat1), self.upsampled_flow1_to_0(flow1)), 1)
        return self.predict_flow0(self.inter_conv0(concat0))
