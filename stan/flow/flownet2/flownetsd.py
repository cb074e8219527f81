"""FlowNetSD: the small-displacement network (3x3 kernels only, an extra full-resolution conv0,
and an ``inter_conv`` between each decoder concat and its flow prediction)."""

from __future__ import annotations

from torch import Tensor

from .blocks import conv
from .decoder import FlowDecoderNet


class FlowNetSD(FlowDecoderNet):
    """Upstream ``FlowNetSD`` with batchNorm=False; input is the 6-channel normalised pair."""

    def __init__(self) -> None:
        super().__init__()
        self.conv0 = conv(6, 64)
        self.conv1 = conv(64, 64, stride=2)
        self.conv1_1 = conv(64, 128)
        self.conv2 = conv(128, 128, stride=2)
        self.conv2_1 = conv(128, 128)
        self.conv3 = conv(128, 256, stride=2)
        self.conv3_1 = conv(256, 256)
        self.conv4 = conv(256, 512, stride=2)
        self.conv4_1 = conv(512, 512)
        self.conv5 = conv(512, 512, stride=2)
        self.conv5_1 = conv(512, 512)
        self.conv6 = conv(512, 1024, stride=2)
        self.conv6_1 = conv(1024, 1024)
        self._build_decoder(use_inter_conv=True, upsample_bias=True)

    def forward(self, x: Tensor) -> tuple[Tensor, ...]:
        conv1_1 = self.conv1_1(self.conv1(self.conv0(x)))
        conv2_1 = self.conv2_1(self.conv2(conv1_1))
        conv3_1 = self.conv3_1(self.conv3(conv2_1))
        conv4_1 = self.conv4_1(self.conv4(conv3_1))
        conv5_1 = self.conv5_1(self.conv5(conv4_1))
        conv6_1 = self.conv6_1(self.conv6(conv5_1))
        return self._outputs(self._decode(conv6_1, (conv5_1, conv4_1, conv3_1, conv2_1)))
