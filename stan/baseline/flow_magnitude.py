"""The ``flow-magnitude`` baseline: residual motion after removing the camera's motion.

For each frame, a global motion model (a homography, or an affine model) is fitted with RANSAC to
correspondences sampled on a grid from the flow (p -> p + flow(p)). What the model does not
explain is object motion: the saliency is the magnitude of the residual flow, smoothed and
scaled per frame to [0, 1] by a robust maximum (a high percentile, never below ``min_motion``
pixels, so a nearly static frame is not stretched into noise).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np


@dataclass(frozen=True)
class FlowMagnitudeConfig:
    model: str = "homography"  # global motion model: "homography", "affine" or "none"
    grid_step: int = 8  # sampling step (pixels) of the correspondences used for the fit
    ransac_threshold: float = 1.0  # inlier threshold in pixels
    percentile: float = 99.0  # robust maximum used to scale the residual magnitude
    min_motion: float = 1.0  # residual magnitude (pixels) below which nothing counts as moving
    blur_sigma: float = 2.0  # Gaussian smoothing of the map (pixels); 0 disables it


def camera_flow(flow: np.ndarray, cfg: FlowMagnitudeConfig) -> np.ndarray:
    """The flow field of the fitted global (camera) motion model, (H, W, 2)."""
    h, w = flow.shape[:2]
    if cfg.model == "none":
        return np.zeros_like(flow)
    ys, xs = np.mgrid[
        cfg.grid_step // 2 : h : cfg.grid_step, cfg.grid_step // 2 : w : cfg.grid_step
    ]
    src = np.stack([xs.ravel(), ys.ravel()], 1).astype(np.float32)
    dst = src + flow[ys.ravel(), xs.ravel()]
    if len(src) < 4:
        return np.zeros_like(flow)
    if cfg.model == "homography":
        matrix, _ = cv2.findHomography(src, dst, cv2.RANSAC, cfg.ransac_threshold)
    elif cfg.model == "affine":
        affine, _ = cv2.estimateAffine2D(
            src, dst, method=cv2.RANSAC, ransacReprojThreshold=cfg.ransac_threshold
        )
        matrix = None if affine is None else np.vstack([affine, [0, 0, 1]])
    else:
        raise ValueError(f"unknown motion model {cfg.model!r} (config key baseline.model)")
    if matrix is None:  # degenerate fit: treat all motion as object motion
        return np.zeros_like(flow)
    gy, gx = np.mgrid[0:h, 0:w].astype(np.float32)
    pts = np.stack([gx, gy, np.ones_like(gx)], -1) @ matrix.T.astype(np.float32)
    mapped = pts[..., :2] / np.where(np.abs(pts[..., 2:]) < 1e-6, 1e-6, pts[..., 2:])
    return mapped - np.stack([gx, gy], -1)


def residual_magnitude(flow: np.ndarray, cfg: FlowMagnitudeConfig) -> np.ndarray:
    """Magnitude of the flow left after removing the camera motion, in pixels."""
    residual = flow - camera_flow(flow, cfg)
    return np.hypot(residual[..., 0], residual[..., 1])


def flow_magnitude_saliency(
    flow: np.ndarray, cfg: FlowMagnitudeConfig = FlowMagnitudeConfig()
) -> np.ndarray:
    """Saliency map in [0, 1] (float32, H x W) from one frame's flow."""
    mag = residual_magnitude(flow, cfg)
    if cfg.blur_sigma > 0:
        mag = cv2.GaussianBlur(mag, (0, 0), cfg.blur_sigma)
    scale = max(float(np.percentile(mag, cfg.percentile)), cfg.min_motion)
    return np.clip(mag / scale, 0.0, 1.0).astype(np.float32)
