"""Motion prior: AlexNet key names and weights loading, superpixel labels, the two feature modes
and their agreement, frame preparation."""

import json
import os
from pathlib import Path

import numpy as np
import pytest
import torch

from stan.io import InputError
from stan.prior.alexnet import WEIGHTS_URL, AlexNet, AlexNetFeatures, load_alexnet_features
from stan.prior.config import PriorConfig
from stan.prior.features import cell_coverage, patch_features, pooled_features
from stan.prior.frame import prepare_frame
from stan.prior.labels import mask_to_work, superpixel_fractions
from stan.prior.model import build_model
from stan.prior.superpixels import bounding_boxes, upsample_labels

REFERENCE = (
    Path(
        os.environ.get("STAN_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data")
    ).parent
    / "reference"
)


@pytest.fixture(autouse=True)
def _threads():
    torch.set_num_threads(1)
    torch.manual_seed(0)


def test_alexnet_key_names_match_torchvision():
    keys_file = REFERENCE / "alexnet_keys.json"
    if not keys_file.is_file():
        pytest.skip(f"{keys_file} not found (shared reference folder absent)")
    expected = [(k, list(s)) for k, s in json.loads(keys_file.read_text())]
    got = [(k, list(v.shape)) for k, v in AlexNet().state_dict().items()]
    assert got == expected
    trunk = {
        f"features.{k}": list(v.shape) for k, v in AlexNetFeatures().features.state_dict().items()
    }
    assert trunk == {k: s for k, s in expected if k.startswith("features.")}


def test_alexnet_weights_load_and_missing_file_error(tmp_path):
    source = AlexNetFeatures()
    state = {f"features.{k}": v for k, v in source.features.state_dict().items()}
    state["classifier.6.bias"] = torch.zeros(1000)  # the classifier keys are ignored
    path = tmp_path / "alexnet-owt-7be5be79.pth"
    torch.save(state, path)
    target = AlexNetFeatures()
    load_alexnet_features(target, path)
    for a, b in zip(source.parameters(), target.parameters(), strict=True):
        assert torch.equal(a, b)

    missing = tmp_path / "nowhere" / "alexnet-owt-7be5be79.pth"
    with pytest.raises(InputError) as err:
        build_model(PriorConfig(alexnet_weights=str(missing)))
    message = str(err.value)
    assert str(missing) in message and WEIGHTS_URL in message
    assert "prior.alexnet_weights" in message

    torch.save({"conv.weight": torch.zeros(1)}, tmp_path / "other.pth")
    with pytest.raises(InputError, match="not a torchvision AlexNet"):
        load_alexnet_features(AlexNetFeatures(), tmp_path / "other.pth")


def test_superpixel_fractions_by_hand():
    labels = np.array([[0, 0, 1, 1], [0, 0, 1, 1], [2, 2, 2, 2]], np.int32)
    mask = np.array([[1, 0, 1, 1], [0, 0, 1, 1], [0, 0, 0, 1]], bool)
    np.testing.assert_allclose(
        superpixel_fractions(labels, 3, mask_to_work(mask, (3, 4))), [0.25, 1, 0.25]
    )
    # Area averaging to a coarser grid keeps the covered fraction.
    big = np.zeros((8, 8), bool)
    big[:4] = True
    cover = mask_to_work(big, (4, 4))
    assert cover.shape == (4, 4) and cover.mean() == pytest.approx(0.5)


def test_config_rejects_unknown_and_bad_values():
    with pytest.raises(InputError, match="unknown keys.*feature_mod"):
        PriorConfig.from_params({"feature_mod": "patch"})
    with pytest.raises(InputError, match="prior.feature_mode"):
        PriorConfig.from_params({"feature_mode": "dense"})
    with pytest.raises(InputError, match="prior.refine"):
        PriorConfig(refine="crf")
    assert PriorConfig.from_params({"hidden": [32, 16]}).hidden == (32, 16)


def test_boxes_and_label_upsampling():
    labels = np.zeros((6, 8), np.int32)
    labels[1:3, 2:5] = 1
    labels[5, 7] = 2
    np.testing.assert_array_equal(
        bounding_boxes(labels, 3), [[0, 0, 8, 6], [2, 1, 5, 3], [7, 5, 8, 6]]
    )
    up = upsample_labels(labels, (12, 16))
    assert up.shape == (12, 16) and up[2:6, 4:10].min() == 1 == up[2:6, 4:10].max()


def test_cell_coverage_rows_are_shares():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 5, (37, 53)).astype(np.int32)
    cover = cell_coverage(labels, 5, (3, 4))
    np.testing.assert_allclose(cover.sum(0), 1, rtol=1e-6)


@torch.no_grad()
def test_patch_and_pooled_agree_on_a_whole_frame_superpixel():
    trunk = AlexNetFeatures().eval()
    rng = np.random.default_rng(1)
    image = rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)
    labels = np.zeros((64, 64), np.int32)
    pooled = pooled_features(trunk, image, labels, 1)
    patch = patch_features(trunk, image, bounding_boxes(labels, 1), 64)
    assert pooled.shape == patch.shape == (1, 256)
    torch.testing.assert_close(pooled, patch, rtol=1e-5, atol=1e-5)


@torch.no_grad()
def test_pooled_features_are_mask_averages_and_patch_is_batched_like_single():
    trunk = AlexNetFeatures().eval()
    rng = np.random.default_rng(2)
    image = rng.integers(0, 256, (96, 144, 3), dtype=np.uint8)
    labels = np.zeros((96, 144), np.int32)
    labels[:, 72:] = 1  # two halves: each owns whole feature columns when the grid is even
    fmap = trunk(torch.from_numpy(image).permute(2, 0, 1)[None].float())[0]
    fw = fmap.shape[2]
    assert fw % 2 == 0
    pooled = pooled_features(trunk, image, labels, 2)
    torch.testing.assert_close(pooled[0], fmap[:, :, : fw // 2].mean((1, 2)), rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(pooled[1], fmap[:, :, fw // 2 :].mean((1, 2)), rtol=1e-5, atol=1e-5)
    boxes = bounding_boxes(labels, 2)
    both = patch_features(trunk, image, boxes, 64, batch_size=1)
    single = patch_features(trunk, image, boxes[1:], 64)
    torch.testing.assert_close(both[1:], single, rtol=1e-5, atol=1e-5)


def test_prepare_frame_finds_the_moving_object():
    h, w = 120, 160
    flow = np.zeros((h, w, 2), np.float32)
    flow[..., 0] = 3.0  # camera pans
    flow[40:80, 60:110] = (-4.0, 2.0)  # an object moves against it
    cfg = PriorConfig(work_scale=0.5, n_segments=60)
    frame = prepare_frame(flow, cfg)
    assert frame.labels.shape == (60, 80) and frame.full_shape == (h, w)
    assert frame.n == frame.labels.max() + 1 == len(frame.boxes) == len(frame.handcrafted)
    assert frame.handcrafted.shape[1] == 12 and np.isfinite(frame.handcrafted).all()
    mask = np.zeros((h, w), bool)
    mask[40:80, 60:110] = True
    frac = superpixel_fractions(frame.labels, frame.n, mask_to_work(mask, frame.labels.shape))
    inside, outside = frac > 0.9, frac < 0.1
    assert inside.any() and outside.any()
    residual = frame.handcrafted[:, 0]
    assert residual[inside].min() > 0.5 > residual[outside].max()
    assert frame.motion.shape == (60, 80) and 0 <= frame.motion.min() <= frame.motion.max() <= 1
    assert frame.motion[25, 42] > 0.9 and frame.motion[5, 5] < 0.1
