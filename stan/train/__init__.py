"""Training of STAN and its ablation variants (BCE loss, Adam), with an optional feature cache."""

from stan.train.config import TrainConfig
from stan.train.loop import train_model

__all__ = ["TrainConfig", "train_model"]
