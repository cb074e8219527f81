"""The one adapter from a :class:`ModelConfig` to a :class:`STAN` network with its weights."""

from __future__ import annotations

import torch

from stan.model.config import ModelConfig
from stan.model.stan import STAN
from stan.model.weights import init_trunk, load_vgg16_state


def build_model(cfg: ModelConfig | dict, *, load_backbone: bool = True, seed: int = 0):
    """Build a :class:`stan.model.stan.STAN` from its config.

    ``load_backbone`` loads the pretrained trunk weights named by ``backbone_init`` /
    ``backbone_weights`` (set it False when a checkpoint's weights will be loaded next).
    ``seed`` draws the Gaussian extra-channel filters reproducibly.
    """
    cfg = ModelConfig.from_dict(cfg)
    model = STAN(cfg)
    if load_backbone:
        state = load_vgg16_state(cfg.backbone_init, cfg.backbone_weights)
        generator = torch.Generator().manual_seed(seed)
        init_trunk(model.spatial_trunk, state, extra_std=cfg.first_conv_std, generator=generator)
        if model.temporal_trunk is not None:
            init_trunk(
                model.temporal_trunk, state, extra_std=cfg.first_conv_std, generator=generator
            )
        model.copy_conv5_from_trunk()
    if cfg.frozen_backbone:
        for trunk in (model.spatial_trunk, model.temporal_trunk):
            if trunk is not None:
                trunk.requires_grad_(False)
    return model


__all__ = ["build_model"]
