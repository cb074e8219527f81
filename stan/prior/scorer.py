"""The three-layer fully connected network that scores a superpixel from its features."""

from __future__ import annotations

import torch
from torch import nn


class SuperpixelScorer(nn.Module):
    """features (K, in_dim) -> saliency logits (K,): Linear-ReLU-Dropout twice, then Linear."""

    def __init__(self, *, in_dim: int, hidden: tuple[int, int] = (256, 64), dropout: float = 0.2):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(in_dim, hidden[0]),
            nn.ReLU(inplace=True),
            nn.Dropout(dropout),
            nn.Linear(hidden[0], hidden[1]),
            nn.ReLU(inplace=True),
            nn.Dropout(dropout),
            nn.Linear(hidden[1], 1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).squeeze(-1)
