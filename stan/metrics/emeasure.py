"""Enhanced-alignment measure (Fan et al., IJCAI 2018) over 256 thresholds and adaptively.

For a binary prediction B and ground truth G (both demeaned over the image), the alignment of a
pixel is 2 b g / (b^2 + g^2), enhanced as (1 + align)^2 / 4 and averaged as sum / (N - 1 + eps).
A binary image has only four (B, G) value pairs, so the sum is four counts times four constants:
this is exactly PySODMetrics' ``Emeasure`` including its special cases (an empty ground truth
scores the fraction of predicted background, a full one the fraction of predicted foreground).
Its curve can exceed 1 by ~1e-4 because of the N - 1 denominator, as in the reference.
"""

from __future__ import annotations

import numpy as np

from stan.metrics.fmeasure import threshold_counts
from stan.metrics.prepare import EPS, PreparedPair


def enhanced_alignment(
    tp: np.ndarray | int, fp: np.ndarray | int, n_fg: int, n_pixels: int
) -> np.ndarray | float:
    """E-measure from true/false-positive counts (scalars or arrays over thresholds)."""
    tp = np.asarray(tp, dtype=np.int64)
    fp = np.asarray(fp, dtype=np.int64)
    predicted = tp + fp
    pred_bg = n_pixels - predicted
    if n_fg == 0:
        total = pred_bg
    elif n_fg == n_pixels:
        total = predicted
    else:
        fn = n_fg - tp
        tn = pred_bg - fn
        pred_mean = predicted / n_pixels
        gt_mean = n_fg / n_pixels
        pred_values = (1 - pred_mean, 0 - pred_mean)  # demeaned value of predicted fg / bg
        gt_values = (1 - gt_mean, 0 - gt_mean)  # demeaned value of gt fg / bg
        parts = ((tp, 0, 0), (fp, 0, 1), (fn, 1, 0), (tn, 1, 1))
        total = 0
        for count, pi, gi in parts:
            b, g = pred_values[pi], gt_values[gi]
            align = 2 * (b * g) / (b**2 + g**2 + EPS)
            total = total + (align + 1) ** 2 / 4 * count
    return total / (n_pixels - 1 + EPS)


def emeasure_curve(pair: PreparedPair) -> np.ndarray:
    """E-measure (256,) at thresholds 255 - i on the re-quantised map, like the F curve."""
    tp, fp = threshold_counts(*pair.quantized_hists())
    return np.asarray(enhanced_alignment(tp, fp, pair.n_fg, pair.n_pixels), dtype=np.float64)


def adaptive_emeasure(pair: PreparedPair) -> float:
    """E-measure of the map binarised at min(2 * mean, 1)."""
    tp, predicted = pair.adaptive_mask_counts()
    return float(enhanced_alignment(tp, predicted - tp, pair.n_fg, pair.n_pixels))
