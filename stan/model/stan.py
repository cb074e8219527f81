"""The STAN network (paper section 3, Figure 2): two streams, motion refinement, attentive fusion.

Shapes: N windows of T frames of size (H, W) (multiples of 8); K = model.branch_channels;
(h, w) = (H, W) / 8 backbone resolution; (H', W') = (H, W) / model.fusion_stride.

    frames (N, T, 3, H, W) RGB 0..255      motion (N, T, M, H, W) in 0..1 (prior M=1, prior and
                                           flow magnitude M=2, flow colour image M=3)
      spatial trunk -> pool4, conv5 (N*T, 512, h, w) -> 2 branches -> X^s_r1, X^s_r2 (N*T, K, H', W')
      temporal trunk(RGB+prior | flow) -> 2 branches -> X^t_r1, X^t_r2            (Eq. 1)
      X_t = Con(X^s_r1, X^s_r2, X^t_r1, X^t_r2)             (N, T, 4K, H', W')     (Eq. 2)
      O_m = conv1x1(ConvLSTM(X_1..X_T)), O_c = Conv3D(X_1..X_T)  (N, 1, H', W')    (Eq. 3, 4)
      O_st = sum_i conv1x1_i(Con(X^s_ri, X^t_ri)) of the last frame (N, 1, H', W') (Eq. 5)
      S = sum_a w_a O_a (STAN) or the sum of the O maps (ablations), upsampled to (N, 1, H, W)

The output is a logit map of the window's last frame; the loss is BCE with logits (Eq. 6).
"""

from __future__ import annotations

import copy

import torch
import torch.nn.functional as F
from torch import nn

from stan.model.attention import AttentiveFusion
from stan.model.branches import LEVELS, StreamBranches
from stan.model.config import ModelConfig
from stan.model.conv3d import Conv3DHead
from stan.model.convlstm import ConvLSTM
from stan.model.fusion import LevelFusion
from stan.model.motion_encoder import MotionEncoder
from stan.model.vgg import TAPS, VGG16Trunk, normalize_input

FEATURE_CHANNELS = 512
#: The prior is clipped to [eps, 1 - eps] before its logit (model.prior_residual): +-4.6.
PRIOR_EPS = 0.01
#: model.prior_norm 'frame' divides each frame's prior by max(its maximum, this floor): a frame
#: without motion keeps a near-zero prior instead of having its noise stretched to 1.
PRIOR_NORM_FLOOR = 0.05


