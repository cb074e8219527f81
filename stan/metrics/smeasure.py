"""Structure measure (Fan et al., ICCV 2017): S = alpha * S_object + (1 - alpha) * S_region.

Follows PySODMetrics' ``Smeasure`` (alpha = 0.5): an empty ground truth scores 1 - mean(pred), a
full one mean(pred). S_object compares foreground and background value distributions
(2 m / (m^2 + 1 + std + eps), sample standard deviation); S_region splits both maps into four
quadrants at the rounded ground-truth centroid and sums their SSIMs weighted by area.

Statistics come from per-quadrant histograms of the 8-bit levels, so each quadrant costs one
``bincount``; the quadrant means are taken over the pixels as the reference does, which keeps its
exact zero/non-zero branches of the SSIM.

One documented deviation: when the centroid rounds to the last row or column a quadrant is empty
and the reference returns NaN for the whole frame (0 * NaN); here an empty quadrant contributes
nothing, the limit of its weight going to zero.
"""

from __future__ import annotations

import numpy as np

from stan.metrics.prepare import EPS, N_LEVELS, PreparedPair, region_hists

ALPHA = 0.5


def _object_similarity(values: np.ndarray, counts: np.ndarray) -> float:
    """2 m / (m^2 + 1 + s + eps) of the pixels whose values are ``values`` x ``counts``."""
    n = counts.sum()
    mean = (counts * values).sum() / n
    std = np.sqrt((counts * (values - mean) ** 2).sum() / (n - 1)) if n > 1 else 0.0
    return 2 * mean / (mean**2 + 1 + std + EPS)


def object_score(pair: PreparedPair) -> float:
    """Foreground and background object similarities weighted by the foreground fraction."""
    gt_mean = pair.n_fg / pair.n_pixels
    fg = _object_similarity(pair.levels, pair.fg_hist) * gt_mean
    bg = _object_similarity(1 - pair.levels, pair.bg_hist) * (1 - gt_mean)
    return float(fg + bg)


def _quadrant_ssim(pred: np.ndarray, code: np.ndarray, levels: np.ndarray) -> float:
    """SSIM of one quadrant as in the S-measure (whole-region statistics, N - 1 normalisation)."""
    n = pred.size
    hists = region_hists(code)
    bg_hist, fg_hist = hists[:N_LEVELS], hists[N_LEVELS:]
    n_fg = fg_hist.sum()
    x = pred.mean()
    y = n_fg / n
    dx = levels - x
    sigma_x = ((bg_hist + fg_hist) * dx**2).sum() / (n - 1 + EPS)
    sigma_y = (n_fg * (1 - y) ** 2 + (n - n_fg) * y**2) / (n - 1 + EPS)
    sigma_xy = ((fg_hist * dx).sum() * (1 - y) + (bg_hist * dx).sum() * (0 - y)) / (n - 1 + EPS)
    alpha = 4 * x * y * sigma_xy
    beta = (x**2 + y**2) * (sigma_x + sigma_y)
    if alpha != 0:
        return float(alpha / (beta + EPS))
    return 1.0 if beta == 0 else 0.0


def region_score(pair: PreparedPair) -> float:
    """Area-weighted SSIM of the four quadrants around the ground-truth centroid."""
    gt = pair.gt
    h, w = gt.shape
    area = h * w
    n_fg = pair.n_fg
    # centroid, rounded half to even like numpy's round, then the MATLAB 1-based "+ 1"
    cy = np.round((gt.sum(axis=1) @ np.arange(h)) / n_fg)
    cx = np.round((gt.sum(axis=0) @ np.arange(w)) / n_fg)
    cy, cx = int(cy) + 1, int(cx) + 1
    w_lt = cx * cy / area
    w_rt = cy * (w - cx) / area
    w_lb = (h - cy) * cx / area
    weights = (w_lt, w_rt, w_lb, 1 - w_lt - w_rt - w_lb)
    rows = (slice(0, cy), slice(0, cy), slice(cy, h), slice(cy, h))
    cols = (slice(0, cx), slice(cx, w), slice(0, cx), slice(cx, w))
    score = 0.0
    for weight, r, c in zip(weights, rows, cols, strict=True):
        region = pair.pred[r, c]
        if region.size:
            score += _quadrant_ssim(region, pair.code[r, c], pair.levels) * weight
    return score


def smeasure(pair: PreparedPair, alpha: float = ALPHA) -> float:
    """S-measure of one frame."""
    if pair.n_fg == 0:
        return float(1 - pair.pred.mean())
    if pair.n_fg == pair.n_pixels:
        return float(pair.pred.mean())
    return max(0.0, alpha * object_score(pair) + (1 - alpha) * region_score(pair))
