"""DAVIS-2016 J/F: hand-computed cases, the statistics' binning, and a toolkit-style reference."""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest
from scipy.ndimage import binary_dilation
from skimage.morphology import disk as skimage_disk

from stan.io import read_mask
from stan.metrics import (
    binarize,
    boundary_fmeasure,
    boundary_map,
    boundary_tolerance,
    decay_bin_edges,
    jaccard,
    sequence_statistics,
)
from stan.metrics.davis import disk


def test_jaccard_cases():
    empty = np.zeros((5, 5), dtype=bool)
    assert jaccard(empty, empty) == 1.0
    a = empty.copy()
    a[1:3, 1:3] = True  # 4 pixels
    b = empty.copy()
    b[2:4, 1:4] = True  # 6 pixels, 2 shared
    assert jaccard(a, b) == pytest.approx(2 / 8)
    assert jaccard(a, empty) == 0.0 and jaccard(empty, a) == 0.0
    single = empty.copy()
    single[4, 4] = True
    assert jaccard(single, single) == 1.0


def test_boundary_map_single_pixels():
    mask = np.zeros((4, 4), dtype=bool)
    mask[1, 1] = True
    # the pixel and its upper, left and upper-left neighbours (boundary offset towards the origin)
    assert set(zip(*np.nonzero(boundary_map(mask)), strict=True)) == {
        (0, 0),
        (0, 1),
        (1, 0),
        (1, 1),
    }
    corner = np.zeros((4, 4), dtype=bool)
    corner[3, 3] = True
    # the bottom-right pixel itself is never a boundary
    assert set(zip(*np.nonzero(boundary_map(corner)), strict=True)) == {(2, 2), (2, 3), (3, 2)}
    assert not boundary_map(np.ones((4, 4), dtype=bool)).any()


def test_boundary_tolerance_from_diagonal():
    assert boundary_tolerance((480, 854)) == math.ceil(0.008 * math.hypot(480, 854)) == 8
    assert boundary_tolerance((100, 100)) == 2  # 1.13 rounds up
    assert boundary_tolerance((100, 100), tolerance=3) == 3  # >= 1: pixels
    for r in range(10):
        np.testing.assert_array_equal(disk(r), skimage_disk(r))


def test_boundary_f_by_hand():
    gt = np.zeros((10, 10), dtype=bool)
    gt[:, :5] = True  # boundary: column 4, 10 pixels
    far = np.zeros_like(gt)
    far[:, :8] = True  # boundary: column 7, three pixels away
    assert boundary_fmeasure(far, gt, tolerance=2) == 0.0
    assert boundary_fmeasure(far, gt, tolerance=3) == 1.0
    corner = np.zeros_like(gt)
    corner[:5, :5] = True  # boundary: column 4 rows 0-4 and row 4 columns 0-3 (9 pixels)
    # radius 1 (a plus): precision 6/9 (column + (4, 3)), recall 6/10 (rows 0-5 of column 4)
    p, r = 6 / 9, 6 / 10
    assert boundary_fmeasure(corner, gt, tolerance=1) == pytest.approx(2 * p * r / (p + r))


def test_boundary_f_empty_masks_and_single_pixels():
    empty = np.zeros((6, 6), dtype=bool)
    dot = empty.copy()
    dot[2, 2] = True
    assert boundary_fmeasure(empty, empty) == 1.0
    assert boundary_fmeasure(empty, dot) == 0.0
    assert boundary_fmeasure(dot, empty) == 0.0
    assert boundary_fmeasure(dot, dot) == 1.0
    # boundaries {(1,1),(1,2),(2,1),(2,2)} and {(1,3),(1,4),(2,3),(2,4)}: with radius 1 half of
    # each side lies next to the other, so P = R = 1/2
    moved = empty.copy()
    moved[2, 4] = True
    assert boundary_fmeasure(moved, dot, tolerance=1) == pytest.approx(0.5)
    assert boundary_fmeasure(moved, dot, tolerance=2) == 1.0
    assert jaccard(moved, dot) == 0.0


def test_boundary_tolerance_at_davis_resolution():
    gt = np.zeros((480, 854), dtype=bool)
    gt[100:300, 200:500] = True
    for shift, perfect in ((8, True), (9, False)):
        pred = np.roll(gt, shift, axis=1)
        assert bool(boundary_fmeasure(pred, gt) == 1.0) is perfect, shift


