"""The STAN network, its ablation variants and backbone initialisation."""

from stan.model.build import build_model
from stan.model.config import VARIANTS, ModelConfig

__all__ = ["VARIANTS", "ModelConfig", "build_model"]
