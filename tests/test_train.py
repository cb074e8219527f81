"""Training: loss goes down, determinism, checkpoints, resume, NaN, inputs and augmentation."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import torch
from toy_clips import make_toy_dataset

from stan.data.manifest import load_manifest
from stan.inputs.features import FeatureCache, cache_features
from stan.inputs.frames import window_positions
from stan.io import InputError
from stan.model.config import ModelConfig
from stan.runtime import load_checkpoint
from stan.train import loop as train_loop
from stan.train import train_model
from stan.train.config import TrainConfig
from stan.train.dataset import WindowDataset

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
TRAIN = dict(
    input_size=SIZE,
    batch_size=2,
    steps=4,
    lr=3e-3,
    crop_size=[24, 40],
    checkpoint_every=2,
    threads=2,
)


@pytest.fixture(scope="module")
def toy(tmp_path_factory):
    root = tmp_path_factory.mktemp("toy")
    data = make_toy_dataset(root, frames=5, size=(32, 48), with_flow=True)
    cache_features(data["manifest"], root / "cache", TINY, SIZE)
    data["cache"] = root / "cache"
    return data


def run(toy, out_dir, model=None, **train):
    return train_model(
        manifest_csv=toy["manifest"],
        out_checkpoint=out_dir / "model.pt",
        log_path=out_dir / "train.jsonl",
        model_config=model or TINY,
        train_config=dict(TRAIN, **train),
        prior_root=toy["prior_root"],
        flow_root=toy["flow_root"],
        feature_cache=toy["cache"],
    )


def test_window_positions_repeat_the_first_frame():
    assert window_positions(0, 4, 1) == [0, 0, 0, 0]
    assert window_positions(2, 4, 1) == [0, 0, 1, 2]
    assert window_positions(9, 3, 2) == [5, 7, 9]


@pytest.mark.slow
def test_training_reduces_the_loss(toy, tmp_path):
    run(toy, tmp_path, steps=16, lr=1e-2, hflip=False)
    losses = [
        json.loads(line)["loss"] for line in (tmp_path / "train.jsonl").read_text().splitlines()
    ]
    assert len(losses) == 16
    assert np.mean(losses[-4:]) < 0.8 * np.mean(losses[:3])


def test_training_is_deterministic_and_checkpoint_loads_with_weights_only(toy, tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    run(toy, tmp_path / "a")
    run(toy, tmp_path / "b")
    a = torch.load(tmp_path / "a" / "model.pt", weights_only=True)
    b = load_checkpoint(tmp_path / "b" / "model.pt", "stan-model")
    assert set(a) >= {"model", "model_config", "optimizer", "step", "metrics", "train_config"}
    assert a["step"] == 4 and a["model_config"] == ModelConfig.from_dict(TINY).to_dict()
    assert all(torch.equal(a["model"][k], b["model"][k]) for k in a["model"])
    assert not (tmp_path / "a" / "model.last.pt").exists()  # removed once the run completed


@pytest.mark.slow
def test_resume_gives_the_uninterrupted_result(toy, tmp_path, monkeypatch):
    (tmp_path / "full").mkdir()
    (tmp_path / "cut").mkdir()
    run(toy, tmp_path / "full")
    calls = {"n": 0}
    real = train_loop.window_loss

    def crash_on_third(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(train_loop, "window_loss", crash_on_third)
    with pytest.raises(KeyboardInterrupt):
        run(toy, tmp_path / "cut")
    assert load_checkpoint(tmp_path / "cut" / "model.last.pt", "stan-model")["step"] == 2
    # The step log is an output only once complete (Snakemake deletes outputs before a rerun).
    assert not (tmp_path / "cut" / "train.jsonl").exists()
    monkeypatch.setattr(train_loop, "window_loss", real)
    run(toy, tmp_path / "cut")
    full = load_checkpoint(tmp_path / "full" / "model.pt", "stan-model")["model"]
    cut = load_checkpoint(tmp_path / "cut" / "model.pt", "stan-model")["model"]
    assert all(torch.equal(full[k], cut[k]) for k in full)
    records = {
        name: [json.loads(line) for line in (tmp_path / name / "train.jsonl").open()]
        for name in ("full", "cut")
    }
    assert [r["step"] for r in records["cut"]] == [1, 2, 3, 4]
    assert [r["loss"] for r in records["cut"]] == [r["loss"] for r in records["full"]]


def test_nan_loss_raises(toy, tmp_path, monkeypatch):
    real = train_loop.window_loss
    monkeypatch.setattr(train_loop, "window_loss", lambda *a, **k: real(*a, **k) * float("nan"))
    with pytest.raises(FloatingPointError, match="step 0"):
        run(toy, tmp_path)
    assert not (tmp_path / "model.pt").exists()


@pytest.mark.slow
def test_full_mode_with_label_table_and_flow_input(toy, tmp_path):
    """Unfrozen trunks (the paper's mode) with scale-crop, labels from a label table."""
    manifest = load_manifest(toy["manifest"])
    table = manifest[manifest["split"] == "train"][["video", "frame"]].copy()
    table["label_path"] = manifest.loc[table.index, "gt"]
    table["source"] = "coarse"
    table = table.iloc[::2]
    table.to_csv(tmp_path / "labels.csv", index=False)
    model = dict(TINY, frozen_backbone=False, temporal_input="flow", window=2)
    metrics = train_model(
        manifest_csv=toy["manifest"],
        out_checkpoint=tmp_path / "model.pt",
        log_path=tmp_path / "train.jsonl",
        model_config=model,
        train_config=dict(
            input_size=[16, 24], batch_size=1, steps=2, scale_range=[1.0, 1.5], threads=2
        ),
        flow_root=toy["flow_root"],
        label_table=tmp_path / "labels.csv",
    )
    assert metrics["targets"] == len(table)
    assert np.isfinite(metrics["loss_mean_last50"])


def test_augmentation_is_identical_across_the_window(toy):
    model_cfg = ModelConfig.from_dict(TINY)
    cfg = TrainConfig.from_dict(dict(TRAIN, steps=12, hflip=True))
    cache = FeatureCache(toy["cache"], fingerprint=_fingerprint(), input_size=SIZE)
    data = WindowDataset(
        load_manifest(toy["manifest"]), model_cfg, cfg, prior_root=toy["prior_root"], cache=cache
    )
    for j in range(len(data)):
        item = data[j]
        label = item["label"][0].numpy().ravel()
        assert item["pool4"].shape == (3, 512, 3, 5) and item["label"].shape == (1, 24, 40)
        # The toy prior is the blurred mask plus noise: it must stay aligned with the label.
        for motion in item["motion"][:, 0].numpy():
            shift = np.abs(motion.ravel() - label).mean()
            assert shift < 0.35
        assert torch.equal(data[j]["pool4"], item["pool4"])  # items depend only on (seed, j)


def test_cache_of_another_backbone_is_refused(toy):
    cache = FeatureCache(toy["cache"], fingerprint="0" * 16, input_size=SIZE)
    with pytest.raises(InputError, match="delete the cache"):
        cache.get("toy_a", "00000")


def test_train_config_validation():
    with pytest.raises(InputError, match="train.input_size"):
        TrainConfig(input_size=(30, 48))
    with pytest.raises(InputError, match="unknown keys"):
        TrainConfig.from_dict({"step": 3})
    assert TrainConfig.from_dict(TrainConfig().to_dict()) == TrainConfig()


def _fingerprint():
    from stan.inputs.features import trunk_fingerprint
    from stan.model.build import build_model

    return trunk_fingerprint(build_model(TINY).spatial_trunk)


def test_manifest_without_train_frames_is_an_error(toy, tmp_path):
    manifest = pd.read_csv(toy["manifest"], dtype=str)
    manifest["split"] = "test"
    manifest.to_csv(tmp_path / "m.csv", index=False)
    with pytest.raises(InputError, match="split 'train'"):
        train_model(
            manifest_csv=tmp_path / "m.csv",
            out_checkpoint=tmp_path / "model.pt",
            log_path=tmp_path / "log.jsonl",
            model_config=TINY,
            train_config=TRAIN,
            prior_root=toy["prior_root"],
            feature_cache=toy["cache"],
        )
