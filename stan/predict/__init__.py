"""Inference: sliding-window saliency maps for datasets, clips and video files."""

from stan.predict.api import predict_clip, predict_video_file
from stan.predict.stage import PredictConfig, load_model, predict_dataset

__all__ = ["PredictConfig", "load_model", "predict_clip", "predict_dataset", "predict_video_file"]
