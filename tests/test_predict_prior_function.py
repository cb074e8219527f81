"""A trained motion prior turned into the ``prior_fn`` of the clip API."""

import numpy as np

from stan.data.davis import index_davis
from stan.data.manifest import write_manifest
from stan.data.synthetic import SyntheticConfig, generate
from stan.flow.stage import compute_video_flow, pair_estimator
from stan.io import read_image
from stan.predict.api import motion_prior_function
from stan.prior.train import train_motion_prior


def test_motion_prior_function_matches_the_prior_stage(tmp_path):
    generate(SyntheticConfig(n_train=2, n_test=1, n_frames=4, height=64, width=96), tmp_path / "d")
    manifest = index_davis(tmp_path / "d", "val")
    write_manifest(manifest, tmp_path / "m.csv")
    for video in manifest["video"].unique():
        compute_video_flow(manifest, video, "dis", {}, tmp_path / "flow" / f"{video}.npz")
    params = {"n_segments": 30, "work_scale": 1.0, "epochs": 1, "hidden": [16, 8]}
    ckpt = tmp_path / "prior.pt"
    train_motion_prior(tmp_path / "m.csv", tmp_path / "flow", ckpt, tmp_path / "h.jsonl", params)
    prior_fn = motion_prior_function(ckpt, device="cpu")
    frames = [read_image(p) for p in manifest[manifest["split"] == "test"]["image"]]
    flow = pair_estimator("dis", {})(frames)[0]
    prior = prior_fn(frames[0], flow)
    assert prior.shape == (64, 96) and prior.dtype == np.uint8
    assert np.array_equal(prior, prior_fn(frames[0], flow))  # deterministic
