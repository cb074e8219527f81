"""Appearance pre-training on static salient-object images (stan.train.pretrain)."""

from __future__ import annotations

import json
import logging

import cv2
import numpy as np
import pytest
import torch
from conftest import SHARED_DATA
from test_train import SIZE, TINY, toy  # noqa: F401  (toy: the shared fixture)

from stan.inputs.features import trunk_fingerprint
from stan.io import InputError
from stan.model.build import build_model
from stan.model.config import ModelConfig
from stan.runtime import load_checkpoint
from stan.train import train_model
from stan.train.pretrain import (
    PretrainConfig,
    index_images,
    init_from_appearance,
    pretrain_appearance,
)


def make_images(root, n=12, size=(40, 56), seed=0):
    """DUTS-layout images: a bright square (the salient object, its mask) on dark noise."""
    rng = np.random.default_rng(seed)
    (root / "Imgs").mkdir(parents=True)
    (root / "GT").mkdir()
    h, w = size
    for i in range(n):
        image = rng.integers(0, 90, size=(h, w, 3)).astype(np.uint8)
        mask = np.zeros((h, w), np.uint8)
        side = int(rng.integers(h // 4, h // 2))
        top, left = int(rng.integers(0, h - side)), int(rng.integers(0, w - side))
        image[top : top + side, left : left + side] = rng.integers(180, 255, size=3)
        mask[top : top + side, left : left + side] = 255
        cv2.imwrite(str(root / "Imgs" / f"img_{i:03d}.jpg"), image)
        cv2.imwrite(str(root / "GT" / f"img_{i:03d}.png"), mask)
    return root


def pretrain(images, out_dir, **cfg):
    return pretrain_appearance(
        out_checkpoint=out_dir / "appearance.pt",
        log_path=out_dir / "appearance.jsonl",
        model_config=TINY,
        pretrain_config={"root": str(images), "steps": 30, "batch_size": 4, "lr": 1e-2, **cfg},
        input_size=SIZE,
        threads=1,
    )


@pytest.fixture(scope="module")
def pretrained(tmp_path_factory):
    root = tmp_path_factory.mktemp("pretrain")
    images = make_images(root / "images")
    metrics = pretrain(images, root)
    return {"root": root, "images": images, "metrics": metrics, "ckpt": root / "appearance.pt"}


def test_images_pair_by_stem_and_problems_name_the_key(tmp_path):
    images = make_images(tmp_path / "ok", n=3)
    pairs = index_images(images)
    assert [(i.stem, m.stem) for i, m in pairs] == [(f"img_{k:03d}",) * 2 for k in range(3)]
    (images / "GT" / "img_001.png").unlink()
    with pytest.raises(InputError, match=r"img_001\.jpg.*pretrain\.root"):
        index_images(images)
    with pytest.raises(InputError, match=r"Imgs/ and GT/.*pretrain\.root"):
        index_images(tmp_path / "missing")


def test_the_release_folder_names_are_read_too(tmp_path):
    images = make_images(tmp_path / "release", n=2)
    (images / "Imgs").rename(images / "DUTS-TR-Image")
    (images / "GT").rename(images / "DUTS-TR-Mask")
    assert [i.parent.name for i, _ in index_images(images)] == ["DUTS-TR-Image"] * 2


def test_an_empty_mask_stops_the_pre_training(tmp_path):
    images = make_images(tmp_path / "images", n=4)
    cv2.imwrite(str(images / "GT" / "img_002.png"), np.zeros((40, 56), np.uint8))
    with pytest.raises(InputError, match=r"img_002\.png: empty mask"):
        pretrain(images, tmp_path)


def test_pre_training_learns_and_scores_held_out_images(pretrained):
    ckpt = load_checkpoint(pretrained["ckpt"], "stan-model")
    assert ckpt["model_config"]["variant"] == "OS"
    assert ckpt["metrics"]["held_out"]["images"] == 2  # every 10th of 12 images, from the first
    losses = [
        json.loads(line)["loss"]
        for line in (pretrained["root"] / "appearance.jsonl").read_text().splitlines()
    ]
    assert len(losses) == 30
    assert np.mean(losses[-5:]) < np.mean(losses[:5])
    assert 0.0 <= ckpt["metrics"]["held_out"]["mae"] <= 1.0


def test_init_copies_the_branches_into_both_streams(pretrained):
    source = load_checkpoint(pretrained["ckpt"], "stan-model")["model"]
    model = build_model(ModelConfig.from_dict({**TINY, "prior_residual": True}), seed=3)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    copied = init_from_appearance(model, pretrained["ckpt"], trunk_fingerprint(model.spatial_trunk))
    state = model.state_dict()
    assert copied == 2 * sum(k.startswith("spatial_branches.") for k in source)
    for key, value in source.items():
        if key.startswith("spatial_branches."):
            assert torch.equal(state[key], value)
    first = "temporal_branches.branches.pool4.convs.0.weight"
    pre = source["spatial_branches.branches.pool4.convs.0.weight"]
    assert torch.equal(state[first][:, : pre.shape[1]], pre)  # appearance channels
    assert torch.equal(state[first][:, pre.shape[1] :], before[first][:, pre.shape[1] :])  # motion
    for key in state:  # heads, trunk and motion encoder keep their initialisation
        if not key.startswith(("spatial_branches.", "temporal_branches.")):
            assert torch.equal(state[key], before[key]), key


def test_init_refuses_another_backbone(pretrained):
    model = build_model(ModelConfig.from_dict(TINY), seed=0)
    with pytest.raises(InputError, match="another backbone"):
        init_from_appearance(model, pretrained["ckpt"], "0" * 16)


def test_training_starts_from_the_pre_trained_branches(pretrained, toy, tmp_path):  # noqa: F811
    train_model(
        manifest_csv=toy["manifest"],
        out_checkpoint=tmp_path / "model.pt",
        log_path=tmp_path / "train.jsonl",
        model_config=TINY,
        train_config={"input_size": SIZE, "batch_size": 2, "steps": 1, "lr": 1e-12, "threads": 1},
        prior_root=toy["prior_root"],
        feature_cache=toy["cache"],
        init_checkpoint=pretrained["ckpt"],
    )
    trained = load_checkpoint(tmp_path / "model.pt", "stan-model")
    assert trained["metrics"]["initialised_from"] == str(pretrained["ckpt"])
    source = load_checkpoint(pretrained["ckpt"], "stan-model")["model"]
    key = "spatial_branches.branches.conv5.convs.2.weight"
    assert torch.allclose(trained["model"][key], source[key], atol=1e-6)  # lr ~ 0: one tiny step


def test_max_images_keeps_evenly_spaced_images(tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="stan.train.pretrain")
    images = make_images(tmp_path / "images", n=9)
    metrics = pretrain(images, tmp_path, steps=2, max_images=3, val_every=0)
    assert metrics["images"] == 3
    assert "3 of the 9 images" in caplog.text


def test_config_validation():
    with pytest.raises(InputError, match="unknown keys"):
        PretrainConfig.from_dict({"rooot": "x"})
    with pytest.raises(InputError, match="steps"):
        PretrainConfig.from_dict({"steps": 0})
    with pytest.raises(InputError, match="max_images"):
        PretrainConfig.from_dict({"max_images": -1})


@pytest.mark.skipif(
    not (SHARED_DATA / "DUTS-TR-part" / "Imgs").is_dir(), reason="DUTS-TR-part not present"
)
def test_the_team_duts_copy_indexes():
    pairs = index_images(SHARED_DATA / "DUTS-TR-part")
    assert len(pairs) == 499
