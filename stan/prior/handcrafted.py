"""Cheap per-superpixel statistics appended to the deep features (what ref. 48-style motion
saliency systems feed their classifiers besides CNN features).

The camera motion is a homography fitted to the flow with RANSAC (the ``flow-magnitude``
baseline's model); the residual flow is what it does not explain. Per superpixel (all in [0, 1]
or log-compressed, so they need no further normalisation):

 0. mean of the normalised residual magnitude (residual / robust frame maximum, clipped to 1;
    the robust maximum is the 99th percentile, at least 1 pixel) -- the baseline's value,
 1. its standard deviation, 2. its maximum,
 3. log(1 + mean residual magnitude in pixels of the full-size frame),
 4. log(1 + the frame's robust residual maximum in pixels) (frame context: how much moves),
 5. log(1 + the median camera-motion magnitude in pixels) (frame context: camera speed),
 6. mean raw flow magnitude / the frame's maximum raw magnitude,
 7. log(1 + superpixel mean residual / frame mean residual) (contrast with the frame),
 8.-9. centroid x / width and y / height, 10. sqrt(area fraction), 11. touches the border.
"""

from __future__ import annotations

import cv2
import numpy as np
from scipy import ndimage

from stan.baseline.flow_magnitude import FlowMagnitudeConfig, camera_flow

N_HANDCRAFTED = 12


def residual_motion(flow: np.ndarray, camera: np.ndarray, work_scale: float):
    """(residual magnitude in full-size pixels, the same normalised to [0, 1], robust maximum).

    The normalisation is the ``flow-magnitude`` baseline's: divide by the 99th percentile (at
    least 1 pixel) and clip.
    """
    residual = np.hypot(*(flow - camera).transpose(2, 0, 1)) / work_scale
    robust = max(float(np.percentile(residual, 99)), 1.0)
    return residual, np.clip(residual / robust, 0, 1), robust


def motion_map(norm: np.ndarray, work_scale: float) -> np.ndarray:
    """The pixel-level motion map used by ``prior.refine: motion``: the normalised residual
    smoothed like the baseline's map (Gaussian, sigma 2 full-size pixels), float32 in [0, 1]."""
    sigma = FlowMagnitudeConfig().blur_sigma * work_scale
    return cv2.GaussianBlur(norm.astype(np.float32), (0, 0), sigma) if sigma > 0 else norm


def handcrafted_features(
    flow: np.ndarray, camera: np.ndarray, labels: np.ndarray, n: int, work_scale: float
) -> np.ndarray:
    """(n, 12) float32 statistics of the superpixels ``labels`` of an (h, w, 2) working-size flow.

    ``camera`` is the fitted camera flow at the same size; ``work_scale`` converts pixel units
    back to the full-size frame.
    """
    h, w = labels.shape
    flat = labels.ravel()
    residual, norm, robust = residual_motion(flow, camera, work_scale)
    norm = norm.ravel().astype(np.float64)
    raw = np.hypot(flow[..., 0], flow[..., 1])
    cam = np.hypot(camera[..., 0], camera[..., 1]) / work_scale

    area = np.maximum(np.bincount(flat, minlength=n).astype(np.float64), 1)

    def mean(values):
        return np.bincount(flat, weights=values, minlength=n) / area

    m = mean(norm)
    sd = np.sqrt(np.maximum(mean(norm**2) - m**2, 0))
    mx = ndimage.maximum(norm.reshape(h, w), labels, np.arange(n))
    res_mean = mean(residual.ravel().astype(np.float64))
    raw_mean = mean(raw.ravel().astype(np.float64)) / max(float(raw.max()), 1e-6)
    ys, xs = np.mgrid[0:h, 0:w]
    cx = mean(xs.ravel() + 0.5) / w
    cy = mean(ys.ravel() + 0.5) / h
    border = np.zeros(n, bool)
    border[np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))] = True
    frame_mean = float(residual.mean())
    feats = np.stack(
        [
            m,
            sd,
            mx,
            np.log1p(res_mean),
            np.full(n, np.log1p(robust)),
            np.full(n, np.log1p(float(np.median(cam)))),
            raw_mean,
            np.log1p(res_mean / (frame_mean + 1e-3)),
            cx,
            cy,
            np.sqrt(area / (h * w)),
            border.astype(np.float64),
        ],
        axis=1,
    )
    return feats.astype(np.float32)


def fit_camera(flow: np.ndarray) -> np.ndarray:
    """Camera flow of an (h, w, 2) working-size flow: a RANSAC homography (baseline settings)."""
    return camera_flow(flow, FlowMagnitudeConfig())
