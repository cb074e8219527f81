"""Saliency metrics: hand-computed values, invariants, and agreement with PySODMetrics."""

from __future__ import annotations

import warnings

import cv2
import numpy as np
import pytest
from scipy.ndimage import distance_transform_edt

from stan.io import read_mask
from stan.metrics import FrameScores, frame_scores, summarize_frames
from stan.metrics.prepare import EPS, normalization_levels, prepare
from stan.metrics.smeasure import smeasure
from stan.metrics.weighted_fmeasure import background_distances

TOL = 1e-9  # the brief asks for 1e-6; the implementation agrees to ~1e-15


def f_beta(p: float, r: float, beta2: float = 0.3) -> float:
    return (1 + beta2) * p * r / (beta2 * p + r)


# ---------------------------------------------------------------- hand-computed values


def test_fmeasure_curve_by_hand():
    # stretched values 1, 0.5, 0.25, 0 -> 8-bit levels 255, 127, 63, 0
    pred = np.array([[200, 100, 50, 0]], dtype=np.uint8)
    gt = np.array([[True, True, False, False]])
    s = frame_scores(pred, gt)
    expected_f = np.empty(256)
    expected_f[0:128] = f_beta(1, 0.5)  # t = 255..128 keeps pixel 0
    expected_f[128:192] = 1.0  # t = 127..64 keeps pixels 0, 1
    expected_f[192:255] = f_beta(2 / 3, 1)  # t = 63..1 keeps pixels 0..2
    expected_f[255] = f_beta(0.5, 1)  # t = 0 keeps everything
    np.testing.assert_allclose(s.fmeasure, expected_f, rtol=0, atol=1e-15)
    assert s.precision[0] == 1 and s.recall[0] == 0.5
    assert s.precision[255] == 0.5 and s.recall[255] == 1
    # adaptive threshold 2 * mean(1, .5, .25, 0) = 0.875 keeps pixel 0 only
    assert s.adaptive_f == pytest.approx(f_beta(1, 0.5), abs=1e-15)
    assert s.mae == pytest.approx((0 + 0.5 + 0.25 + 0) / 4, abs=1e-15)
    summary = summarize_frames([s])
    assert summary["maxF"] == 1.0
    assert summary["meanF"] == pytest.approx(expected_f.mean(), abs=1e-15)


def test_adaptive_emeasure_by_hand():
    pred = np.array([[200, 100, 50, 0]], dtype=np.uint8)
    gt = np.array([[True, True, False, False]])

    # binarised at 0.875: B = 1 0 0 0, G = 1 1 0 0; demeaned B: .75 / -.25, G: .5 / -.5
    def enhanced(b, g):
        return (2 * b * g / (b * b + g * g + EPS) + 1) ** 2 / 4

    total = enhanced(0.75, 0.5) + enhanced(-0.25, 0.5) + 2 * enhanced(-0.25, -0.5)
    assert frame_scores(pred, gt).adaptive_e == pytest.approx(total / (4 - 1 + EPS), abs=1e-15)


def test_normalization_is_min_max_stretch():
    raw = np.array([[40, 80], [120, 40]], dtype=np.uint8)
    levels = normalization_levels(raw)
    assert levels[40] == 0 and levels[120] == 1 and levels[80] == pytest.approx(0.5)
    # a constant map is only divided by 255
    const = np.full((2, 2), 51, dtype=np.uint8)
    assert normalization_levels(const)[51] == pytest.approx(0.2)


def test_perfect_prediction_scores_one():
    gt = np.zeros((40, 60), dtype=bool)
    gt[10:25, 20:45] = True
    s = frame_scores(gt.astype(np.uint8) * 255, gt)
    assert s.fmeasure.max() == 1 and s.adaptive_f == pytest.approx(1)
    assert s.mae == 0
    assert s.smeasure == pytest.approx(1, abs=1e-12)
    assert s.weighted_f == pytest.approx(1, abs=1e-12)
    assert s.emeasure.max() == pytest.approx(
        1, abs=1e-3
    )  # (N)/(N-1) overshoot, as in the reference


