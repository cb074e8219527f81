"""All salient-object-detection metrics of one frame, and their average over a set of frames.

``frame_scores`` gives what PySODMetrics 1.6.2 records per ``step(pred, gt)`` (with its default
normalisation: pred / 255, min-max stretched per image; gt ``> 128``); ``summarize_frames``
reduces a list of them the way its ``get_results`` does: every per-frame value and every curve is
averaged over the frames, then max F / mean F are the maximum / mean of the averaged F curve
(likewise for E). Applied to the frames of one video this is the per-video score; the dataset
score is then the mean over videos (see ``stan.evaluate``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from stan.metrics.emeasure import adaptive_emeasure, emeasure_curve
from stan.metrics.fmeasure import BETA2, adaptive_fmeasure, pr_curves
from stan.metrics.prepare import PreparedPair, prepare
from stan.metrics.smeasure import ALPHA, smeasure
from stan.metrics.weighted_fmeasure import weighted_fmeasure

#: names of the scalar summaries, in table order
SALIENCY_COLUMNS = ("maxF", "meanF", "adpF", "MAE", "S", "maxE", "meanE", "adpE", "wF")
#: names of the 256-point curves (index i = threshold 255 - i)
CURVE_NAMES = ("precision", "recall", "fmeasure", "emeasure")


@dataclass(frozen=True)
class FrameScores:
    """Saliency metrics of one frame; curves are (256,) with index i = threshold 255 - i."""

    precision: np.ndarray
    recall: np.ndarray
    fmeasure: np.ndarray
    emeasure: np.ndarray
    adaptive_f: float
    adaptive_e: float
    mae: float
    smeasure: float
    weighted_f: float


def mean_absolute_error(pair: PreparedPair) -> float:
    """MAE between the normalised map and the mask, from the level histograms."""
    error = (pair.fg_hist * (1 - pair.levels)).sum() + (pair.bg_hist * pair.levels).sum()
    return float(error / pair.n_pixels)


def frame_scores(
    pred: np.ndarray, gt: np.ndarray, *, beta2: float = BETA2, alpha: float = ALPHA
) -> FrameScores:
    """Every saliency metric of an 8-bit map ``pred`` (H, W) against a bool mask ``gt`` (H, W).

    ``beta2`` is beta^2 of the (max/mean/adaptive) F-measure, ``alpha`` the S-measure balance.
    """
    pair = prepare(pred, gt)
    precision, recall, fmeasure = pr_curves(pair, beta2)
    return FrameScores(
        precision=precision,
        recall=recall,
        fmeasure=fmeasure,
        emeasure=emeasure_curve(pair),
        adaptive_f=adaptive_fmeasure(pair, beta2),
        adaptive_e=adaptive_emeasure(pair),
        mae=mean_absolute_error(pair),
        smeasure=smeasure(pair, alpha),
        weighted_f=weighted_fmeasure(pair),
    )


def mean_curves(frames: Sequence[FrameScores]) -> dict[str, np.ndarray]:
    """Per-threshold mean over frames of each curve in ``CURVE_NAMES``."""
    if not frames:
        raise ValueError("no frames to average")
    return {name: np.mean([getattr(f, name) for f in frames], axis=0) for name in CURVE_NAMES}


def summarize_frames(frames: Sequence[FrameScores]) -> dict[str, float]:
    """Scalar summaries (``SALIENCY_COLUMNS``) of a set of frames, each frame weighted equally."""
    curves = mean_curves(frames)

    def mean_of(attr: str) -> float:
        return float(np.mean([getattr(f, attr) for f in frames]))

    return {
        "maxF": float(curves["fmeasure"].max()),
        "meanF": float(curves["fmeasure"].mean()),
        "adpF": mean_of("adaptive_f"),
        "MAE": mean_of("mae"),
        "S": mean_of("smeasure"),
        "maxE": float(curves["emeasure"].max()),
        "meanE": float(curves["emeasure"].mean()),
        "adpE": mean_of("adaptive_e"),
        "wF": mean_of("weighted_f"),
    }
