"""DAVIS-2016 region (J) and boundary (F) measures and their Mean / Recall / Decay statistics.

Definitions of the official DAVIS toolkit (Perazzi et al., CVPR 2016):

- J is the intersection over union of two binary masks, 1 when both are empty.
- F is the F1 of boundary precision and recall. Boundaries are the pixels that differ from their
  right, lower or lower-right neighbour (the last row compares only to the right, the last column
  only downwards, the bottom-right pixel is never a boundary). A boundary pixel matches when the
  other boundary lies within ``ceil(0.008 * image diagonal)`` pixels, i.e. inside its dilation by
  a disk of that radius (8 px at 854x480). An empty boundary has precision 1 (recall 1) when the
  other one is non-empty on the prediction (ground-truth) side: F is 1 when both are empty and 0
  when only one is.
- Per sequence: Mean, Recall (fraction of frames scoring > 0.5) and Decay (mean of the first of
  four temporal bins minus the mean of the last), over every frame but the first and the last.

The toolkit works on binary masks; a saliency map is binarised first with ``binarize``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

BOUNDARY_TOLERANCE = 0.008  # fraction of the image diagonal
RECALL_THRESHOLD = 0.5
N_DECAY_BINS = 4


def binarize(saliency: np.ndarray, threshold: int = 128) -> np.ndarray:
    """Foreground mask ``saliency >= threshold`` of an 8-bit map (128 = half of 255, the default)."""
    if not 1 <= threshold <= 255:
        raise ValueError(f"binarisation threshold must be in 1..255, got {threshold}")
    return np.asarray(saliency) >= threshold


def jaccard(pred: np.ndarray, gt: np.ndarray) -> float:
    """Region similarity J: |pred & gt| / |pred | gt|, and 1 when both masks are empty."""
    pred, gt = _check_pair(pred, gt)
    union = np.count_nonzero(pred | gt)
    if union == 0:
        return 1.0
    return np.count_nonzero(pred & gt) / union


def jaccard_curve(saliency: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """J of ``saliency >= t`` for every 8-bit threshold t = 0..255 (index t), float64 (256,).

    Equals ``jaccard(binarize(saliency, t), gt)`` for t >= 1 (t = 0 keeps every pixel), from two
    256-bin histograms instead of 256 masks.
    """
    saliency = np.asarray(saliency)
    if saliency.dtype != np.uint8:
        raise ValueError(f"jaccard_curve needs an 8-bit map, got {saliency.dtype}")
    gt = _check_pair(saliency, gt)[1]
    fg = np.bincount(saliency[gt], minlength=256)
    bg = np.bincount(saliency[~gt], minlength=256)
    tp = np.cumsum(fg[::-1])[::-1]  # pixels >= t on the object
    fp = np.cumsum(bg[::-1])[::-1]
    union = int(gt.sum()) + fp
    return np.where(union == 0, 1.0, tp / np.maximum(union, 1))


def boundary_map(mask: np.ndarray) -> np.ndarray:
    """One-pixel boundary of a binary mask, as the toolkit's ``seg2bmap`` at full resolution."""
    mask = np.asarray(mask, dtype=bool)
    boundary = np.zeros_like(mask)
    # a pixel differing from its right, lower or lower-right neighbour (inside the image)
    boundary[:-1, :-1] = (
        (mask[:-1, :-1] != mask[:-1, 1:])
        | (mask[:-1, :-1] != mask[1:, :-1])
        | (mask[:-1, :-1] != mask[1:, 1:])
    )
    boundary[-1, :-1] = mask[-1, :-1] != mask[-1, 1:]  # last row: right neighbour only
    boundary[:-1, -1] = mask[:-1, -1] != mask[1:, -1]  # last column: lower neighbour only
    boundary[-1, -1] = False
    return boundary


def boundary_tolerance(shape: tuple[int, int], tolerance: float = BOUNDARY_TOLERANCE) -> int:
    """Match radius in pixels: ``tolerance`` itself when >= 1, else ceil(tolerance * diagonal)."""
    if tolerance >= 1:
        return int(tolerance)
    return math.ceil(tolerance * math.hypot(*shape))


