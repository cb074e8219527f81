"""Shared first step of the saliency metrics: normalise a map and count it against the truth.

PySODMetrics (and the MATLAB toolboxes it mirrors) divides an 8-bit map by 255 and stretches it
to [0, 1] per image (``mapminmax``) when its maximum and minimum differ. An 8-bit map has at most
256 distinct values, so every metric that depends on the values only through counts (F-measure,
E-measure, their adaptive forms, MAE, the object part of the S-measure) can be computed from two
256-bin histograms: the map values on ground-truth foreground and on background. The stretch is
applied to the 256 possible values once (a look-up table, with exactly the same floating-point
operations as PySODMetrics), never to the pixels one by one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

N_LEVELS = 256
EPS = float(np.spacing(1))  # MATLAB's eps, the constant every SOD toolbox adds to denominators


@dataclass(frozen=True)
class PreparedPair:
    """A prediction and its ground truth in the form every saliency metric starts from.

    Attributes:
        raw: the 8-bit prediction (H, W) as given.
        gt: the ground-truth mask (H, W), ``bool``.
        levels: float64 (256,), the normalised value of each raw 8-bit level.
        pred: float64 (H, W), the normalised prediction ``levels[raw]``.
        fg_hist: int64 (256,), number of ground-truth foreground pixels per raw level.
        bg_hist: int64 (256,), number of background pixels per raw level.
        code: intp (H, W), ``raw + 256 * gt``: one integer per pixel that a ``bincount`` turns
            into both histograms of any image region.
    """

    raw: np.ndarray
    gt: np.ndarray
    levels: np.ndarray
    pred: np.ndarray
    fg_hist: np.ndarray
    bg_hist: np.ndarray
    code: np.ndarray

    @property
    def n_pixels(self) -> int:
        return int(self.gt.size)

    @property
    def n_fg(self) -> int:
        return int(self.fg_hist.sum())

    def quantized_hists(self) -> tuple[np.ndarray, np.ndarray]:
        """Foreground and background histograms of the normalised map re-quantised to 0..255.

        This is PySODMetrics' ``(pred * 255).astype(np.uint8)`` (truncation, not rounding) applied
        to the stretched map, the binning behind its 256-threshold curves.
        """
        quant = (self.levels * 255).astype(np.uint8)
        fg = np.bincount(quant, weights=self.fg_hist, minlength=N_LEVELS)
        bg = np.bincount(quant, weights=self.bg_hist, minlength=N_LEVELS)
        return fg.astype(np.int64), bg.astype(np.int64)

    def adaptive_mask_counts(self) -> tuple[int, int]:
        """(true positives, predicted positives) at the adaptive threshold min(2 * mean, 1)."""
        threshold = min(2 * self.pred.mean(), 1.0)
        passing = self.levels >= threshold
        tp = int(self.fg_hist[passing].sum())
        return tp, tp + int(self.bg_hist[passing].sum())


def normalization_levels(raw: np.ndarray) -> np.ndarray:
    """Normalised value of each 8-bit level: ``v / 255``, min-max stretched when max != min."""
    levels = np.arange(N_LEVELS, dtype=np.float64) / 255
    lo, hi = levels[int(raw.min())], levels[int(raw.max())]
    if hi != lo:
        levels = (levels - lo) / (hi - lo)
    return levels


def prepare(pred: np.ndarray, gt: np.ndarray) -> PreparedPair:
    """Check and normalise one prediction/ground-truth pair.

    Args:
        pred: 8-bit saliency map (H, W), ``uint8`` 0..255.
        gt: ground-truth mask (H, W), ``bool`` (read it with ``stan.io.read_mask``: ``> 128``).
    """
    pred = np.asarray(pred)
    gt = np.asarray(gt)
    if pred.dtype != np.uint8:
        raise TypeError(f"saliency map must be uint8 0..255, got {pred.dtype}")
    if gt.dtype != bool:
        raise TypeError(f"ground truth must be a bool mask (stan.io.read_mask), got {gt.dtype}")
    if pred.ndim != 2 or pred.shape != gt.shape:
        raise ValueError(f"prediction {pred.shape} and ground truth {gt.shape} must be equal 2-D")
    if pred.size == 0:
        raise ValueError("empty image")
    code = pred.astype(np.intp)
    code[gt] += N_LEVELS
    counts = region_hists(code)
    levels = normalization_levels(pred)
    return PreparedPair(
        raw=pred,
        gt=gt,
        levels=levels,
        pred=levels[pred],
        fg_hist=counts[N_LEVELS:],
        bg_hist=counts[:N_LEVELS],
        code=code,
    )


def region_hists(code: np.ndarray) -> np.ndarray:
    """Joint histogram (512,) of a ``code`` region: background levels first, then foreground."""
    return np.bincount(code.ravel(), minlength=2 * N_LEVELS)
