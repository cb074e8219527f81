"""Superpixel training labels from a ground-truth mask.

The label of a superpixel is the fraction of its pixels that are salient (a soft target for the
binary cross-entropy); it counts as a positive, for class balancing, when that fraction is at
least ``label_threshold`` (default 0.5).
"""

from __future__ import annotations

import cv2
import numpy as np


def mask_to_work(mask: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """A boolean (H, W) mask as a float coverage map at ``shape`` (area averaging)."""
    m = mask.astype(np.float32)
    if m.shape == tuple(shape):
        return m
    return cv2.resize(m, (shape[1], shape[0]), interpolation=cv2.INTER_AREA)


def superpixel_fractions(labels: np.ndarray, n: int, coverage: np.ndarray) -> np.ndarray:
    """Fraction of salient pixels in each of the ``n`` superpixels, float32 (n,)."""
    flat = labels.ravel()
    area = np.bincount(flat, minlength=n).astype(np.float64)
    salient = np.bincount(flat, weights=coverage.ravel().astype(np.float64), minlength=n)
    return (salient / np.maximum(area, 1)).astype(np.float32)
