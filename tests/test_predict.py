"""Inference: sliding windows, the predict stage, and the clip / video-file API."""

from __future__ import annotations

import cv2
import numpy as np
import pandas as pd
import pytest
import torch
from toy_clips import make_toy_dataset

from stan.inputs.features import cache_features
from stan.inputs.frames import prior_input, window_positions
from stan.io import InputError, read_gray
from stan.model.build import build_model
from stan.predict import load_model, predict_clip, predict_dataset, predict_video_file
from stan.predict.windows import predict_frames
from stan.train import train_model

TINY = dict(
    variant="STAN",
    window=3,
    backbone_init="random",
    frozen_backbone=True,
    branch_width=8,
    branch_channels=4,
    lstm_hidden=4,
    conv3d_channels=4,
    attention_channels=8,
    fusion_stride=2,
    motion_encoder_channels=8,
)
SIZE = [32, 48]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    root = tmp_path_factory.mktemp("toy")
    data = make_toy_dataset(root, frames=5, size=(40, 56), with_flow=True)
    cache_features(data["manifest"], root / "cache", TINY, SIZE)
    train_model(
        manifest_csv=data["manifest"],
        out_checkpoint=root / "model.pt",
        log_path=root / "train.jsonl",
        model_config=TINY,
        train_config=dict(input_size=SIZE, batch_size=2, steps=2, threads=2),
        prior_root=data["prior_root"],
        feature_cache=root / "cache",
    )
    data.update(cache=root / "cache", checkpoint=root / "model.pt")
    return data


@pytest.mark.parametrize(
    "extra",
    [
        {},
        {"prior_residual": True},
        {"prior_norm": "frame"},
        {"prior_residual": True, "prior_norm": "frame"},
    ],
)
def test_sliding_windows_equal_direct_forward(extra):
    """Per-frame maps reused across windows give what the model gives on each explicit window."""
    torch.manual_seed(0)
    model = build_model(dict(TINY, **extra)).eval()
    n = 6
    rgb = np.random.default_rng(0).integers(0, 255, (n, 16, 16, 3), dtype=np.uint8)
    # priors as weak as the project's (peaks near 0.25), so prior_norm changes them
    prior = np.random.default_rng(1).integers(0, 64, (n, 16, 16, 1), dtype=np.uint8)
    got = dict(
        predict_frames(
            model, n, lambda i: {"rgb": rgb[i], "motion": prior[i]}, (16, 16), batch_size=4
        )
    )
    assert sorted(got) == list(range(n))
    frames = torch.from_numpy(rgb).permute(0, 3, 1, 2).float()
    motion = torch.from_numpy(prior).permute(0, 3, 1, 2).float() / 255
    with torch.no_grad():
        windows = [window_positions(i, 3, 1) for i in range(n)]
        want = torch.sigmoid(
            model(
                torch.stack([frames[w] for w in windows]), torch.stack([motion[w] for w in windows])
            )
        )
    np.testing.assert_allclose(np.stack([got[i] for i in range(n)]), want[:, 0].numpy(), atol=1e-5)


def test_prior_residual_is_ignored_by_image_only_variants():
    """model.prior_residual on OS (no temporal stream, so no prior is loaded): the windows run
    without a motion input and equal the direct forward."""
    torch.manual_seed(0)
    model = build_model(dict(TINY, variant="OS", prior_residual=True)).eval()
    assert model.residual_gain is None
    rgb = np.random.default_rng(0).integers(0, 255, (4, 16, 16, 3), dtype=np.uint8)
    got = dict(predict_frames(model, 4, lambda i: {"rgb": rgb[i]}, (16, 16), batch_size=2))
    frames = torch.from_numpy(rgb).permute(0, 3, 1, 2).float()
    with torch.no_grad():
        want = torch.sigmoid(model(frames[:, None]))[:, 0].numpy()
    np.testing.assert_allclose(np.stack([got[i] for i in range(4)]), want, atol=1e-5)


def test_predict_dataset_writes_maps_like_the_ground_truth(trained, tmp_path):
    written = predict_dataset(
        manifest_csv=trained["manifest"],
        checkpoint=trained["checkpoint"],
        out_root=tmp_path / "cached",
        prior_root=trained["prior_root"],
        feature_cache=trained["cache"],
        predict_config={"batch_size": 2},
    )
    assert sorted(p.relative_to(tmp_path / "cached").as_posix() for p in written) == [
        f"toy_c/{i:05d}.png" for i in range(5)
    ]
    cached = read_gray(written[0])
    assert cached.shape == (40, 56) and cached.dtype == np.uint8
    # Without the cache the frozen trunk runs on the frames: same maps up to float16 rounding.
    predict_dataset(
        manifest_csv=trained["manifest"],
        checkpoint=trained["checkpoint"],
        out_root=tmp_path / "direct",
        prior_root=trained["prior_root"],
    )
    direct = read_gray(tmp_path / "direct" / "toy_c" / "00000.png")
    assert np.abs(direct.astype(int) - cached).max() <= 2