def disk(radius: int) -> np.ndarray:
    """Disk structuring element, (2r+1)^2 ``uint8`` with x^2 + y^2 <= r^2 (skimage's ``disk``)."""
    y, x = np.ogrid[-radius : radius + 1, -radius : radius + 1]
    return (x * x + y * y <= radius * radius).astype(np.uint8)


def boundary_fmeasure(
    pred: np.ndarray, gt: np.ndarray, tolerance: float = BOUNDARY_TOLERANCE
) -> float:
    """Contour accuracy F of two binary masks (see the module docstring)."""
    pred, gt = _check_pair(pred, gt)
    pred_boundary = boundary_map(pred)
    gt_boundary = boundary_map(gt)
    n_pred = np.count_nonzero(pred_boundary)
    n_gt = np.count_nonzero(gt_boundary)
    if n_pred == 0 or n_gt == 0:
        return 1.0 if n_pred == n_gt else 0.0
    kernel = disk(boundary_tolerance(gt.shape, tolerance))
    # binary dilation by a symmetric disk; OpenCV leaves out-of-image pixels out, like skimage
    pred_zone = cv2.dilate(pred_boundary.view(np.uint8), kernel).view(bool)
    gt_zone = cv2.dilate(gt_boundary.view(np.uint8), kernel).view(bool)
    precision = np.count_nonzero(pred_boundary & gt_zone) / n_pred
    recall = np.count_nonzero(gt_boundary & pred_zone) / n_gt
    if precision + recall == 0:
        return 0.0
    return float(2 * precision * recall / (precision + recall))


def _check_pair(pred: np.ndarray, gt: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    pred = np.asarray(pred, dtype=bool)
    gt = np.asarray(gt, dtype=bool)
    if pred.ndim != 2 or pred.shape != gt.shape:
        raise ValueError(f"masks must be equal 2-D arrays, got {pred.shape} and {gt.shape}")
    return pred, gt


@dataclass(frozen=True)
class SequenceStatistics:
    """DAVIS statistics of one per-frame measure over a sequence."""

    mean: float
    recall: float
    decay: float


def decay_bin_edges(n: int, n_bins: int = N_DECAY_BINS) -> list[int]:
    """Bin edges k (n - 1) / n_bins for k = 0..n_bins, rounded half up (the toolkit's rule).

    The toolkit computes ``round(linspace(1, n, n_bins + 1) + 1e-10) - 1``: the 1e-10 turns
    NumPy's half-to-even rounding into half-up, which matters whenever k (n - 1) / 4 ends in .5
    (n % 4 == 3). Integer arithmetic gives the same edges exactly.
    """
    return [(2 * k * (n - 1) + n_bins) // (2 * n_bins) for k in range(n_bins + 1)]


def sequence_statistics(
    values: np.ndarray, exclude_ends: bool = True, threshold: float = RECALL_THRESHOLD
) -> SequenceStatistics:
    """Mean, Recall (fraction > ``threshold``) and Decay of per-frame values in temporal order.

    With ``exclude_ends`` (the DAVIS protocol) the first and last frames are dropped first. Decay
    splits the frames into 4 bins at ``decay_bin_edges`` (each bin includes both of its edges) and
    is mean(first bin) - mean(last bin). With no frame left all three are NaN.
    """
    values = np.asarray(values, dtype=np.float64)
    if exclude_ends:
        values = values[1:-1]
    if values.size == 0:
        return SequenceStatistics(math.nan, math.nan, math.nan)
    edges = decay_bin_edges(values.size)
    first = values[edges[0] : edges[1] + 1]
    last = values[edges[-2] : edges[-1] + 1]
    return SequenceStatistics(
        mean=float(values.mean()),
        recall=float(np.mean(values > threshold)),
        decay=float(first.mean() - last.mean()),
    )
