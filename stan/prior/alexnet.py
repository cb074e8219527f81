"""AlexNet (Krizhevsky et al. 2012, torchvision's "one weird trick" variant) with torchvision's
parameter names, so ``alexnet-owt-7be5be79.pth`` loads into it unchanged.

``AlexNet`` is the whole classifier (16 keys, 61.1M parameters) and exists to pin the key names;
the prior uses only ``AlexNetFeatures``: the five convolutions up to the ReLU after conv5
(``features.0`` .. ``features.11``, stride 16, 256 channels), without the last max-pool.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from stan.io import InputError

WEIGHTS_FILE = "alexnet-owt-7be5be79.pth"
WEIGHTS_URL = "https://download.pytorch.org/models/alexnet-owt-7be5be79.pth"
FEATURE_CHANNELS = 256
FEATURE_STRIDE = 16
# ImageNet normalisation of torchvision's preset (RGB in [0, 1]).
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def _conv_layers() -> list[nn.Module]:
    # Indices match torchvision: convs at 0, 3, 6, 8, 10; max-pools at 2, 5, 12.
    return [
        nn.Conv2d(3, 64, kernel_size=11, stride=4, padding=2),  # 0
        nn.ReLU(inplace=True),  # 1
        nn.MaxPool2d(kernel_size=3, stride=2),  # 2
        nn.Conv2d(64, 192, kernel_size=5, padding=2),  # 3
        nn.ReLU(inplace=True),  # 4
        nn.MaxPool2d(kernel_size=3, stride=2),  # 5
        nn.Conv2d(192, 384, kernel_size=3, padding=1),  # 6
        nn.ReLU(inplace=True),  # 7
        nn.Conv2d(384, 256, kernel_size=3, padding=1),  # 8
        nn.ReLU(inplace=True),  # 9
        nn.Conv2d(256, 256, kernel_size=3, padding=1),  # 10
        nn.ReLU(inplace=True),  # 11
        nn.MaxPool2d(kernel_size=3, stride=2),  # 12
    ]


class AlexNet(nn.Module):
    """The full torchvision AlexNet (ImageNet classifier), for key-name compatibility."""

    def __init__(self, *, num_classes: int = 1000, dropout: float = 0.5):
        super().__init__()
        self.features = nn.Sequential(*_conv_layers())
        self.avgpool = nn.AdaptiveAvgPool2d((6, 6))
        self.classifier = nn.Sequential(
            nn.Dropout(p=dropout),  # 0
            nn.Linear(256 * 6 * 6, 4096),  # 1
            nn.ReLU(inplace=True),  # 2
            nn.Dropout(p=dropout),  # 3
            nn.Linear(4096, 4096),  # 4
            nn.ReLU(inplace=True),  # 5
            nn.Linear(4096, num_classes),  # 6
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.avgpool(self.features(x))
        return self.classifier(torch.flatten(x, 1))


class AlexNetFeatures(nn.Module):
    """AlexNet's convolutional trunk up to relu5: (B, 3, H, W) -> (B, 256, ~H/16, ~W/16).

    Input is RGB in [0, 255] (uint8 or float); ImageNet normalisation happens inside.
    """

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(*_conv_layers()[:12])
        self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1) * 255, False)
        self.register_buffer("std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1) * 255, False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.features((x.float() - self.mean) / self.std)


def load_alexnet_features(module: AlexNetFeatures, path: str | Path) -> None:
    """Load the convolution weights of torchvision's AlexNet checkpoint into ``module``."""
    path = Path(path)
    if not path.is_file():
        raise InputError(
            f"{path}: AlexNet weights not found (config key prior.alexnet_weights). Download "
            f"{WEIGHTS_FILE} from {WEIGHTS_URL} and point prior.alexnet_weights at it, or set "
            "prior.alexnet_weights to an empty string to train the AlexNet features in this stage."
        )
    state = torch.load(path, map_location="cpu", weights_only=True)
    if isinstance(state, dict) and "state_dict" in state:
        state = state["state_dict"]
    wanted = {k: v for k, v in state.items() if k.startswith("features.")}
    expected = module.features.state_dict()
    missing = sorted(f"features.{k}" for k in expected if f"features.{k}" not in wanted)
    if missing:
        raise InputError(
            f"{path}: not a torchvision AlexNet checkpoint (missing {missing}); expected "
            f"{WEIGHTS_FILE} from {WEIGHTS_URL} (config key prior.alexnet_weights)"
        )
    module.features.load_state_dict(
        {k[len("features.") :]: v for k, v in wanted.items() if k[len("features.") :] in expected}
    )
