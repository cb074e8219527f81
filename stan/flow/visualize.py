"""Middlebury colour-wheel visualisation of optical flow (Baker et al., IJCV 2011)."""

from __future__ import annotations

import numpy as np


def color_wheel() -> np.ndarray:
    """The 55-entry Middlebury colour wheel, (55, 3) uint8 RGB."""
    ry, yg, gc, cb, bm, mr = 15, 6, 4, 11, 13, 6
    segments = [
        (ry, lambda t: (255, 255 * t, 0)),
        (yg, lambda t: (255 - 255 * t, 255, 0)),
        (gc, lambda t: (0, 255, 255 * t)),
        (cb, lambda t: (0, 255 - 255 * t, 255)),
        (bm, lambda t: (255 * t, 0, 255)),
        (mr, lambda t: (255, 0, 255 - 255 * t)),
    ]
    rows = []
    for n, colour in segments:
        t = np.arange(n) / n
        rows.append(np.stack(np.broadcast_arrays(*colour(t)), axis=1))
    return np.floor(np.concatenate(rows)).astype(np.uint8)


def flow_to_color(flow: np.ndarray, max_magnitude: float | None = None) -> np.ndarray:
    """Colour-code an (H, W, 2) flow field as RGB uint8: hue = direction, saturation = speed.

    Magnitudes are normalised by ``max_magnitude`` (default: the largest magnitude in the field).
    """
    u, v = flow[..., 0].astype(np.float64), flow[..., 1].astype(np.float64)
    mag = np.hypot(u, v)
    scale = max_magnitude if max_magnitude else max(mag.max(), 1e-6)
    u, v, mag = u / scale, v / scale, np.minimum(mag / scale, 1.0)
    wheel = color_wheel().astype(np.float64)
    n = len(wheel)
    angle = np.arctan2(-v, -u) / np.pi
    fk = (angle + 1) / 2 * (n - 1)
    k0 = np.floor(fk).astype(int)
    k1 = (k0 + 1) % n
    f = (fk - k0)[..., None]
    col = (1 - f) * wheel[k0] / 255 + f * wheel[k1] / 255
    col = 1 - mag[..., None] * (1 - col)
    return np.floor(255 * col).astype(np.uint8)
