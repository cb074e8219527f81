"""Frequency-tuned saliency.

Achanta, Hemami, Estrada and Suesstrunk, "Frequency-tuned Salient Region Detection", CVPR 2009.
The saliency of a pixel is the Euclidean distance, in CIELAB, between the mean colour of the
whole image and the pixel's colour after a small Gaussian blur (the paper's 5x5 binomial kernel,
which removes fine texture and noise while keeping the object's full extent):
``S(x) = || I_mean - I_blur(x) ||``. It needs no parameters and is very fast; it highlights
objects whose colour differs from the image's average.
"""

from __future__ import annotations

import cv2
import numpy as np

from stan.coarse.resample import grow, shrink, stretch, to_lab

_BINOMIAL = np.array([1, 4, 6, 4, 1], dtype=np.float32) / 16.0


def ft_saliency(image: np.ndarray, *, max_side: int = 400) -> np.ndarray:
    """Frequency-tuned saliency of an RGB ``uint8`` frame: float32 (H, W) in [0, 1]."""
    lab = to_lab(shrink(image, max_side))
    blurred = cv2.sepFilter2D(lab, -1, _BINOMIAL, _BINOMIAL, borderType=cv2.BORDER_REFLECT)
    mean = lab.reshape(-1, 3).mean(axis=0)
    saliency = np.linalg.norm(blurred - mean, axis=2)
    return grow(stretch(saliency), image.shape[:2])
