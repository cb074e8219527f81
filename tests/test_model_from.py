"""A folder of unlabelled videos through the DAG with models trained on another dataset
(data.<name>.model_from): maps, CRF maps and overlay movies, no ground truth anywhere. It runs
in a copy of the session's tiny run (tests/conftest.py), which trained the synthetic models, in
the background lane after that run."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
import yaml
from conftest import Background, finished_run, queue_if_used, tiny_copy_command

from stan.data.synthetic import SyntheticConfig, generate


def video_from_frames(frames: list[Path], path: Path) -> None:
    first = cv2.imread(str(frames[0]))
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 10, first.shape[1::-1])
    for frame in frames:
        writer.write(cv2.imread(str(frame)))
    writer.release()


def make_clips(tmp_path: Path) -> None:
    """Two clips, and the overlay that runs them with models trained on synthetic."""
    # two clips made from a synthetic test video the model never trained on
    source = tmp_path / "source"
    generate(SyntheticConfig(n_train=1, n_test=1, n_frames=8, height=64, width=96, seed=5), source)
    frames = sorted((source / "JPEGImages" / "480p").glob("*/*.jpg"))
    (tmp_path / "clips").mkdir()
    video_from_frames(frames[:8], tmp_path / "clips" / "walk.mp4")
    video_from_frames(frames[8:], tmp_path / "clips" / "run.mp4")
    clips = {"adapter": "videos", "root": str(tmp_path / "clips"), "test_split": "all"}
    overlay = {
        # the same clips twice: with the models trained on synthetic, and with their bundle
        "datasets": ["clips", "bundled"],
        "data": {
            "clips": {**clips, "model_from": "synthetic"},
            "bundled": {**clips, "model_from": "results/bundles/synthetic/ST.pt"},
        },
        "evaluate": {"methods": ["flow-magnitude", "ST", "ST+crf"]},
    }
    (tmp_path / "clips.yaml").write_text(yaml.safe_dump(overlay))


def clips_command(request) -> tuple[Path, Background]:
    """The run, in a copy of the tiny run made when it starts (the tiny run complete)."""
    return tiny_copy_command(request, "clips-run", make_clips, "clips.yaml")


def start_early(request, items) -> None:
    """Give the background lane the run, if a selected test uses it (tests/conftest.py)."""
    queue_if_used(items, "clips_run", lambda: clips_command(request))


@pytest.fixture(scope="module")
def clips_run(request, tiny_run) -> Path:
    return finished_run("clips_run", lambda: clips_command(request))


@pytest.mark.slow
def test_unlabelled_videos_take_their_models_from_another_dataset(clips_run):
    results = clips_run / "results"
    assert (results / "models/synthetic/ST.pt").is_file()  # trained on the other dataset
    assert (
        not (results / "models/clips").exists() and not (results / "models/prior/clips.pt").exists()
    )
    for method in ("flow-magnitude", "ST", "ST+crf"):
        for video in ("walk", "run"):
            maps = sorted((results / "saliency/clips" / method / video).glob("*.png"))
            assert len(maps) == 8, (method, video)
            image = cv2.imread(str(maps[0]), cv2.IMREAD_UNCHANGED)
            assert image.dtype == np.uint8 and image.shape == (64, 96)
    movies = sorted((results / "videos/clips/ST+crf").glob("*.mp4"))
    assert [m.stem for m in movies] == ["run", "walk"]
    capture = cv2.VideoCapture(str(movies[0]))
    assert capture.read()[0]
    assert not (results / "tables/clips.csv").exists()  # nothing to score without ground truth
    # The bundle (float16 weights) gives the workflow's own maps back to within 1/255.
    assert (results / "models/bundle-ST/ST.pt").is_file()
    for video in ("walk", "run"):
        for own in sorted((results / "saliency/clips/ST" / video).glob("*.png")):
            again = results / "saliency/bundled/ST" / video / own.name
            a = cv2.imread(str(own), cv2.IMREAD_UNCHANGED).astype(int)
            b = cv2.imread(str(again), cv2.IMREAD_UNCHANGED).astype(int)
            assert np.abs(a - b).max() <= 1, (video, own.name)
