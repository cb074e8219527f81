"""Working at reduced resolution: shrink a frame, bring a map back, stretch a map to [0, 1].

The training-free saliency methods of this package are computed on a frame whose longer side is
at most ``max_side`` pixels (their authors also work on small images: MBD on 300 px, spectral
residual on 64 px) and their maps are resized back to the frame's size with bilinear
interpolation.
"""

from __future__ import annotations

import cv2
import numpy as np


def shrink(image: np.ndarray, max_side: int) -> np.ndarray:
    """Resize ``image`` (area interpolation) so that its longer side is at most ``max_side``."""
    h, w = image.shape[:2]
    scale = max_side / max(h, w)
    if scale >= 1:
        return image
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA)


def grow(saliency: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Resize a float map to ``shape`` = (H, W) with bilinear interpolation."""
    if saliency.shape[:2] == tuple(shape):
        return saliency.astype(np.float32, copy=False)
    size = (int(shape[1]), int(shape[0]))
    return cv2.resize(saliency.astype(np.float32), size, interpolation=cv2.INTER_LINEAR)


def stretch(saliency: np.ndarray) -> np.ndarray:
    """Min-max normalise a map to float32 [0, 1]; a constant map becomes all zeros."""
    saliency = np.asarray(saliency, dtype=np.float32)
    low, high = float(saliency.min()), float(saliency.max())
    if not np.isfinite(low) or not np.isfinite(high):
        raise ValueError("saliency map holds NaN or infinite values")
    if high - low <= 1e-12:
        return np.zeros_like(saliency)
    return (saliency - low) / (high - low)


def to_lab(image: np.ndarray) -> np.ndarray:
    """RGB ``uint8`` -> CIELAB float32 with L in [0, 100] and a, b roughly in [-128, 127]."""
    rgb = image.astype(np.float32) / 255.0
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2Lab)
