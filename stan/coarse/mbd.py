"""Minimum barrier distance saliency (MB+).

Zhang, Sclaroff, Lin, Shen, Price and Mech, "Minimum Barrier Salient Object Detection at 80 FPS",
ICCV 2015. The barrier of a path is the highest minus the lowest intensity met along it; the
minimum barrier distance (MBD) of a pixel to the image border is the smallest barrier over all
paths that join them. Background touches the border through paths of similar colour (small
barrier); a salient object is walled off by its own contrast (large barrier).

What this module computes, following the paper's "MB+" pipeline:

1. The frame is shrunk so its longer side is ``max_side`` (the paper uses 300 px) and converted to
   CIELAB; the MBD map of each channel is computed and the three are summed.
2. MBD is approximated as in the paper's FastMBD: border pixels are seeds (distance 0) and
   repeated raster and inverse-raster passes relax each pixel's distance through its neighbours,
   carrying the highest (``U``) and lowest (``L``) value of the current best path. To stay fast in
   NumPy without numba, each pass is split into directional sweeps (top->bottom, left->right, then
   the reverses): a sweep moves one row (or column) at a time and updates all pixels of that row
   at once from the previous row, so the sequential loop has H or W steps instead of H*W.
   ``passes`` full rounds of the four sweeps are run (the paper reports 3 passes suffice).
3. The image-boundary contrast map of MB+: for each of the four border strips, the Mahalanobis
   distance of every pixel's colour to the strip's colour distribution, each normalised to
   [0, 1]; the four are summed minus their maximum (so one strip that happens to touch the object
   cannot dominate). It is added to the MBD map.
4. Post-processing of MB+: smoothing by morphological reconstruction (opening then closing by
   reconstruction, structuring disk of radius ``alpha * sqrt(mean saliency)``), a centre bias
   (multiplication by one minus the normalised distance to the image centre) and a contrast
   sigmoid ``1 / (1 + exp(-b (x - t)))`` with ``b = 10`` and ``t`` the map's Otsu threshold.
"""

from __future__ import annotations

import cv2
import numpy as np
from skimage.filters import threshold_otsu
from skimage.morphology import reconstruction

from stan.coarse.resample import grow, shrink, stretch, to_lab


def _sweep(dist, upper, lower, values, reverse: bool) -> None:
    """Relax distances along axis 0 (in place): each row from the row before it.

    ``dist``, ``upper``, ``lower`` and ``values`` are (rows, cols, channels) arrays or views.
    """
    rows = dist.shape[0]
    order = range(rows - 2, -1, -1) if reverse else range(1, rows)
    step = 1 if reverse else -1
    for r in order:
        prev = r + step
        up = np.maximum(upper[prev], values[r])
        low = np.minimum(lower[prev], values[r])
        barrier = up - low
        better = barrier < dist[r]
        dist[r] = np.where(better, barrier, dist[r])
        upper[r] = np.where(better, up, upper[r])
        lower[r] = np.where(better, low, lower[r])


def minimum_barrier_distance(values: np.ndarray, passes: int = 3) -> np.ndarray:
    """Approximate MBD of every pixel to the image border, per channel.

    ``values``: float (H, W) or (H, W, C). Returns the distance, same shape, float32.
    """
    squeeze = values.ndim == 2
    values = np.atleast_3d(values).astype(np.float32)
    dist = np.full(values.shape, np.inf, dtype=np.float32)
    dist[0], dist[-1], dist[:, 0], dist[:, -1] = 0, 0, 0, 0
    upper = values.copy()
    lower = values.copy()
    columns = (a.transpose(1, 0, 2) for a in (dist, upper, lower, values))
    dist_t, upper_t, lower_t, values_t = columns
    for _ in range(passes):
        _sweep(dist, upper, lower, values, reverse=False)
        _sweep(dist_t, upper_t, lower_t, values_t, reverse=False)
        _sweep(dist, upper, lower, values, reverse=True)
        _sweep(dist_t, upper_t, lower_t, values_t, reverse=True)
    dist[~np.isfinite(dist)] = 0
    return dist[..., 0] if squeeze else dist


def boundary_contrast(lab: np.ndarray, border_fraction: float = 0.1) -> np.ndarray:
    """MB+ image-boundary contrast: Mahalanobis colour distance to each border strip, combined."""
    h, w = lab.shape[:2]
    bh, bw = max(1, round(h * border_fraction)), max(1, round(w * border_fraction))
    strips = [lab[:bh], lab[-bh:], lab[:, :bw], lab[:, -bw:]]
    pixels = lab.reshape(-1, 3).astype(np.float64)
    maps = []
    for strip in strips:
        colours = strip.reshape(-1, 3).astype(np.float64)
        mean = colours.mean(axis=0)
        cov = np.cov(colours, rowvar=False) + np.eye(3) * 1e-3
        diff = pixels - mean
        dist = np.sqrt(np.einsum("ij,jk,ik->i", diff, np.linalg.inv(cov), diff).clip(min=0))
        maps.append(stretch(dist.reshape(h, w)))
    stack = np.stack(maps)
    return stack.sum(axis=0) - stack.max(axis=0)


def _smooth(saliency: np.ndarray, alpha: float) -> np.ndarray:
    """Opening by reconstruction followed by closing by reconstruction (MB+ smoothing)."""
    radius = max(1, int(round(alpha * np.sqrt(float(saliency.mean())))))
    disk = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
    eroded = cv2.erode(saliency, disk)
    opened = reconstruction(eroded, saliency, method="dilation").astype(np.float32)
    dilated = cv2.dilate(opened, disk)
    return reconstruction(dilated, opened, method="erosion").astype(np.float32)


def _centre_bias(shape: tuple[int, int]) -> np.ndarray:
    h, w = shape
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    dist = np.sqrt((y - h / 2) ** 2 + (x - w / 2) ** 2)
    return 1.0 - dist / np.sqrt((h / 2) ** 2 + (w / 2) ** 2)


def mbd_saliency(
    image: np.ndarray,
    *,
    max_side: int = 300,
    passes: int = 3,
    boundary_fraction: float = 0.1,
    smooth_alpha: float = 50.0,
    sigmoid_gain: float = 10.0,
) -> np.ndarray:
    """MB+ saliency of an RGB ``uint8`` frame: float32 (H, W) in [0, 1] at the frame's size.

    ``smooth_alpha`` is the paper's 50 for 300 px images; it is scaled with ``max_side``.
    """
    small = shrink(image, max_side)
    lab = to_lab(small)
    # MBD on each channel, summed (step 1-2 of the module docstring)
    mbd = stretch(minimum_barrier_distance(lab, passes=passes).sum(axis=2))
    saliency = stretch(mbd + boundary_contrast(lab, boundary_fraction))
    saliency = stretch(_smooth(saliency, smooth_alpha * max(small.shape[:2]) / 300.0))
    saliency = stretch(saliency * _centre_bias(saliency.shape))
    if saliency.max() > saliency.min():
        t = threshold_otsu(saliency)
        saliency = stretch(1.0 / (1.0 + np.exp(-sigmoid_gain * (saliency - t))))
    return grow(saliency, image.shape[:2])
