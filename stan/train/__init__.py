"""Training of STAN and its ablation variants (BCE loss, Adam), with an optional feature cache."""

from stan.train.config import TrainConfig
from stan.train.features import cache_features
from stan.train.loop import train_model

__all__ = ["TrainConfig", "cache_features", "train_model"]
