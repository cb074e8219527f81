"""One frame's flow turned into what the prior network consumes: superpixels, the AlexNet input
image, bounding boxes and handcrafted statistics, all at the working resolution."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from stan.flow.visualize import flow_to_color
from stan.prior.config import PriorConfig
from stan.prior.handcrafted import fit_camera, handcrafted_features, motion_map, residual_motion
from stan.prior.superpixels import bounding_boxes, resize_flow, slic_labels


@dataclass
class PreparedFrame:
    image: np.ndarray  # (h, w, 3) uint8: the colour image fed to AlexNet
    labels: np.ndarray  # (h, w) int32 superpixel ids 0..n-1
    n: int  # number of superpixels
    boxes: np.ndarray  # (n, 4) int64 boxes x0, y0, x1, y1 (exclusive) at working size
    handcrafted: np.ndarray  # (n, 12) float32, see stan.prior.handcrafted
    motion: np.ndarray  # (h, w) float32 in [0, 1]: pixel-level camera-compensated motion
    full_shape: tuple[int, int]  # (H, W) of the frame


def prepare_frame(flow: np.ndarray, cfg: PriorConfig) -> PreparedFrame:
    """Superpixels and per-superpixel inputs of one (H, W, 2) flow field."""
    small = resize_flow(flow, cfg.work_scale)
    flow_rgb = flow_to_color(small)
    labels = slic_labels(flow_rgb, cfg.n_segments, cfg.compactness)
    n = int(labels.max()) + 1
    camera = fit_camera(small)
    image = flow_rgb if cfg.alexnet_input == "flow" else flow_to_color(small - camera)
    hand = handcrafted_features(small, camera, labels, n, cfg.work_scale)
    return PreparedFrame(
        image=image,
        labels=labels,
        n=n,
        boxes=bounding_boxes(labels, n),
        handcrafted=hand,
        motion=motion_map(residual_motion(small, camera, cfg.work_scale)[1], cfg.work_scale),
        full_shape=tuple(flow.shape[:2]),
    )
