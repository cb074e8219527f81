"""Fusing several saliency maps into one and binarising it (paper section 3.3, Figure 4).

Fusion is a weighted linear combination: every source map is first min-max stretched to [0, 1]
per frame (sources disagree on scale: some never reach 0 or 1), then
``fused = sum_k w_k * map_k`` with non-negative weights that sum to 1, so ``fused`` is in [0, 1].

Weights are given (``coarse.weights``: ``uniform`` or a mapping from source name to weight) or
fitted on frames that have ground truth (``coarse.weights: fit``). The fitting objective is
non-negative least squares on pixels: with ``x`` the vector of stretched source values at a pixel
and ``y`` in {0, 1} its ground truth,

    minimise  sum_pixels (b + w . x - y)^2   subject to  w >= 0,

solved by scikit-learn's ``LinearRegression(positive=True)``. The free intercept ``b`` absorbs
the sources' common offset and is then dropped, and ``w`` is divided by its sum. Both steps are
positive affine changes of the fused map, to which Otsu's threshold is invariant, so the binary
labels are exactly those of the least-squares fit. Pixels are subsampled per frame with equal
numbers of salient and background pixels (salient objects often cover under 10% of a frame;
without balancing the fit would favour maps that are dark everywhere).

Binarisation: Otsu's threshold (``skimage.filters.threshold_otsu``) on each fused map (the
paper), a fixed threshold when ``coarse.threshold`` is a number, or (``coarse.threshold: fit``)
one threshold for the whole dataset chosen on the frames that have ground truth: the candidate in
0.02, 0.04, ..., 0.98 that maximises the mean per-frame IoU of ``fused > t`` with the mask
(IoU 1 when both are empty). Otsu splits each map where its histogram is most bimodal, which for
a fusion of unlike sources is often not where object and background part (measured in
``bench/coarse_quality.py``).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

import numpy as np
from skimage.filters import threshold_otsu
from sklearn.linear_model import LinearRegression

from stan.coarse.resample import stretch
from stan.io import InputError

log = logging.getLogger(__name__)


def resolve_weights(weights, names: Sequence[str]) -> np.ndarray:
    """Turn ``uniform`` or a {name: weight} mapping into a weight vector in ``names`` order.

    The result is non-negative and sums to 1. ``fit`` is not accepted here: fitted weights come
    from :func:`fit_weights`.
    """
    names = list(names)
    if weights == "uniform":
        return np.full(len(names), 1.0 / len(names))
    if isinstance(weights, Mapping):
        missing = sorted(set(names) - set(weights))
        extra = sorted(set(weights) - set(names))
        if missing or extra:
            raise InputError(
                f"config key coarse.weights: weights must name exactly the sources {names}; "
                f"missing {missing}, unknown {extra}"
            )
        vector = np.array([float(weights[n]) for n in names])
        if (vector < 0).any() or not np.isfinite(vector).all() or vector.sum() <= 0:
            raise InputError(
                "config key coarse.weights: weights must be finite, non-negative and not all zero, "
                f"got {dict(weights)}"
            )
        return vector / vector.sum()
    raise InputError(
        f"config key coarse.weights is {weights!r}; use 'uniform', 'fit' or a mapping "
        "from source name to weight"
    )


def fuse(maps: Sequence[np.ndarray], weights: np.ndarray) -> np.ndarray:
    """Weighted linear combination of per-frame stretched maps: float32 (H, W) in [0, 1]."""
    if len(maps) != len(weights):
        raise ValueError(f"{len(maps)} maps but {len(weights)} weights")
    weights = np.asarray(weights, dtype=np.float64)
    weights = weights / weights.sum()
    fused = np.zeros(maps[0].shape, dtype=np.float32)
    for saliency, weight in zip(maps, weights, strict=True):
        fused += np.float32(weight) * stretch(saliency)
    return np.clip(fused, 0.0, 1.0)


def sample_pixels(
    maps: Sequence[np.ndarray], mask: np.ndarray, per_class: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Draw up to ``per_class`` salient and ``per_class`` background pixels of one frame.

    Returns ``x`` (n, n_sources) of stretched source values and ``y`` (n,) in {0, 1}. A frame
    whose mask is empty or full contributes only the class it has.
    """
    stack = np.stack([stretch(m).ravel() for m in maps], axis=1)
    flat = mask.ravel()
    chosen = []
    for cls in (True, False):
        where = np.flatnonzero(flat == cls)
        if where.size:
            chosen.append(rng.choice(where, size=min(per_class, where.size), replace=False))
    index = np.concatenate(chosen)
    return stack[index], flat[index].astype(np.float64)


def fit_weights(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Non-negative least-squares fusion weights, normalised to sum 1 (see module docstring)."""
    if x.ndim != 2 or len(x) != len(y) or len(y) == 0:
        raise ValueError(f"fit_weights needs x (n, k) and y (n,), got {x.shape} and {y.shape}")
    if np.unique(y).size < 2:
        raise InputError(
            "fitting fusion weights needs ground-truth frames with both salient and background "
            "pixels; set config key coarse.weights to 'uniform' or to explicit weights"
        )
    model = LinearRegression(positive=True, fit_intercept=True).fit(x, y)
    weights = np.clip(model.coef_, 0.0, None)
    if weights.sum() <= 1e-12:
        raise InputError(
            "fitted fusion weights are all zero: no source correlates positively with the ground "
            "truth; check the sources (config key coarse.sources) or set coarse.weights explicitly"
        )
    return weights / weights.sum()


THRESHOLD_CANDIDATES = np.round(np.arange(1, 50) * 0.02, 2)


def fit_threshold(
    fused_maps: Sequence[np.ndarray],
    masks: Sequence[np.ndarray],
    candidates: np.ndarray = THRESHOLD_CANDIDATES,
) -> float:
    """The candidate threshold with the highest mean IoU of ``fused > t`` over the frames."""
    if not fused_maps or len(fused_maps) != len(masks):
        raise ValueError(
            f"fit_threshold needs as many maps as masks, got {len(fused_maps)} and {len(masks)}"
        )
    candidates = np.asarray(candidates, dtype=np.float64)
    total = np.zeros(len(candidates))
    for fused, mask in zip(fused_maps, masks, strict=True):
        # pixels at or below each candidate, split by class, from one sort of the map
        values_fg = np.sort(fused[mask].ravel())
        values_bg = np.sort(fused[~mask].ravel())
        tp = values_fg.size - np.searchsorted(values_fg, candidates, side="right")
        fp = values_bg.size - np.searchsorted(values_bg, candidates, side="right")
        union = values_fg.size + fp
        total += np.where(union > 0, tp / np.maximum(union, 1), 1.0)
    return float(candidates[int(np.argmax(total))])


def binarise(fused: np.ndarray, threshold: str | float = "otsu") -> np.ndarray:
    """Binary label of a fused map: Otsu's threshold (``"otsu"``) or ``fused > threshold``.

    A constant map has no Otsu threshold; its label is empty (nothing stands out).
    """
    if threshold == "otsu":
        if float(fused.max()) - float(fused.min()) <= 1e-12:
            log.warning("constant fused map: the coarse label is empty")
            return np.zeros(fused.shape, dtype=bool)
        return fused > threshold_otsu(fused)
    if isinstance(threshold, bool) or not isinstance(threshold, int | float):
        raise InputError(
            f"config key coarse.threshold is {threshold!r}; use 'otsu' or a number in [0, 1]"
        )
    return fused > float(threshold)
