"""F-measure (Achanta et al., CVPR 2009) over 256 thresholds and at the adaptive threshold.

F_beta = (1 + beta^2) P R / (beta^2 P + R) with beta^2 = 0.3, as PySODMetrics' ``Fmeasure``
(whose ``beta`` argument is beta^2). Curve index i is the threshold ``q >= 255 - i`` on the
stretched map re-quantised to 0..255 (index 0 is the strictest; index 255 keeps every pixel).
Degenerate cases follow PySODMetrics: a threshold that keeps no pixel has precision 0, an empty
ground truth has recall 0, and F is 0 wherever P * R is 0.
"""

from __future__ import annotations

import numpy as np

from stan.metrics.prepare import PreparedPair

BETA2 = 0.3


def threshold_counts(fg_hist: np.ndarray, bg_hist: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pixels at or above each of the 256 thresholds (strictest first): (foreground, background)."""
    return np.cumsum(fg_hist[::-1]), np.cumsum(bg_hist[::-1])


def pr_curves(pair: PreparedPair, beta2: float = BETA2) -> tuple[np.ndarray, ...]:
    """Precision, recall and F-measure, each (256,), at thresholds 255 - i for i = 0..255."""
    fg_hist, bg_hist = pair.quantized_hists()
    tp, fp = threshold_counts(fg_hist, bg_hist)
    predicted = tp + fp
    predicted[predicted == 0] = 1  # no pixel kept: tp is 0 as well, so precision is 0
    precision = tp / predicted
    recall = tp / max(pair.n_fg, 1)
    numerator = (1 + beta2) * precision * recall
    denominator = np.where(numerator == 0, 1, beta2 * precision + recall)
    return precision, recall, numerator / denominator


def adaptive_fmeasure(pair: PreparedPair, beta2: float = BETA2) -> float:
    """F-measure of the map binarised at min(2 * mean, 1) (Achanta's adaptive threshold)."""
    tp, predicted = pair.adaptive_mask_counts()
    if tp == 0:
        return 0.0
    precision = tp / predicted
    recall = tp / pair.n_fg
    return float((1 + beta2) * precision * recall / (beta2 * precision + recall))
