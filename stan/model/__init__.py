"""The STAN network, its ablation variants and backbone initialisation."""

from stan.model.config import VARIANTS, ModelConfig, build_model

__all__ = ["VARIANTS", "ModelConfig", "build_model"]
