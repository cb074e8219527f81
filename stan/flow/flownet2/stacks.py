"""The stacked models FlowNet2CS, FlowNet2CSS and FlowNet2 (NOTES.md section 3).

Each refinement stage warps img2 towards img1 with the current flow and hands FlowNetS the pair,
the warped img2, the flow / 20 and the brightness error ``|x1 - warp(x2, flow)|``. FlowNet2 adds
the small-displacement FlowNetSD on the raw pair and fuses both branches at full resolution:

    fc  = up4b(FlowNetC(x) * 20)                            FlowNet2CS / CSS / 2
    fs1 = up4b(FlowNetS_1(stage_input(x, fc)) * 20)         -> FlowNet2CS output
    fs2 = up4n(FlowNetS_2(stage_input(x, fs1)) * 20)        -> FlowNet2CSS output
    fsd = up4n(FlowNetSD(x) / 20)     (a division, as upstream: the converted weights expect it)
    out = Fusion(cat[x1, fsd, fs2, |fsd|, |fs2|, |x1 - warp(x2, fsd)|, |x1 - warp(x2, fs2)|])

up4b / up4n: x4 bilinear (align_corners=False) / nearest upsampling. Input (B, 3, 2, H, W) raw
RGB 0..255, output (B, 2, H, W) pixels in train and eval mode alike. ``intermediates`` returns
the raw 1/4-resolution flow2 of every sub-network, the fusion input and the output.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from .blocks import upsample_bilinear4, upsample_nearest4
from .channelnorm import channel_norm
from .flownetc import FlowNetC
from .flownets import FlowNetS
from .flownetsd import FlowNetSD
from .fusion import FlowNetFusion
from .preprocess import RGB_MAX, normalize_pair
from .resample import warp
from .standalone import DIV_FLOW


class FlowNet2CS(nn.Module):
    """FlowNetC followed by one FlowNetS refinement (keys ``flownetc.*``, ``flownets_1.*``)."""

    rgb_max = RGB_MAX
    div_flow = DIV_FLOW

    def __init__(self) -> None:
        super().__init__()
        self.flownetc = FlowNetC()
        self.flownets_1 = FlowNetS(input_channels=12)

    def _stage_input(self, x: Tensor, flow: Tensor) -> Tensor:
        """Refinement input, 12 channels: cat[x, warped x2, flow / 20, |x1 - warped x2|]."""
        warped = warp(x[:, 3:], flow)
        error = channel_norm(x[:, :3] - warped)
        return torch.cat((x, warped, flow / self.div_flow, error), dim=1)

    def _cascade(self, x: Tensor, out: dict[str, Tensor]) -> Tensor:
        raw = self.flownetc(x)[0]
        out["flownetc"] = raw
        flow = upsample_bilinear4(raw * self.div_flow)
        raw = self.flownets_1(self._stage_input(x, flow))[0]
        out["flownets_1"] = raw
        return upsample_bilinear4(raw * self.div_flow)

    def intermediates(self, inputs: Tensor) -> dict[str, Tensor]:
        """All stage outputs: raw sub-network ``flow2`` maps by sub-module name, ``fusion_input``
        (FlowNet2 only) and ``flow`` (the model output)."""
        x = torch.cat(normalize_pair(inputs, self.rgb_max), dim=1)
        out: dict[str, Tensor] = {}
        out["flow"] = self._cascade(x, out)
        return out

    def forward(self, inputs: Tensor) -> Tensor:
        return self.intermediates(inputs)["flow"]


class FlowNet2CSS(FlowNet2CS):
    """FlowNet2CS plus a second FlowNetS refinement (``flownets_2.*``), nearest x4 at the end."""

    def __init__(self) -> None:
        super().__init__()
        self.flownets_2 = FlowNetS(input_channels=12)

    def _cascade(self, x: Tensor, out: dict[str, Tensor]) -> Tensor:
        flow = super()._cascade(x, out)
        raw = self.flownets_2(self._stage_input(x, flow))[0]
        out["flownets_2"] = raw
        return upsample_nearest4(raw * self.div_flow)


class FlowNet2(FlowNet2CSS):
    """The full FlowNet2: FlowNet2CSS and FlowNetSD merged by FlowNetFusion."""

    def __init__(self) -> None:
        super().__init__()
        self.flownets_d = FlowNetSD()
        self.flownetfusion = FlowNetFusion()

    def _cascade(self, x: Tensor, out: dict[str, Tensor]) -> Tensor:
        x1, x2 = x[:, :3], x[:, 3:]
        flow_css = super()._cascade(x, out)
        raw = self.flownets_d(x)[0]
        out["flownets_d"] = raw
        flow_sd = upsample_nearest4(raw / self.div_flow)
        fusion_input = torch.cat(
            (
                x1,
                flow_sd,
                flow_css,
                channel_norm(flow_sd),
                channel_norm(flow_css),
                channel_norm(x1 - warp(x2, flow_sd)),
                channel_norm(x1 - warp(x2, flow_css)),
            ),
            dim=1,
        )
        out["fusion_input"] = fusion_input
        return self.flownetfusion(fusion_input)
