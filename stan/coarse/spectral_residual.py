"""Spectral residual saliency.

Hou and Zhang, "Saliency Detection: A Spectral Residual Approach", CVPR 2007. Natural images
share a smooth log-amplitude spectrum; what stands out from that average, the *spectral residual*,
marks the unexpected, salient parts of the image. On a grey image shrunk to ``size`` pixels on
its longer side (64 in the paper):

``L(f) = log |F(I)|``, ``P(f) = angle F(I)``, ``R(f) = L(f) - h_3 * L(f)`` (``h_3``: 3x3 mean
filter), ``S(x) = g * |F^-1[exp(R(f) + i P(f))]|^2`` with ``g`` a Gaussian blur.

The blur ``g`` is a Gaussian whose sigma is ``blur_fraction`` times the map's longer side (our
default 0.05, about 3 px on a 64 px map: a tunable choice, not a value from the paper). The method responds to small, compact, high-contrast details more
than to the interior of large objects; fusion weights decide how much it counts.
"""

from __future__ import annotations

import cv2
import numpy as np

from stan.coarse.resample import grow, shrink, stretch


def sr_saliency(image: np.ndarray, *, size: int = 64, blur_fraction: float = 0.05) -> np.ndarray:
    """Spectral residual saliency of an RGB ``uint8`` frame: float32 (H, W) in [0, 1]."""
    grey = cv2.cvtColor(shrink(image, size), cv2.COLOR_RGB2GRAY).astype(np.float32) / 255.0
    spectrum = np.fft.fft2(grey)
    log_amplitude = np.log(np.abs(spectrum) + 1e-8).astype(np.float32)
    phase = np.angle(spectrum)
    residual = log_amplitude - cv2.blur(log_amplitude, (3, 3), borderType=cv2.BORDER_REPLICATE)
    saliency = np.abs(np.fft.ifft2(np.exp(residual + 1j * phase))) ** 2
    sigma = blur_fraction * max(grey.shape)
    saliency = cv2.GaussianBlur(saliency.astype(np.float32), (0, 0), sigmaX=sigma)
    return grow(stretch(saliency), image.shape[:2])
