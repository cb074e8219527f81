"""Weighted F-measure (Margolin et al., CVPR 2014), as PySODMetrics' ``WeightedFmeasure``.

The error map E = |pred - gt| is made "pixel dependent" (a background pixel takes the error of
its nearest foreground pixel, a 7x7 Gaussian with sigma 5 smooths that map, and inside the object
the smaller of smoothed and raw error counts) and "pixel important" (background errors weigh
2 - 0.5^(d / 5), d the distance to the object). beta = 1 here (an F1), as in the reference, and a
frame with an empty ground truth scores 0.

Two exact shortcuts keep this fast without changing a single result:

- the smoothed map only matters on the object, so it is computed on the object's bounding box
  grown by the kernel radius (every pixel the kernel reaches), with SciPy's exact Euclidean
  feature transform, the one the reference uses, so equidistant ties resolve identically;
- background pixels only need their distance d to the object, and only where the prediction is
  non-zero (on the background E is the prediction itself). OpenCV's exact distance transform
  gives float32 distances; squaring and rounding recovers the integer d^2 exactly while
  d^2 < 2^20, and sqrt in float64 then reproduces SciPy's value bit for bit. Larger distances
  (frames over ~1000 px) take SciPy's distance instead.
"""

from __future__ import annotations

import cv2
import numpy as np
from scipy.ndimage import distance_transform_edt

from stan.metrics.prepare import EPS, PreparedPair

BETA2 = 1.0
KERNEL_RADIUS = 3
EXACT_SQUARED_DISTANCE_LIMIT = 2**20  # float32 distances round back to d^2 exactly below this


def matlab_gaussian(size: int = 7, sigma: float = 5.0) -> np.ndarray:
    """MATLAB's ``fspecial('gaussian', size, sigma)``: a normalised square Gaussian kernel."""
    r = (size - 1) / 2
    y, x = np.ogrid[-r : r + 1, -r : r + 1]
    kernel = np.exp(-(x * x + y * y) / (2 * sigma * sigma))
    kernel[kernel < np.finfo(kernel.dtype).eps * kernel.max()] = 0
    return kernel / kernel.sum()


_KERNEL = matlab_gaussian(2 * KERNEL_RADIUS + 1)


def object_errors(pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """min(E, Gaussian-smoothed dependent error) at each foreground pixel (1-D, raster order)."""
    h, w = gt.shape
    rows = np.flatnonzero(gt.any(axis=1))
    cols = np.flatnonzero(gt.any(axis=0))
    r0, r1 = max(rows[0] - KERNEL_RADIUS, 0), min(rows[-1] + KERNEL_RADIUS + 1, h)
    c0, c1 = max(cols[0] - KERNEL_RADIUS, 0), min(cols[-1] + KERNEL_RADIUS + 1, w)
    gt_box = gt[r0:r1, c0:c1]
    error = np.abs(pred[r0:r1, c0:c1] - gt_box)
    # every foreground pixel lies in the box, so nearest-foreground indices are the global ones
    iy, ix = distance_transform_edt(~gt_box, return_distances=False, return_indices=True)
    # foreground pixels index themselves: one gather gives E inside, E(nearest fg) outside
    dependent = np.take(error, iy * gt_box.shape[1] + ix)
    # symmetric kernel: correlation (OpenCV) equals convolution (MATLAB imfilter), zero padding;
    # the box edge is at least the kernel radius from any foreground pixel or at the image edge
    smoothed = cv2.filter2D(dependent, -1, _KERNEL, borderType=cv2.BORDER_CONSTANT)
    return np.minimum(smoothed[gt_box], error[gt_box])


def background_distances(
    gt: np.ndarray, where: np.ndarray, limit: int = EXACT_SQUARED_DISTANCE_LIMIT
) -> np.ndarray:
    """Euclidean distance to the nearest foreground pixel at the pixels ``where`` (float64)."""
    approx = cv2.distanceTransform((~gt).view(np.uint8), cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
    squared = np.rint(approx[where].astype(np.float64) ** 2)
    if squared.size and squared.max() >= limit:
        return distance_transform_edt(~gt)[where]
    return np.sqrt(squared)


def weighted_fmeasure(pair: PreparedPair, beta2: float = BETA2) -> float:
    """Weighted F-measure of one frame."""
    gt = pair.gt
    if pair.n_fg == 0:
        return 0.0
    fg_error = object_errors(pair.pred, gt)
    counted = ~gt & (pair.pred > 0)  # background pixels with a non-zero error
    importance = 2 - np.exp(np.log(0.5) / 5 * background_distances(gt, counted))
    fp = (pair.pred[counted] * importance).sum()
    tp = pair.n_fg - fg_error.sum()
    recall = 1 - fg_error.mean()
    precision = tp / (tp + fp + EPS)
    return float((1 + beta2) * recall * precision / (recall + beta2 * precision + EPS))
