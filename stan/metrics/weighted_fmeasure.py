"""Weighted F-measure (Margolin et al., CVPR 2014), as PySODMetrics' ``WeightedFmeasure``.

The error map E = |pred - gt| is made "pixel dependent" (a background pixel takes the error of
its nearest foreground pixel, then a 7x7 Gaussian with sigma 5 smooths it, keeping the smaller of
smoothed and raw error inside the object) and "pixel important" (background errors weigh
2 - 0.5^(d / 5), d the distance to the object). beta = 1 here (an F1), as in the reference, and a
frame with an empty ground truth scores 0.

The nearest-foreground indices come from SciPy's exact Euclidean distance transform, the one the
reference uses, so ties between equidistant pixels resolve identically.
"""

from __future__ import annotations

import cv2
import numpy as np
from scipy.ndimage import distance_transform_edt

from stan.metrics.prepare import EPS, PreparedPair

BETA2 = 1.0


def matlab_gaussian(size: int = 7, sigma: float = 5.0) -> np.ndarray:
    """MATLAB's ``fspecial('gaussian', size, sigma)``: a normalised square Gaussian kernel."""
    r = (size - 1) / 2
    y, x = np.ogrid[-r : r + 1, -r : r + 1]
    kernel = np.exp(-(x * x + y * y) / (2 * sigma * sigma))
    kernel[kernel < np.finfo(kernel.dtype).eps * kernel.max()] = 0
    return kernel / kernel.sum()


_KERNEL = matlab_gaussian()


def weighted_fmeasure(pair: PreparedPair, beta2: float = BETA2) -> float:
    """Weighted F-measure of one frame."""
    gt = pair.gt
    if pair.n_fg == 0:
        return 0.0
    background = ~gt
    h, w = gt.shape
    iy, ix = distance_transform_edt(background, return_distances=False, return_indices=True)
    # the distance SciPy would return, computed the same way from the nearest-pixel indices
    dy = iy - np.arange(h, dtype=iy.dtype)[:, None]
    dx = ix - np.arange(w, dtype=ix.dtype)[None, :]
    dist = np.sqrt(dy * dy + dx * dx, dtype=np.float64)
    error = np.abs(pair.pred - gt)
    # foreground pixels index themselves, so one gather gives E inside and E(nearest fg) outside
    dependent = np.take(error, iy * w + ix)
    # a symmetric kernel: correlation (OpenCV) equals convolution (MATLAB imfilter/SciPy), zero pad
    smoothed = cv2.filter2D(dependent, -1, _KERNEL, borderType=cv2.BORDER_CONSTANT)
    min_error = np.where(gt & (smoothed < error), smoothed, error)
    importance = np.where(background, 2 - np.exp(np.log(0.5) / 5 * dist), 1.0)
    weighted = min_error * importance
    fg_error = weighted[gt]
    tp = pair.n_fg - fg_error.sum()
    fp = weighted[background].sum()
    recall = 1 - fg_error.mean()
    precision = tp / (tp + fp + EPS)
    return float((1 + beta2) * recall * precision / (recall + beta2 * precision + EPS))