class STAN(nn.Module):
    """STAN and its ablation variants; build it with :func:`stan.model.config.build_model`."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        spec = cfg.spec
        k = cfg.branch_channels
        branch_args = {"width": cfg.branch_width, "out_channels": k}
        self.spatial_trunk = VGG16Trunk(in_channels=3)
        # model.train_conv5: the trunk's last block as a trainable module of its own
        # (:meth:`copy_conv5_from_trunk` gives it the trunk's weights once they are loaded).
        self.conv5_block: nn.Sequential | None = None
        if cfg.train_conv5:
            self.conv5_block = copy.deepcopy(self._trunk_conv5())
        self.spatial_branches = StreamBranches(in_channels=FEATURE_CHANNELS, **branch_args)
        self.temporal_trunk: VGG16Trunk | None = None
        self.motion_encoder: MotionEncoder | None = None
        self.temporal_branches: StreamBranches | None = None
        if spec.temporal:
            if cfg.frozen_backbone:
                e = cfg.motion_encoder_channels
                self.motion_encoder = MotionEncoder(in_channels=cfg.motion_channels, channels=e)
                self.temporal_branches = StreamBranches(
                    in_channels=FEATURE_CHANNELS + e, **branch_args
                )
            else:
                in_channels = 3 + cfg.motion_channels if cfg.temporal_input == "prior" else 3
                self.temporal_trunk = VGG16Trunk(in_channels=in_channels)
                self.temporal_branches = StreamBranches(in_channels=FEATURE_CHANNELS, **branch_args)
        streams = 2 if spec.temporal else 1
        self.x_channels = streams * len(LEVELS) * k
        self.fusion = LevelFusion(level_channels=streams * k, levels=len(LEVELS))
        self.convlstm = (
            ConvLSTM(
                in_channels=self.x_channels, hidden=cfg.lstm_hidden, kernel_size=cfg.lstm_kernel
            )
            if spec.lstm
            else None
        )
        self.lstm_out = nn.Conv2d(cfg.lstm_hidden, 1, 1) if spec.lstm else None
        self.conv3d = (
            Conv3DHead(in_channels=self.x_channels, channels=cfg.conv3d_channels, window=cfg.window)
            if spec.conv3d
            else None
        )
        self.attention = (
            AttentiveFusion(channels=cfg.attention_channels) if spec.attention else None
        )
        self.residual_gain: nn.Parameter | None = None
        if cfg.prior_residual and spec.temporal:
            # Start from the prior: every O map starts at zero, S = logit(prior).
            self.residual_gain = nn.Parameter(torch.ones(1))
            heads = [*self.fusion.convs, self.lstm_out, self.conv3d and self.conv3d.out]
            for conv in filter(None, heads):
                nn.init.zeros_(conv.weight)
                nn.init.zeros_(conv.bias)

    def scaled_prior(self, motion: torch.Tensor) -> torch.Tensor:
        """The motion input (..., M, H, W) as the network reads it (``model.prior_norm``: each
        channel of each frame divided by its own maximum, floored).

        Raw inputs go in: :meth:`frame_maps` and :meth:`head` each apply it once to what they
        are given (the floor makes it not idempotent).
        """
        if self.cfg.prior_norm == "frame":
            peak = motion.amax(dim=(-2, -1), keepdim=True).clamp_min(PRIOR_NORM_FLOOR)
            return motion / peak
        return motion

    def copy_conv5_from_trunk(self) -> None:
        """Start the trainable last block (model.train_conv5) from the trunk's weights."""
        if self.conv5_block is not None:
            self.conv5_block.load_state_dict(self._trunk_conv5().state_dict())

    def _trunk_conv5(self) -> nn.Sequential:
        """The spatial trunk's last block (conv5_1-conv5_3 and their ReLUs), after pool4."""
        return self.spatial_trunk.features[TAPS["pool4"] + 1 : TAPS["conv5"] + 1]

    # ------------------------------------------------------------------ per-frame part (Eq. 1-2)
    def backbone_features(self, rgb: torch.Tensor) -> dict[str, torch.Tensor]:
        """Spatial-trunk features of frames (N, 3, H, W) RGB 0..255 -> {pool4, conv5} (N, 512, h, w).

        These are what the feature cache stores in frozen mode (spatial and, in frozen mode, also
        the temporal stream's appearance input). With model.train_conv5 only pool4 is computed:
        the model's own block makes conv5 from it.
        """
        taps = ("pool4",) if self.conv5_block is not None else LEVELS
        return self.spatial_trunk(normalize_input(rgb, None, self.cfg.norm), taps=taps)

    def frame_maps(
        self,
        rgb: torch.Tensor | None,
        motion: torch.Tensor | None,
        features: dict[str, torch.Tensor] | None = None,
    ) -> torch.Tensor:
        """X for single frames (Eq. 2): (N, 3, H, W), (N, M, H, W), {level: (N, 512, h, w)} -> (N, C_X, H', W').

        ``features`` (cached frozen trunk output) replaces the spatial trunk; it requires
        ``model.frozen_backbone``. Channel order of X: X^s_r1, X^s_r2, X^t_r1, X^t_r2.
        """
        cfg = self.cfg
        if features is not None:
            if not cfg.frozen_backbone:
                raise ValueError("cached features need model.frozen_backbone: true")
            any_feat = next(iter(features.values()))
            size = (any_feat.shape[-2] * 8, any_feat.shape[-1] * 8)
            features = {level: features[level].float() for level in LEVELS}
        else:
            if rgb is None:
                raise ValueError("frame_maps needs rgb frames or cached features")
            size = tuple(rgb.shape[-2:])
            if size[0] % 8 or size[1] % 8:
                raise ValueError(f"input size {size} must be a multiple of 8 (train.input_size)")
            if cfg.frozen_backbone:
                with torch.no_grad():
                    features = self.backbone_features(rgb)
            else:
                features = self.backbone_features(rgb)
        if self.conv5_block is not None:  # model.train_conv5: conv5 from pool4, trainable
            features = {"pool4": features["pool4"], "conv5": self.conv5_block(features["pool4"])}
        fused_size = (size[0] // cfg.fusion_stride, size[1] // cfg.fusion_stride)
        maps = self.spatial_branches(features, fused_size)  # [X^s_r1, X^s_r2]
        if self.temporal_branches is not None:
            if motion is None:
                raise ValueError(
                    f"variant {cfg.variant} needs the motion input ({cfg.temporal_input})"
                )
            if self.motion_encoder is not None:
                # Frozen CPU mode: RGB features shared with the spatial stream + encoded motion.
                extra = self.motion_encoder(self.scaled_prior(motion))
                maps += self.temporal_branches(features, fused_size, extra=extra)
            else:
                if cfg.temporal_input == "prior":
                    x = normalize_input(rgb, self.scaled_prior(motion), cfg.norm)  # (N, 4, H, W)
                else:
                    x = normalize_input(motion * 255.0, None, cfg.norm)  # flow colour image
                maps += self.temporal_branches(self.temporal_trunk(x), fused_size)
        return torch.cat(maps, dim=1)

    # ------------------------------------------------------------------ window part (Eq. 3-7)
    def head(
        self, xs: torch.Tensor, out_size: tuple[int, int], prior: torch.Tensor | None = None
    ) -> dict[str, torch.Tensor]:
        """Window maps xs (N, T, C_X, H', W') -> {'o_st', 'o_m', 'o_c', 'weights', 'logits'}.

        ``prior``: the motion input of each window's last frame, (N, M, H, W) at ``out_size``;
        needed (and only read) with ``model.prior_residual``.

        logits: (N, 1, H, W) at ``out_size``; the other entries are at (H', W') and only present
        for the variants that have them.
        """
        k = self.cfg.branch_channels
        last = xs[:, -1]
        n_levels = len(LEVELS)
        per_level = []
        for i in range(n_levels):
            parts = [last[:, i * k : (i + 1) * k]]  # X^s_ri
            if self.temporal_branches is not None:
                parts.append(last[:, (n_levels + i) * k : (n_levels + i + 1) * k])  # X^t_ri
            per_level.append(torch.cat(parts, dim=1))
        out = {"o_st": self.fusion(per_level)}  # Eq. 5
        maps = [out["o_st"]]
        if self.convlstm is not None:
            out["o_m"] = self.lstm_out(self.convlstm(xs))  # Eq. 3-4, many-to-one
            maps.append(out["o_m"])
        if self.conv3d is not None:
            out["o_c"] = self.conv3d(xs)  # Eq. 3
            maps.append(out["o_c"])
        if self.attention is not None:
            saliency, out["weights"] = self.attention(maps)  # Eq. 7
        else:
            saliency = sum(maps)  # element-wise addition of the ablations
        out["logits"] = F.interpolate(saliency, size=out_size, mode="bilinear", align_corners=False)
        if self.residual_gain is not None:  # model.prior_residual
            if prior is None or tuple(prior.shape[-2:]) != tuple(out_size):
                raise ValueError(f"model.prior_residual needs the last frame's prior at {out_size}")
            prior = self.scaled_prior(prior[:, :1]).to(saliency.dtype)
            prior = prior.clamp(PRIOR_EPS, 1 - PRIOR_EPS)
            out["logits"] = out["logits"] + self.residual_gain * torch.logit(prior)
        return out

    def forward(
        self,
        frames: torch.Tensor | None = None,
        motion: torch.Tensor | None = None,
        features: dict[str, torch.Tensor] | None = None,
    ) -> torch.Tensor:
        """Saliency logits of each window's last frame, (N, 1, H, W).

        frames (N, T, 3, H, W) RGB 0..255; motion (N, T, M, H, W) in 0..1; features (frozen mode)
        {level: (N, T, 512, H/8, W/8)}. Windows longer than ``frames_used`` are cut to their end.
        """
        t_used = self.cfg.frames_used
        source = features[LEVELS[0]] if features is not None else frames
        n, t = source.shape[:2]
        if t < t_used:
            raise ValueError(f"window of {t} frames, variant {self.cfg.variant} needs {t_used}")

        def flat(x):
            return None if x is None else x[:, t - t_used :].flatten(0, 1)

        flat_feats = None if features is None else {lv: flat(features[lv]) for lv in LEVELS}
        xs = self.frame_maps(flat(frames), flat(motion), flat_feats)
        xs = xs.view(n, t_used, *xs.shape[1:])
        size = (
            (source.shape[-2] * 8, source.shape[-1] * 8)
            if features is not None
            else tuple(frames.shape[-2:])
        )
        last_prior = None if motion is None else motion[:, -1]
        return self.head(xs, size, last_prior)["logits"]
