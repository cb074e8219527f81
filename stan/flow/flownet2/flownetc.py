"""FlowNetC: a siamese encoder, a correlation layer and the coarse-to-fine decoder.

Input: the 6-channel normalised pair ``cat[img1, img2]`` (B, 6, H, W), H and W multiples of 64.
The same conv1..conv3 weights encode both images (run here as one batch of 2B images, which is
the same computation); the correlation of the two 1/8-resolution feature maps (441 channels,
section 4 of NOTES.md) joined with a 32-channel projection of the img1 features feeds the rest.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from .blocks import LEAKY_SLOPE, conv
from .correlation import Correlation
from .decoder import FlowDecoderNet


class FlowNetC(FlowDecoderNet):
    """Upstream ``FlowNetC`` with batchNorm=False; keys as in the official checkpoints."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = conv(3, 64, kernel_size=7, stride=2)
        self.conv2 = conv(64, 128, kernel_size=5, stride=2)
        self.conv3 = conv(128, 256, kernel_size=5, stride=2)
        self.conv_redir = conv(256, 32, kernel_size=1, stride=1)
        self.corr = Correlation(
            pad_size=20, kernel_size=1, max_displacement=20, stride1=1, stride2=2
        )
        self.corr_activation = nn.LeakyReLU(LEAKY_SLOPE, inplace=True)
        self.conv3_1 = conv(473, 256)
        self.conv4 = conv(256, 512, stride=2)
        self.conv4_1 = conv(512, 512)
        self.conv5 = conv(512, 512, stride=2)
        self.conv5_1 = conv(512, 512)
        self.conv6 = conv(512, 1024, stride=2)
        self.conv6_1 = conv(1024, 1024)
        self._build_decoder(use_inter_conv=False, upsample_bias=True)

    def correlate(self, x: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """Siamese stage: (conv2 of img1, conv3 of img1, raw correlation before its LeakyReLU)."""
        batch = x.shape[0]
        both = torch.cat((x[:, :3], x[:, 3:]), dim=0)  # (2B, 3, H, W): img1 stream then img2 stream
        conv2 = self.conv2(self.conv1(both))
        conv3 = self.conv3(conv2)
        conv3a, conv3b = conv3[:batch], conv3[batch:]
        return conv2[:batch], conv3a, self.corr(conv3a, conv3b)

    def forward(self, x: Tensor) -> tuple[Tensor, ...]:
        conv2a, conv3a, corr = self.correlate(x)
        merged = torch.cat((self.conv_redir(conv3a), self.corr_activation(corr)), dim=1)  # 32 + 441
        conv3_1 = self.conv3_1(merged)
        conv4_1 = self.conv4_1(self.conv4(conv3_1))
        conv5_1 = self.conv5_1(self.conv5(conv4_1))
        conv6_1 = self.conv6_1(self.conv6(conv5_1))
        return self._outputs(self._decode(conv6_1, (conv5_1, conv4_1, conv3_1, conv2a)))
