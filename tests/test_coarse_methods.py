"""Each training-free saliency method ranks a known salient object above its background."""

import cv2
import numpy as np
import pytest
from scipy import ndimage
from sklearn.metrics import roc_auc_score

from stan.coarse.frequency_tuned import ft_saliency
from stan.coarse.mbd import mbd_saliency, minimum_barrier_distance
from stan.coarse.rbd import rbd_saliency
from stan.coarse.spectral_residual import sr_saliency

METHODS = [mbd_saliency, rbd_saliency, ft_saliency, sr_saliency]


def scene(seed: int = 0, height: int = 180, width: int = 320):
    """A muted, smoothly textured background with one bright, saturated yellow ellipse off-centre."""
    rng = np.random.default_rng(seed)
    low = rng.random((height // 20, width // 20, 3)).astype(np.float32)
    background = 0.35 + 0.2 * cv2.resize(low, (width, height), interpolation=cv2.INTER_CUBIC)
    background += 0.03 * rng.standard_normal((height, width, 3)).astype(np.float32)
    image = np.clip(background * [0.8, 0.95, 0.85], 0, 1)
    mask = np.zeros((height, width), np.uint8)
    cv2.ellipse(
        mask, (int(width * 0.58), int(height * 0.45)), (width // 9, height // 6), 20, 0, 360, 1, -1
    )
    mask = mask.astype(bool)
    image[mask] = [1.0, 0.85, 0.1]
    return (image * 255).astype(np.uint8), mask


@pytest.mark.parametrize("method", METHODS, ids=lambda f: f.__name__)
def test_object_ranks_above_background(method):
    image, mask = scene()
    saliency = method(image)
    assert saliency.shape == mask.shape and saliency.dtype == np.float32
    assert 0.0 <= saliency.min() and saliency.max() <= 1.0
    assert saliency[mask].mean() > saliency[~mask].mean() + 0.2
    assert roc_auc_score(mask.ravel(), saliency.ravel()) > 0.9


@pytest.mark.parametrize("method", METHODS, ids=lambda f: f.__name__)
def test_deterministic_and_size_independent(method):
    image, mask = scene(seed=1, height=240, width=240)
    first, second = method(image), method(image)
    np.testing.assert_array_equal(first, second)
    assert first.shape == (240, 240)


def exact_mbd(values: np.ndarray) -> np.ndarray:
    """Brute-force minimum barrier distance to the border of a small integer-valued image.

    A pixel x has MBD <= hi - lo exactly when x joins the border inside {lo <= value <= hi}.
    """
    levels = np.unique(values)
    border = np.zeros(values.shape, bool)
    border[0] = border[-1] = border[:, 0] = border[:, -1] = True
    best = np.full(values.shape, np.inf)
    for lo in levels:
        for hi in levels[levels >= lo]:
            parts, _ = ndimage.label((values >= lo) & (values <= hi))
            touching = np.setdiff1d(np.unique(parts[border]), [0])
            best = np.where(np.isin(parts, touching), np.minimum(best, hi - lo), best)
    return best


def spiral_corridor() -> tuple[np.ndarray, tuple[int, int]]:
    """Walls of 9 with a 0-valued corridor from the border that turns down, right, up, left,
    down, right and up; its end is reachable with barrier 0 only through all those turns."""
    values = np.full((9, 9), 9.0, dtype=np.float32)
    values[0:8, 1] = 0  # in from the top border, down
    values[7, 1:8] = 0  # right
    values[1:8, 7] = 0  # up
    values[1, 3:8] = 0  # left
    values[1:6, 3] = 0  # down
    values[5, 3:6] = 0  # right
    values[3:6, 5] = 0  # up, ending at (3, 5)
    return values, (3, 5)


def test_mbd_sweeps_follow_paths_that_turn_every_way():
    values, end = spiral_corridor()
    assert exact_mbd(values)[end] == 0
    assert minimum_barrier_distance(values, passes=1)[end] == 9  # one round is not enough
    assert minimum_barrier_distance(values, passes=3)[end] == 0


def test_mbd_approximation_bounds_and_mostly_equals_exact():
    rng = np.random.default_rng(3)
    smooth = ndimage.gaussian_filter(rng.random((20, 24)), 1.5)
    values = np.round((smooth - smooth.min()) / np.ptp(smooth) * 7).astype(np.float32)
    exact = exact_mbd(values)
    fast = minimum_barrier_distance(values, passes=3)
    assert (fast >= exact - 1e-6).all()  # the distance of a real path is never below the minimum
    assert (np.abs(fast - exact) < 1e-6).mean() > 0.95
