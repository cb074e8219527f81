"""Dense-CRF refinement of saliency maps at test time (paper section 4.2)."""

from stan.crf.config import CRFConfig
from stan.crf.dense import refine_map, saliency_unary, video_peak
from stan.crf.stage import refine_video

__all__ = ["CRFConfig", "refine_map", "refine_video", "saliency_unary", "video_peak"]
