"""Motion prior training on a tiny synthetic set, the checkpoint round trip and the stage writer."""

import json
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from stan.data.davis import index_davis
from stan.data.manifest import write_manifest
from stan.data.synthetic import SyntheticConfig, generate
from stan.flow.stage import compute_video_flow
from stan.io import InputError, read_gray
from stan.prior.config import PriorConfig
from stan.prior.frame import prepare_frame
from stan.prior.model import load_checkpoint, prior_map
from stan.prior.stage import write_motion_priors
from stan.prior.train import TrainFrame, _select, split_videos, train_motion_prior

TINY = {
    "n_segments": 30,
    "frame_step": 1,
    "work_scale": 1.0,
    "epochs": 3,
    "patience": 5,
    "batch_frames": 2,
    "hidden": [32, 16],
    "dropout": 0.0,
    "lr": 3e-3,
}


@pytest.fixture(scope="module")
def tiny_set(tmp_path_factory):
    torch.set_num_threads(1)
    root = tmp_path_factory.mktemp("prior")
    generate(SyntheticConfig(n_train=2, n_test=1, n_frames=4, height=64, width=96), root / "d")
    manifest = index_davis(root / "d", "val")
    write_manifest(manifest, root / "m.csv")
    for video in manifest["video"].unique():
        compute_video_flow(manifest, video, "dis", {}, root / "flow" / f"{video}.npz")
    return root


def test_split_videos_is_by_video_and_deterministic():
    videos = [f"v{i}" for i in range(10)]
    train, val = split_videos(videos, 0.2, 0)
    assert len(val) == 2 and not set(train) & set(val) and set(train) | set(val) == set(videos)
    assert split_videos(videos, 0.2, 0) == (train, val)
    assert split_videos(["a"], 0.5, 0) == (["a"], [])


def test_training_is_reproducible(tiny_set, tmp_path):
    """The same frames, flow and settings give bit-identical weights and losses; the seed
    alone changes them (numbers of two runs differ only if their inputs or code do)."""
    runs = {}
    for name, seed in (("a", 0), ("b", 0), ("c", 1)):
        out = tmp_path / name
        metrics = train_motion_prior(
            tiny_set / "m.csv",
            tiny_set / "flow",
            out / "p.pt",
            out / "h.jsonl",
            {**TINY, "seed": seed},
        )
        runs[name] = (torch.load(out / "p.pt", weights_only=True)["model"], metrics)
    (a, ma), (b, mb), (c, _) = runs["a"], runs["b"], runs["c"]
    assert all(torch.equal(a[k], b[k]) for k in a)
    losses = [[r["train_loss"], r["val_loss"]] for r in ma["history"]]
    assert losses == [[r["train_loss"], r["val_loss"]] for r in mb["history"]]
    assert not all(torch.equal(a[k], c[k]) for k in a)


@pytest.mark.parametrize("mode", ["pooled", pytest.param("patch", marks=pytest.mark.slow)])
def test_train_round_trip_and_write_priors(tiny_set, tmp_path, mode):
    params = {**TINY, "feature_mode": mode, "patches_per_frame": 16}
    ckpt, history = tmp_path / "prior.pt", tmp_path / "history.jsonl"
    metrics = train_motion_prior(tiny_set / "m.csv", tiny_set / "flow", ckpt, history, params)
    lines = [json.loads(line) for line in history.read_text().splitlines()]
    assert [r["epoch"] for r in lines] == [0, 1, 2]
    assert all(np.isfinite(r["train_loss"]) and np.isfinite(r["val_loss"]) for r in lines)
    assert len(metrics["val_videos"]) == 1 and metrics["train_frames"] == 4
    if mode == "pooled":  # every superpixel in every step: the loss must go down
        assert lines[-1]["train_loss"] < lines[0]["train_loss"]

    raw = torch.load(ckpt, weights_only=True)
    assert set(raw) >= {"model", "model_config", "epoch", "metrics"}
    assert raw["model_config"]["feature_mode"] == mode
    model, cfg, _ = load_checkpoint(ckpt, {"device": "cpu"})
    again, _, _ = load_checkpoint(ckpt)
    flow = np.load(tiny_set / "flow" / "synth-val-00.npz")["flow"][2].astype(np.float32) / 16
    a, b = prior_map(model, flow, cfg), prior_map(again, flow, cfg)
    assert a.shape == (64, 96) and a.dtype == np.uint8 and np.array_equal(a, b)
    # Class balancing is undone at inference: the offset is log(p / (1 - p)) of the training set.
    w_pos, w_neg = metrics["class_weights"]
    assert float(model.logit_offset) == pytest.approx(np.log((0.5 / w_pos) / (0.5 / w_neg)))
    assert float(model.logit_offset) < 0  # salient superpixels are the minority
    # Handcrafted statistics are standardised with the training frames' mean and std (saved).
    assert torch.equal(raw["model"]["hand_mean"], model.hand_mean)
    assert (model.hand_std > 0).all() and model.hand_mean.abs().sum() > 0
    assert not torch.equal(model.hand_std, torch.ones_like(model.hand_std))
    # refine "none": one value per superpixel; "motion" scales it by a map in [0, 1].
    plain_cfg = load_checkpoint(ckpt, {"refine": "none"})[1]
    plain = prior_map(model, flow, plain_cfg)
    frame = prepare_frame(flow, cfg)
    for k in range(frame.n):
        assert np.unique(plain[frame.labels == k]).size == 1
    assert (a.astype(int) <= plain.astype(int) + 1).all()
    # The checkpoint, not the caller, decides the model: a different mode in params is ignored.
    other = "patch" if mode == "pooled" else "pooled"
    assert load_checkpoint(ckpt, {"feature_mode": other})[1].feature_mode == mode

    out = tmp_path / "priors" / "synth-val-00"
    write_motion_priors(
        tiny_set / "m.csv", "synth-val-00", tiny_set / "flow" / "synth-val-00.npz", ckpt, out, {}
    )
    files = sorted(p.name for p in out.iterdir())
    assert files == [f"{i:05d}.png" for i in range(4)]
    assert np.array_equal(read_gray(out / "00002.png"), a)
    assert not (tmp_path / "priors" / "synth-val-00.partial").exists()