def test_binarize_threshold():
    sal = np.array([[0, 127, 128, 255]], dtype=np.uint8)
    np.testing.assert_array_equal(binarize(sal), [[False, False, True, True]])
    np.testing.assert_array_equal(binarize(sal, 1), [[False, True, True, True]])
    with pytest.raises(ValueError, match="1..255"):
        binarize(sal, 0)


def test_decay_bins_round_half_up():
    # N = 7: k (N - 1) / 4 = 0, 1.5, 3, 4.5, 6 -> half up 0, 2, 3, 5, 6 (half-to-even: 0, 2, 3, 4, 6)
    assert decay_bin_edges(7) == [0, 2, 3, 5, 6]
    for n in range(1, 300):
        legacy = np.round(np.linspace(1, n, 5) + 1e-10) - 1  # the toolkit's expression
        assert decay_bin_edges(n) == legacy.astype(int).tolist(), n


def test_sequence_statistics_by_hand():
    # first and last frames (0.0 and 0.0) are excluded, leaving N = 7 values
    values = [0.0, 1.0, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.0]
    stats = sequence_statistics(values)
    assert stats.mean == pytest.approx(0.7)
    assert stats.recall == pytest.approx(5 / 7)  # 0.5 itself is not > 0.5
    # bins include both edges: first [1, .9, .8], last (edges 5..6) [.5, .4]
    assert stats.decay == pytest.approx(0.9 - 0.45)
    assert sequence_statistics([0.3, 0.8, 0.9]).decay == 0.0  # one frame left
    assert math.isnan(sequence_statistics([0.3, 0.8]).mean)  # nothing left
    assert sequence_statistics([1.0, 0.2, 0.4, 1.0], exclude_ends=False).mean == pytest.approx(0.65)


# ------------------------------------------------- toolkit-style reference on real DAVIS masks


def reference_boundary(seg: np.ndarray) -> np.ndarray:
    """The toolkit's seg2bmap written with shifted copies and XORs."""
    east, south, south_east = (np.zeros_like(seg) for _ in range(3))
    east[:, :-1] = seg[:, 1:]
    south[:-1, :] = seg[1:, :]
    south_east[:-1, :-1] = seg[1:, 1:]
    b = (seg ^ east) | (seg ^ south) | (seg ^ south_east)
    b[-1, :] = seg[-1, :] ^ east[-1, :]
    b[:, -1] = seg[:, -1] ^ south[:, -1]
    b[-1, -1] = False
    return b


def reference_f(pred: np.ndarray, gt: np.ndarray) -> float:
    radius = math.ceil(0.008 * np.linalg.norm(pred.shape))
    bp, bg = reference_boundary(pred), reference_boundary(gt)
    zone_p = binary_dilation(bp, skimage_disk(radius))
    zone_g = binary_dilation(bg, skimage_disk(radius))
    n_p, n_g = bp.sum(), bg.sum()
    if n_p == 0 or n_g == 0:
        return 1.0 if n_p == n_g else 0.0
    precision = (bp & zone_g).sum() / n_p
    recall = (bg & zone_p).sum() / n_g
    return 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)


@pytest.mark.davis
def test_jf_match_toolkit_definitions_on_davis(davis_root):
    frames = [("bear", "00020"), ("bmx-bumps", "00061"), ("soccerball", "00030"), ("surf", "00054")]
    for video, frame in frames:
        gt = read_mask(davis_root / "Annotations" / "480p" / video / f"{frame}.png")
        g8 = gt.astype(np.uint8)
        candidates = {
            "eroded": cv2.erode(g8, np.ones((7, 7), np.uint8)).astype(bool),
            "shifted": np.roll(gt, (5, 12), axis=(0, 1)),
            "blob": cv2.GaussianBlur(g8 * 255, (0, 0), 10) >= 128,
            "empty": np.zeros_like(gt),
        }
        for name, pred in candidates.items():
            assert boundary_fmeasure(pred, gt) == pytest.approx(reference_f(pred, gt), abs=1e-12), (
                video,
                name,
            )
            union = (pred | gt).sum()
            expected_j = 1.0 if union == 0 else (pred & gt).sum() / union
            assert jaccard(pred, gt) == pytest.approx(expected_j, abs=1e-12)
