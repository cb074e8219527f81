"""FlowNetS: a plain encoder on stacked inputs and the coarse-to-fine decoder.

6 input channels as the standalone FlowNet2S (the normalised image pair), 12 inside the FlowNet2
stacks (``flownets_1``/``flownets_2``): pair (6) + warped img2 (3) + previous flow / 20 (2) +
brightness error (1). Its learned flow upsamplings have no bias, unlike the other sub-networks.
"""

from __future__ import annotations

from torch import Tensor

from .blocks import conv
from .decoder import FlowDecoderNet


class FlowNetS(FlowDecoderNet):
    """Upstream ``FlowNetS`` with batchNorm=False."""

    def __init__(self, input_channels: int = 12) -> None:
        super().__init__()
        self.conv1 = conv(input_channels, 64, kernel_size=7, stride=2)
        self.conv2 = conv(64, 128, kernel_size=5, stride=2)
        self.conv3 = conv(128, 256, kernel_size=5, stride=2)
        self.conv3_1 = conv(256, 256)
        self.conv4 = conv(256, 512, stride=2)
        self.conv4_1 = conv(512, 512)
        self.conv5 = conv(512, 512, stride=2)
        self.conv5_1 = conv(512, 512)
        self.conv6 = conv(512, 1024, stride=2)
        self.conv6_1 = conv(1024, 1024)
        self._build_decoder(use_inter_conv=False, upsample_bias=False)

    def forward(self, x: Tensor) -> tuple[Tensor, ...]:
        conv2 = self.conv2(self.conv1(x))
        conv3_1 = self.conv3_1(self.conv3(conv2))
        conv4_1 = self.conv4_1(self.conv4(conv3_1))
        conv5_1 = self.conv5_1(self.conv5(conv4_1))
        conv6_1 = self.conv6_1(self.conv6(conv5_1))
        return self._outputs(self._decode(conv6_1, (conv5_1, conv4_1, conv3_1, conv2)))