def test_sparse_label_setting_hides_dropped_ground_truth(tiny_set, tmp_path):
    """With coarse.sparse_gt_every = 2 the prior sees frames 0 and 2 of each video only, the
    frames the coarse-label stage keeps as ground truth."""
    from stan.coarse.stage import plan_labels
    from stan.data.manifest import load_manifest

    params = {**TINY, "epochs": 1}
    metrics = train_motion_prior(
        tiny_set / "m.csv", tiny_set / "flow", tmp_path / "p.pt", tmp_path / "h", params, 2
    )
    assert metrics["train_frames"] == 2  # one training video (the other validates), 4 frames
    plan = plan_labels(load_manifest(tiny_set / "m.csv"), 2)
    assert plan.groupby("video")["source"].apply(list).map(tuple).unique().tolist() == [
        ("gt", "coarse", "gt", "coarse")
    ]


def test_sparse_setting_without_kept_ground_truth_names_the_key(tiny_set, tmp_path):
    from stan.data.manifest import load_manifest

    manifest = load_manifest(tiny_set / "m.csv")
    manifest.loc[manifest["frame"] == manifest.groupby("video")["frame"].transform("min"), "gt"] = (
        ""
    )
    write_manifest(manifest, tmp_path / "m.csv")
    with pytest.raises(InputError, match="coarse.sparse_gt_every=4 keeps only frames 0, 4, 8"):
        train_motion_prior(
            tmp_path / "m.csv", tiny_set / "flow", tmp_path / "p.pt", tmp_path / "h", TINY, 4
        )


def test_patch_training_samples_superpixels_uniformly():
    target = np.linspace(0, 1, 50, dtype=np.float32)
    item = TrainFrame("v/0", SimpleNamespace(n=50), target)
    rng = np.random.default_rng(0)
    idx = _select(item, PriorConfig(feature_mode="patch", patches_per_frame=16), rng)
    assert len(idx) == 16 and len(np.unique(idx)) == 16 and (np.diff(idx) > 0).all()
    assert _select(item, PriorConfig(feature_mode="pooled"), rng) is None
    assert _select(item, PriorConfig(feature_mode="patch", patches_per_frame=64), rng) is None


def test_errors_name_the_problem(tiny_set, tmp_path):
    with pytest.raises(InputError, match="checkpoint not found"):
        load_checkpoint(tmp_path / "missing.pt")
    with pytest.raises(InputError, match="flow cache not found"):
        train_motion_prior(tiny_set / "m.csv", tmp_path, tmp_path / "p.pt", tmp_path / "h", TINY)
    cfg = PriorConfig(n_segments=40)
    frame = prepare_frame(np.zeros((64, 96, 2), np.float32), cfg)  # a static frame is fine
    assert frame.n >= 1 and np.isfinite(frame.handcrafted).all()
    assert frame.motion.shape == (32, 48) and frame.motion.max() < 1e-6