def test_inverted_prediction_is_bad():
    gt = np.zeros((40, 60), dtype=bool)
    gt[10:25, 20:45] = True
    s = frame_scores((~gt).astype(np.uint8) * 255, gt)
    assert s.mae == 1 and s.smeasure < 0.05 and s.weighted_f < 0.05


def test_empty_and_full_ground_truth_special_cases():
    pred = np.array([[0, 51], [102, 255]], dtype=np.uint8)
    levels = pred / 255
    empty = frame_scores(pred, np.zeros((2, 2), dtype=bool))
    assert empty.smeasure == pytest.approx(1 - levels.mean())
    assert empty.weighted_f == 0 and empty.adaptive_f == 0
    assert not empty.recall.any() and not empty.fmeasure.any()
    full = frame_scores(pred, np.ones((2, 2), dtype=bool))
    assert full.smeasure == pytest.approx(levels.mean())


def test_empty_quadrant_is_dropped_not_nan():
    # the ground-truth centroid rounds to the last row: the reference returns NaN, we do not
    gt = np.zeros((30, 30), dtype=bool)
    gt[29, 10:15] = True
    rng = np.random.default_rng(1)
    pair = prepare(rng.integers(0, 256, gt.shape, dtype=np.uint8), gt)
    value = smeasure(pair)
    assert np.isfinite(value) and 0 <= value <= 1


def test_background_distances_are_scipys_bit_for_bit():
    rng = np.random.default_rng(5)
    gt = rng.random((60, 80)) > 0.995
    where = ~gt
    reference = distance_transform_edt(~gt)[where]
    np.testing.assert_array_equal(background_distances(gt, where), reference)  # OpenCV path
    np.testing.assert_array_equal(background_distances(gt, where, limit=0), reference)  # SciPy
    # distances over 1024 px leave the float32 shortcut automatically
    far = np.zeros((900, 1300), dtype=bool)
    far[0, 0] = True
    where = ~far
    np.testing.assert_array_equal(
        background_distances(far, where), distance_transform_edt(~far)[where]
    )


def test_rejects_bad_inputs():
    gt = np.zeros((4, 4), dtype=bool)
    with pytest.raises(TypeError, match="uint8"):
        frame_scores(np.zeros((4, 4)), gt)
    with pytest.raises(TypeError, match="bool"):
        frame_scores(np.zeros((4, 4), np.uint8), gt.astype(np.uint8))
    with pytest.raises(ValueError, match="must be equal"):
        frame_scores(np.zeros((4, 5), np.uint8), gt)


# ---------------------------------------------------------------- PySODMetrics cross-check


def reference_summary(pairs: list[tuple[np.ndarray, np.ndarray]]) -> dict[str, np.ndarray]:
    """PySODMetrics' results over a set of frames, in our column names."""
    psm = pytest.importorskip("py_sod_metrics", reason="pysodmetrics is the cross-check reference")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Fmeasure's deprecation notice
        fm, em, sm, mae, wfm = (
            psm.Fmeasure(),
            psm.Emeasure(),
            psm.Smeasure(),
            psm.MAE(),
            psm.WeightedFmeasure(),
        )
    for pred, gt in pairs:
        gt8 = gt.astype(np.uint8) * 255
        for metric in (fm, em, sm, mae, wfm):
            metric.step(pred, gt8)
    f, e = fm.get_results(), em.get_results()["em"]
    return {
        "maxF": f["fm"]["curve"].max(),
        "meanF": f["fm"]["curve"].mean(),
        "adpF": f["fm"]["adp"],
        "MAE": mae.get_results()["mae"],
        "S": sm.get_results()["sm"],
        "maxE": e["curve"].max(),
        "meanE": e["curve"].mean(),
        "adpE": e["adp"],
        "wF": wfm.get_results()["wfm"],
        "fmeasure": f["fm"]["curve"],
        "precision": f["pr"]["p"],
        "recall": f["pr"]["r"],
        "emeasure": e["curve"],
    }


