"""FlowNetC correlation layer (the ``Correlation`` CUDA op of flownet2-pytorch) in tensor ops.

For every pixel ``(y, x)`` of the first feature map and every displacement ``(dy, dx)`` on a grid
of step ``stride2`` within ``±max_displacement``, the output is the mean over channels of
``f1[:, y, x] * f2[:, y + dy, x + dx]``, with ``f2`` zero outside the image:

    out[b, (j + r) * D + (i + r), y, x] = 1/C * sum_c f1[b, c, y, x] * f2[b, c, y + s*j, x + s*i]

where ``r = max_displacement // stride2``, ``D = 2r + 1``, ``s = stride2`` and ``i, j`` run over
``-r..r``. Channels are dy-major (vertical displacement is the slow index). FlowNet2 uses
``max_displacement=20, stride2=2``: 441 channels, output the size of the input.

Implementation: for each vertical displacement, one batched matrix product per image row
compares every pixel of the row in ``f1`` with every pixel of the shifted, zero-padded row of
``f2`` (a ``W x (W + 2*max_displacement)`` table), and a strided view picks the band of the
``D`` horizontal displacements out of it. That is 21 GEMMs instead of 441 memory-bound
multiply-and-reduce passes, and autograd flows through it like through the CUDA op's backward.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def correlate(
    f1: torch.Tensor, f2: torch.Tensor, max_displacement: int = 20, stride2: int = 2
) -> torch.Tensor:
    """Correlation of two (B, C, H, W) feature maps -> (B, D*D, H, W), D = 2*(max_disp//stride2)+1.

    Kernel size 1 and stride1 1 as in FlowNet2; the result is not followed by an activation.
    """
    if f1.shape != f2.shape or f1.dim() != 4:
        raise ValueError(
            f"correlate needs two (B, C, H, W) maps of one shape, got {f1.shape}, {f2.shape}"
        )
    if max_displacement < 0 or stride2 < 1 or max_displacement % stride2:
        raise ValueError(
            f"max_displacement ({max_displacement}) must be a non-negative multiple of "
            f"stride2 ({stride2})"
        )
    b, c, h, w = f1.shape
    pad = max_displacement
    radius = max_displacement // stride2
    d = 2 * radius + 1
    wp = w + 2 * pad
    # Rows as matrices: (B, H, W, C) for f1 and (B, H + 2*pad, C, W + 2*pad) for padded f2.
    rows1 = f1.permute(0, 2, 3, 1).reshape(b * h, w, c)
    f2pad = F.pad(f2, (pad, pad, pad, pad)).permute(0, 2, 1, 3)
    planes = []
    for j in range(-radius, radius + 1):
        top = pad + j * stride2
        rows2 = f2pad[:, top : top + h].reshape(b * h, c, wp)
        table = torch.bmm(rows1, rows2)  # (B*H, W, Wp): f1 pixel x against padded f2 column x'
        # Band x' = x + pad + i*stride2, i in -radius..radius, i.e. x' = x + stride2*k, k < D.
        band = table.as_strided((b * h, w, d), (w * wp, wp + 1, stride2))
        planes.append(band)
    out = torch.stack(planes, dim=2)  # (B*H, W, D_dy, D_dx)
    out = out.reshape(b, h, w, d * d).permute(0, 3, 1, 2)
    return out.contiguous() / c


class Correlation(nn.Module):
    """Module form of :func:`correlate` with the FlowNetC settings (pad = max_displacement = 20,
    kernel 1, stride1 1, stride2 2); ``pad_size``, ``kernel_size`` and ``stride1`` are checked
    because only these values are implemented."""

    def __init__(
        self,
        pad_size: int = 20,
        kernel_size: int = 1,
        max_displacement: int = 20,
        stride1: int = 1,
        stride2: int = 2,
    ) -> None:
        super().__init__()
        if kernel_size != 1 or stride1 != 1 or pad_size != max_displacement:
            raise ValueError(
                "only kernel_size=1, stride1=1 and pad_size=max_displacement are implemented "
                "(the FlowNet2 settings)"
            )
        self.max_displacement = max_displacement
        self.stride2 = stride2

    def forward(self, f1: torch.Tensor, f2: torch.Tensor) -> torch.Tensor:
        return correlate(f1, f2, self.max_displacement, self.stride2)

    def extra_repr(self) -> str:
        return f"max_displacement={self.max_displacement}, stride2={self.stride2}"
