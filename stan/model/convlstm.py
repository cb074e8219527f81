"""Convolutional LSTM (paper Eq. 4), many-to-one over the T frames of a window.

Gates without peepholes, exactly Eq. 4:
    I_t = sigma(W_xi * X_t + W_hi * H_{t-1} + b_i)
    F_t = sigma(W_xf * X_t + W_hf * H_{t-1} + b_f)
    O_t = sigma(W_xo * X_t + W_ho * H_{t-1} + b_o)
    C_t = F_t o C_{t-1} + I_t o tanh(W_xc * X_t + W_hc * H_{t-1} + b_c)
    H_t = O_t o tanh(C_t)
The four W_x* and W_h* convolutions are computed as one convolution over concat(X_t, H_{t-1})
whose output channels are ordered (i, f, o, c). H_0 = C_0 = 0. The output is H_T.
"""

from __future__ import annotations

import torch
from torch import nn


class ConvLSTMCell(nn.Module):
    """One ConvLSTM step: (X_t, (H, C)) -> (H_t, C_t)."""

    def __init__(self, *, in_channels: int, hidden: int, kernel_size: int = 3):
        super().__init__()
        self.hidden = hidden
        self.gates = nn.Conv2d(
            in_channels + hidden, 4 * hidden, kernel_size, padding=kernel_size // 2
        )

    def forward(
        self, x: torch.Tensor, state: tuple[torch.Tensor, torch.Tensor]
    ) -> tuple[torch.Tensor, torch.Tensor]:
        h, c = state
        # x: (N, C_in, H, W); h, c: (N, hidden, H, W)
        i, f, o, g = self.gates(torch.cat([x, h], dim=1)).chunk(4, dim=1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)  # Eq. 4, C_t
        h = torch.sigmoid(o) * torch.tanh(c)  # Eq. 4, H_t
        return h, c


class ConvLSTM(nn.Module):
    """Many-to-one ConvLSTM: (N, T, C_in, H, W) -> H_T (N, hidden, H, W)."""

    def __init__(self, *, in_channels: int, hidden: int, kernel_size: int = 3):
        super().__init__()
        self.cell = ConvLSTMCell(in_channels=in_channels, hidden=hidden, kernel_size=kernel_size)

    def forward(self, xs: torch.Tensor) -> torch.Tensor:
        n, t, _, height, width = xs.shape
        h = xs.new_zeros(n, self.cell.hidden, height, width)
        c = torch.zeros_like(h)
        for step in range(t):
            h, c = self.cell(xs[:, step], (h, c))
        return h
