"""Fusion weights, the weighted combination and Otsu binarisation."""

import numpy as np
import pytest

from stan.coarse.fusion import (
    binarise,
    fit_threshold,
    fit_weights,
    fuse,
    resolve_weights,
    sample_pixels,
)
from stan.io import InputError


def test_fit_recovers_known_non_negative_weights():
    rng = np.random.default_rng(0)
    x = rng.random((5000, 3))
    # the target is an affine mix of sources 0 and 1; source 2 is irrelevant
    y = 0.2 + 0.45 * x[:, 0] + 0.15 * x[:, 1]
    weights = fit_weights(x, y)
    np.testing.assert_allclose(weights, [0.75, 0.25, 0.0], atol=1e-6)
    assert weights.sum() == pytest.approx(1.0)


def test_fit_prefers_the_informative_source_on_binary_masks():
    rng = np.random.default_rng(1)
    mask = np.zeros((60, 80), bool)
    mask[20:40, 30:60] = True
    good = np.where(mask, 0.8, 0.2) + 0.05 * rng.standard_normal(mask.shape)
    noise = rng.random(mask.shape)
    inverted = np.where(mask, 0.3, 0.7) + 0.2 * rng.standard_normal(mask.shape)
    x, y = sample_pixels([good, noise, inverted], mask, per_class=300, rng=rng)
    assert len(y) == 600 and y.sum() == 300  # balanced classes
    weights = fit_weights(x, y)
    assert weights[0] > 0.9 and weights[2] == 0


def test_fit_refuses_when_nothing_correlates():
    rng = np.random.default_rng(2)
    x = rng.random((1000, 2))
    y = (x[:, 0] < 0.5).astype(float)  # source 0 anti-correlates: its weight would be negative
    with pytest.raises(InputError, match="all zero"):
        fit_weights(x[:, :1], y)
    with pytest.raises(InputError, match="both salient and background"):
        fit_weights(x, np.ones(1000))


def test_fuse_is_the_weighted_mean_of_stretched_maps():
    a = np.array([[0.0, 2.0], [4.0, 4.0]])  # stretched: 0, .5, 1, 1
    b = np.array([[1.0, 1.0], [1.0, 3.0]])  # stretched: 0, 0, 0, 1
    fused = fuse([a, b], np.array([3.0, 1.0]))
    np.testing.assert_allclose(fused, [[0.0, 0.375], [0.75, 1.0]])


def test_resolve_weights_checks_names_and_values():
    np.testing.assert_allclose(resolve_weights("uniform", ["a", "b"]), [0.5, 0.5])
    np.testing.assert_allclose(resolve_weights({"b": 1, "a": 3}, ["a", "b"]), [0.75, 0.25])
    with pytest.raises(InputError, match="coarse.weights.*missing \\['b'\\]"):
        resolve_weights({"a": 1}, ["a", "b"])
    with pytest.raises(InputError, match="non-negative"):
        resolve_weights({"a": -1, "b": 2}, ["a", "b"])
    with pytest.raises(InputError, match="coarse.weights"):
        resolve_weights("fitted", ["a"])


def test_otsu_separates_a_bimodal_map():
    rng = np.random.default_rng(3)
    truth = np.zeros((100, 100), bool)
    truth[30:70, 20:60] = True
    fused = np.where(truth, 0.75, 0.2) + 0.05 * rng.standard_normal(truth.shape)
    label = binarise(np.clip(fused, 0, 1), "otsu")
    assert (label == truth).mean() > 0.999
    # Otsu is invariant to a positive affine change of the map (why fitted weights may be rescaled)
    np.testing.assert_array_equal(binarise(0.3 * fused + 2.0, "otsu"), label)
    # a fixed threshold is not adaptive: at 0.8 almost nothing survives
    assert binarise(fused, 0.8).mean() < 0.05


def test_binarise_constant_map_and_bad_threshold():
    assert not binarise(np.full((5, 5), 0.4), "otsu").any()
    with pytest.raises(InputError, match="coarse.threshold"):
        binarise(np.zeros((2, 2)), "mean")


def test_fit_threshold_maximises_mean_iou():
    # object pixels at 0.5 or 0.7, background at 0.1 or 0.35: any t in [0.35, 0.5) is perfect
    mask = np.zeros((20, 20), bool)
    mask[5:15, 5:15] = True
    fused = np.where(mask, 0.5, 0.1)
    fused[5:10, 5:15] = 0.7
    fused[0:3, :] = 0.35
    t = fit_threshold([fused, fused.T], [mask, mask.T])
    assert 0.35 <= t < 0.5
    assert np.array_equal(fused > t, mask)

    # brute force: the chosen candidate has the best mean IoU of all candidates
    def mean_iou(th):
        return np.mean(
            [
                (((f > th) & m).sum() / ((f > th) | m).sum())
                for f, m in [(fused, mask), (fused.T, mask.T)]
            ]
        )

    best = max(np.round(np.arange(1, 50) * 0.02, 2), key=mean_iou)
    assert mean_iou(t) == pytest.approx(mean_iou(best))


def test_fit_threshold_counts_empty_frames():
    # a frame with an empty mask scores 1 only when nothing passes the threshold
    empty = np.zeros((10, 10), bool)
    noisy = np.full((10, 10), 0.6)
    assert fit_threshold([noisy], [empty]) >= 0.6
