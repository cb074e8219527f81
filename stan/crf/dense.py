"""One frame: a fully connected CRF over two labels (background, salient) with pydensecrf.

Energy (Krähenbühl and Koltun, NIPS 2011): for every pixel the unary ``-log P(label)`` from the
saliency map, plus Potts pairwise terms between all pixel pairs weighted by two Gaussian kernels,
one on position only (smoothness) and one on position and RGB colour (appearance). Mean-field
inference gives per-pixel marginals; the foreground marginal is the refined saliency map.
"""

from __future__ import annotations

import cv2
import numpy as np

from stan.crf.config import CRFConfig
from stan.io import InputError


def require_densecrf():
    try:
        import pydensecrf.densecrf as dcrf
    except ImportError as error:  # the compiled extension is the only hard requirement
        raise ImportError(
            "the crf stage needs pydensecrf (PyPI package pydensecrf2, listed in pyproject.toml): "
            "`pip install pydensecrf2==1.1`, or drop the '+crf' methods from evaluate.methods"
        ) from error
    return dcrf


def saliency_unary(prob: np.ndarray, prob_clip: float) -> np.ndarray:
    """Unary energies (2, H*W) float32: row 0 background ``-log(1-p)``, row 1 salient ``-log p``."""
    p = np.clip(np.asarray(prob, dtype=np.float32), prob_clip, 1.0 - prob_clip).reshape(-1)
    return np.ascontiguousarray(np.stack([-np.log1p(-p), -np.log(p)]), dtype=np.float32)


def video_peak(maps: list[np.ndarray], percentile: float = 100.0) -> float:
    """The peak of a video's maps in [0, 1]: ``percentile`` of the per-frame maxima (8-bit maps)."""
    if not maps:
        raise InputError("video_peak needs at least one map")
    maxima = [float(np.max(m)) / (255.0 if np.asarray(m).dtype == np.uint8 else 1.0) for m in maps]
    return float(np.percentile(maxima, percentile))


def unary_probability(prob: np.ndarray, cfg: CRFConfig, peak: float | None) -> np.ndarray:
    """The map as P(salient) for the unary, following ``cfg.normalize`` (see ``CRFConfig``)."""
    if cfg.normalize == "frame":
        lo, hi = float(prob.min()), float(prob.max())
        return (prob - lo) / (hi - lo) if hi > lo else prob
    if cfg.normalize == "video":
        if peak is None:
            raise InputError("crf.normalize is 'video': refine_map needs the video's peak")
        return np.minimum(prob / peak, 1.0) if peak > 0 else prob
    return prob


def refine_map(
    image: np.ndarray,
    saliency: np.ndarray,
    cfg: CRFConfig | None = None,
    peak: float | None = None,
) -> np.ndarray:
    """Refine one saliency map with the dense CRF; returns the salient marginal, float32 (H, W).

    ``image``: RGB uint8 (H, W, 3) frame. ``saliency``: uint8 0..255 or float in [0, 1], (H, W).
    ``peak``: the video's peak (``video_peak``), needed when ``cfg.normalize`` is ``video``.
    """
    cfg = cfg or CRFConfig()
    image = np.asarray(image)
    saliency = np.asarray(saliency)
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise InputError(f"refine_map needs an RGB uint8 (H, W, 3) frame, got {image.shape}")
    if saliency.shape != image.shape[:2]:
        raise InputError(
            f"saliency map is {saliency.shape} but the frame is {image.shape[:2]}; they must match"
        )
    if saliency.dtype == np.uint8:
        prob = saliency.astype(np.float32) / 255.0
    else:
        prob = saliency.astype(np.float32)
        if prob.size and (np.nanmin(prob) < 0 or np.nanmax(prob) > 1 or np.isnan(prob).any()):
            raise InputError("float saliency maps must lie in [0, 1] (no NaN)")
    dcrf = require_densecrf()
    prob = unary_probability(prob, cfg, peak).astype(np.float32)
    source = prob
    full_shape = prob.shape
    if cfg.scale < 1:  # work on a smaller grid; spatial stds are in full-size pixels
        size = (max(1, round(full_shape[1] * cfg.scale)), max(1, round(full_shape[0] * cfg.scale)))
        image = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
        prob = cv2.resize(prob, size, interpolation=cv2.INTER_AREA)
    height, width = prob.shape
    crf = dcrf.DenseCRF2D(width, height, 2)
    crf.setUnaryEnergy(saliency_unary(prob, cfg.prob_clip))
    if cfg.gaussian_compat > 0:
        crf.addPairwiseGaussian(sxy=cfg.gaussian_sxy * cfg.scale, compat=cfg.gaussian_compat)
    if cfg.bilateral_compat > 0:
        crf.addPairwiseBilateral(
            sxy=cfg.bilateral_sxy * cfg.scale,
            srgb=cfg.bilateral_srgb,
            rgbim=np.ascontiguousarray(image),
            compat=cfg.bilateral_compat,
        )
    marginals = np.asarray(crf.inference(cfg.iterations), dtype=np.float32)
    salient = marginals[1].reshape(height, width)
    if salient.shape != full_shape:
        salient = cv2.resize(salient, full_shape[::-1], interpolation=cv2.INTER_LINEAR)
    if cfg.keep_input > 0:
        salient = (1 - cfg.keep_input) * salient + cfg.keep_input * source
    return np.clip(salient, 0.0, 1.0)
