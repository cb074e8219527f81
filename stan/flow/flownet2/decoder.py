"""The coarse-to-fine flow decoder shared by FlowNetC, FlowNetS and FlowNetSD.

Starting from the 1/64 features ``conv6_1`` the decoder predicts a flow, and at each finer level
(1/32 .. 1/4) concatenates the encoder skip, a learned x2 upsampling of the previous features
(``deconvK``) and of the previous flow (``upsampled_flow(K+1)_to_K``), and predicts a flow again:

    flow6    = predict_flow6(conv6_1)
    concatK  = cat[skipK, deconvK(concat(K+1)), up(K+1)toK(flow(K+1))]    (concat6 = conv6_1)
    flowK    = predict_flowK(concatK)                      FlowNetC, FlowNetS
    flowK    = predict_flowK(inter_convK(concatK))         FlowNetSD

The layers are attributes of the sub-network itself (keys ``deconv5.0.weight`` etc. at its root,
registered in upstream order), so the decoder is a base class rather than a child module.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from .blocks import deconv, inter_conv, predict_flow, upsample_flow

# (level K, channels of the skip at level K, deconv output channels at level K)
LEVELS = ((5, 512, 512), (4, 512, 256), (3, 256, 128), (2, 128, 64))


class FlowDecoderNet(nn.Module):
    """Base class: ``_build_decoder`` adds the decoder layers, ``_decode`` runs them."""

    def _build_decoder(self, *, use_inter_conv: bool, upsample_bias: bool) -> None:
        concat_channels = {6: 1024}
        for level, skip, out in LEVELS:
            concat_channels[level] = skip + out + 2  # 1026, 770, 386, 194
        for level, _, out in LEVELS:
            setattr(self, f"deconv{level}", deconv(concat_channels[level + 1], out))
        predict_in = dict(concat_channels)
        if use_inter_conv:
            for level, _, out in LEVELS:
                setattr(self, f"inter_conv{level}", inter_conv(concat_channels[level], out))
                predict_in[level] = out
        for level in (6, 5, 4, 3, 2):
            setattr(self, f"predict_flow{level}", predict_flow(predict_in[level]))
        for level, _, _ in LEVELS:
            setattr(self, f"upsampled_flow{level + 1}_to_{level}", upsample_flow(upsample_bias))
        self._use_inter_conv = use_inter_conv

    def _decode(
        self, conv6_1: Tensor, skips: tuple[Tensor, Tensor, Tensor, Tensor]
    ) -> tuple[Tensor, ...]:
        """``skips`` = features at 1/32, 1/16, 1/8, 1/4. Returns (flow2, flow3, flow4, flow5,
        flow6), flow2 at 1/4 resolution, in units of pixels / div_flow."""
        features = conv6_1
        flow = self.predict_flow6(conv6_1)
        flows = [flow]
        for (level, _, _), skip in zip(LEVELS, skips, strict=True):
            up_features = getattr(self, f"deconv{level}")(features)
            up_flow = getattr(self, f"upsampled_flow{level + 1}_to_{level}")(flow)
            features = torch.cat((skip, up_features, up_flow), dim=1)
            head_in = (
                getattr(self, f"inter_conv{level}")(features) if self._use_inter_conv else features
            )
            flow = getattr(self, f"predict_flow{level}")(head_in)
            flows.append(flow)
        return tuple(reversed(flows))

    def _outputs(self, flows: tuple[Tensor, ...]) -> tuple[Tensor, ...]:
        """Upstream return convention: all five flows when training, ``(flow2,)`` in eval mode."""
        return flows if self.training else flows[:1]