def test_predict_clip_with_priors_or_a_prior_function(trained, monkeypatch):
    model, ckpt = load_model(trained["checkpoint"], "cpu")
    frames = [
        cv2.cvtColor(
            cv2.imread(str(trained["root"] / "JPEGImages" / "toy_c" / f"{i:05d}.png")),
            cv2.COLOR_BGR2RGB,
        )
        for i in range(5)
    ]
    priors = [read_gray(trained["prior_root"] / "toy_c" / f"{i:05d}.png") for i in range(5)]
    maps = predict_clip(trained["checkpoint"], frames, priors=priors)
    assert len(maps) == 5 and maps[0].shape == (40, 56) and 0 <= maps[0].min() <= maps[0].max() <= 1
    same = predict_clip(model, frames, priors=priors, input_size=tuple(ckpt["input_size"]))
    np.testing.assert_allclose(maps[3], same[3], atol=1e-6)
    # the clip API builds the motion input with the predict stage's helper: small noisy priors,
    # whose enlarging rounds differently in 8-bit and in float arithmetic, give the same input
    rng = np.random.default_rng(0)
    noisy = [rng.integers(0, 256, size=(20, 28), dtype=np.uint8) for _ in priors]
    inputs = []

    def capture(model, n, load, *args, **kwargs):
        inputs.extend(load(i)["motion"] for i in range(n))
        return predict_frames(model, n, load, *args, **kwargs)

    monkeypatch.setattr("stan.predict.api.predict_frames", capture)
    predict_clip(trained["checkpoint"], frames, priors=noisy)
    for prior, motion in zip(noisy, inputs, strict=True):
        np.testing.assert_array_equal(motion, prior_input(prior, tuple(ckpt["input_size"])))
    seen = []

    def prior_fn(frame, flow):
        seen.append(flow.shape)
        return np.clip(np.hypot(flow[..., 0], flow[..., 1]) / 4, 0, 1)

    assert len(predict_clip(trained["checkpoint"], frames, prior_fn=prior_fn)) == 5
    assert seen == [(40, 56, 2)] * 5
    with pytest.raises(InputError, match="priors"):
        predict_clip(trained["checkpoint"], frames)


def test_predict_video_file(trained, tmp_path):
    path = tmp_path / "clip.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10, (56, 40))
    for i in range(4):
        writer.write(cv2.imread(str(trained["root"] / "JPEGImages" / "toy_a" / f"{i:05d}.png")))
    writer.release()
    maps = predict_video_file(
        trained["checkpoint"],
        path,
        out_dir=tmp_path / "out",
        prior_fn=lambda f, fl: np.zeros(f.shape[:2]),
    )
    assert len(maps) == 4
    assert read_gray(tmp_path / "out" / "00003.png").shape == (40, 56)


def test_flow_model_on_a_clip():
    model = build_model(dict(TINY, temporal_input="flow")).eval()
    frames = [np.full((16, 24, 3), 10 * i, np.uint8) for i in range(3)]
    maps = predict_clip(model, frames, input_size=(16, 24))
    assert [m.shape for m in maps] == [(16, 24)] * 3


def test_magnitude_channel_model_reads_flow_magnitude_maps(trained, tmp_path):
    """A model with model.magnitude_channel trains and predicts on the prior plus the
    flow-magnitude maps of rule flow_magnitude; the clip API computes the same maps from the
    flows; without the maps the stage stops and names the config key."""
    from stan.baseline.stage import write_flow_magnitude_maps
    from stan.flow.cache import load_flow

    flow_root, magnitude_root = trained["flow_root"], tmp_path / "flow-magnitude"
    videos = sorted(p.stem for p in flow_root.glob("*.npz"))
    for video in videos:
        write_flow_magnitude_maps(flow_root / f"{video}.npz", magnitude_root / video, {})
    model_cfg = dict(TINY, prior_residual=True, prior_norm="frame", magnitude_channel=True)

    def train(name, **roots):
        train_model(
            manifest_csv=trained["manifest"],
            out_checkpoint=tmp_path / f"{name}.pt",
            log_path=tmp_path / f"{name}.jsonl",
            model_config=model_cfg,
            train_config=dict(input_size=SIZE, batch_size=2, steps=2, threads=2),
            prior_root=trained["prior_root"],
            feature_cache=trained["cache"],
            **roots,
        )

    with pytest.raises(InputError, match="magnitude_channel"):
        train("no")
    train("model", magnitude_root=magnitude_root)
    predict_dataset(
        manifest_csv=trained["manifest"],
        checkpoint=tmp_path / "model.pt",
        out_root=tmp_path / "maps",
        prior_root=trained["prior_root"],
        magnitude_root=magnitude_root,
        predict_config={"split": "all"},
    )
    with pytest.raises(InputError, match="magnitude_channel: true"):
        predict_dataset(
            manifest_csv=trained["manifest"],
            checkpoint=tmp_path / "model.pt",
            out_root=tmp_path / "none",
            prior_root=trained["prior_root"],
        )
    video = "toy_c"
    frames = [
        cv2.cvtColor(
            cv2.imread(str(trained["root"] / "JPEGImages" / video / f"{i:05d}.png")),
            cv2.COLOR_BGR2RGB,
        )
        for i in range(5)
    ]
    priors = [read_gray(trained["prior_root"] / video / f"{i:05d}.png") for i in range(5)]
    maps = predict_clip(
        tmp_path / "model.pt",
        frames,
        priors=priors,
        flows=list(load_flow(flow_root / f"{video}.npz")),
    )
    for i, prob in enumerate(maps):
        stage = read_gray(tmp_path / "maps" / video / f"{i:05d}.png").astype(int)
        assert np.abs(np.rint(prob * 255) - stage).max() <= 1
    blank = predict_clip(
        tmp_path / "model.pt", frames, priors=priors, magnitudes=[np.zeros((40, 56))] * 5
    )
    assert max(np.abs(a - b).max() for a, b in zip(maps, blank, strict=True)) > 0