def assert_matches_reference(pairs, label):
    frames: list[FrameScores] = [frame_scores(p, g) for p, g in pairs]
    ours = summarize_frames(frames)
    ref = reference_summary(pairs)
    for name, value in ours.items():
        assert abs(value - ref[name]) <= TOL, f"{label}: {name} {value} != {ref[name]}"
    for name in ("fmeasure", "precision", "recall", "emeasure"):
        mine = np.mean([getattr(f, name) for f in frames], axis=0)
        np.testing.assert_allclose(mine, ref[name], rtol=0, atol=TOL, err_msg=f"{label}: {name}")


def perturbations(gt: np.ndarray, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Prediction-like maps made from a mask: smooth, noisy, shifted, binary, flat, empty."""
    g8 = gt.astype(np.uint8) * 255
    blur = cv2.GaussianBlur(g8, (0, 0), 6)
    noise = rng.normal(0, 35, gt.shape)
    return {
        "blur": blur,
        "noisy": np.clip(0.7 * blur + noise + 25, 0, 255).astype(np.uint8),
        "shifted": np.roll(g8, (9, -14), axis=(0, 1)),
        "dilated": cv2.dilate(g8, np.ones((9, 9), np.uint8)),
        "low_contrast": (blur // 6 + 60).astype(np.uint8),
        "constant": np.full_like(g8, 77),
        "empty": np.zeros_like(g8),
    }


def random_masks(rng: np.random.Generator, n: int) -> list[np.ndarray]:
    masks = []
    for _ in range(n):
        h, w = rng.integers(20, 70, size=2)
        mask = np.zeros((h, w), dtype=bool)
        for _ in range(rng.integers(1, 4)):
            y, x = rng.integers(0, h), rng.integers(0, w)
            mask[
                max(0, y - 6) : y + rng.integers(1, 12), max(0, x - 6) : x + rng.integers(1, 12)
            ] = 1
        masks.append(mask)
    single = np.zeros((25, 31), dtype=bool)
    single[12, 7] = True  # one-pixel object
    return [*masks, single, np.zeros((18, 22), dtype=bool), np.ones((18, 22), dtype=bool)]


def test_matches_pysodmetrics_on_small_synthetic_frames():
    rng = np.random.default_rng(0)
    for i, gt in enumerate(random_masks(rng, 12)):
        for name, pred in perturbations(gt, rng).items():
            assert_matches_reference([(pred, gt)], f"mask {i}, {name}")
        uniform = rng.integers(0, 256, gt.shape, dtype=np.uint8)
        assert_matches_reference([(uniform, gt)], f"mask {i}, uniform noise")


DAVIS_FRAMES = {
    "bear": ["00077"],  # an alpha channel in the PNG
    "bmx-bumps": ["00059", "00060", "00061"],  # the object leaves the view: empty and tiny masks
    "surf": ["00053"],  # a tiny object
    "soccerball": ["00030"],  # a small object
}
DAVIS_KINDS = ("blur", "noisy", "shifted", "low_contrast", "empty")


@pytest.mark.davis
def test_matches_pysodmetrics_on_davis(davis_root):
    rng = np.random.default_rng(2016)
    for video, frame_ids in DAVIS_FRAMES.items():
        masks = [
            read_mask(davis_root / "Annotations" / "480p" / video / f"{f}.png") for f in frame_ids
        ]
        per_kind: dict[str, list] = {}
        for gt in masks:
            for name, pred in perturbations(gt, rng).items():
                if name in DAVIS_KINDS:
                    per_kind.setdefault(name, []).append((pred, gt))
        for name, pairs in per_kind.items():
            assert_matches_reference(pairs, f"{video}, {name}")