def test_train_conv5_model_predicts_from_the_cached_pool4(trained, tmp_path):
    """A model with model.train_conv5 reads only pool4 from the feature cache and runs its own
    last block: the maps equal those of the frozen trunk run on the frames (float16 rounding)."""
    model_cfg = dict(TINY, train_conv5=True)
    train_model(
        manifest_csv=trained["manifest"],
        out_checkpoint=tmp_path / "model.pt",
        log_path=tmp_path / "train.jsonl",
        model_config=model_cfg,
        train_config=dict(input_size=SIZE, batch_size=2, steps=2, threads=2, backbone_lr_scale=0.1),
        prior_root=trained["prior_root"],
        feature_cache=trained["cache"],
    )
    model, _ = load_model(tmp_path / "model.pt", "cpu")
    fresh = build_model(model_cfg)
    trained_block = model.conv5_block.state_dict()
    assert any(
        not torch.equal(v, fresh.conv5_block.state_dict()[k]) for k, v in trained_block.items()
    )  # the block trained
    for name, cache in (("cached", trained["cache"]), ("direct", None)):
        predict_dataset(
            manifest_csv=trained["manifest"],
            checkpoint=tmp_path / "model.pt",
            out_root=tmp_path / name,
            prior_root=trained["prior_root"],
            feature_cache=cache,
        )
    cached = read_gray(tmp_path / "cached" / "toy_c" / "00004.png").astype(int)
    direct = read_gray(tmp_path / "direct" / "toy_c" / "00004.png").astype(int)
    assert np.abs(direct - cached).max() <= 2


def test_seed_ensemble_averages_member_maps(tmp_path):
    from stan.data.manifest import write_manifest
    from stan.io import write_png
    from stan.predict.ensemble import average_video

    rng = np.random.default_rng(0)
    frames = ["00000", "00001", "00002"]
    manifest = tmp_path / "manifest.csv"
    rows = [
        {"video": "clip", "frame": f, "image": f"{f}.jpg", "gt": "", "split": "test"}
        for f in frames
    ]
    write_manifest(pd.DataFrame(rows), manifest)
    members = [tmp_path / f"STAN{suffix}" / "clip" for suffix in ("", "-s1", "-s2")]
    maps = rng.integers(0, 256, size=(3, len(frames), 12, 16), dtype=np.uint8)
    for folder, member_maps in zip(members, maps, strict=True):
        for frame, saliency in zip(frames, member_maps, strict=True):
            write_png(folder / f"{frame}.png", saliency)
    out = tmp_path / "STAN-ens3" / "clip"
    assert average_video(manifest, "clip", members, out) == 3
    for k, frame in enumerate(frames):
        expected = np.rint(maps[:, k].astype(np.float64).mean(axis=0)).astype(np.uint8)
        np.testing.assert_array_equal(read_gray(out / f"{frame}.png"), expected)

    # a member missing a frame, or predicting at another size, stops the job with the file named
    # and leaves no output behind
    (members[2] / "00001.png").unlink()
    fresh = tmp_path / "again" / "clip"
    with pytest.raises(InputError, match=r"STAN-s2/clip: 1 of 3 maps .* missing"):
        average_video(manifest, "clip", members, fresh)
    write_png(members[2] / "00001.png", np.zeros((24, 32), np.uint8))
    with pytest.raises(InputError, match=r"STAN-s2/clip/00001.png: map of size \(24, 32\)"):
        average_video(manifest, "clip", members, fresh)
    assert not fresh.parent.exists() or not any(fresh.parent.iterdir())
    with pytest.raises(ValueError, match="at least two"):
        average_video(manifest, "clip", members[:1], fresh)
