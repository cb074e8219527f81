"""A folder of unlabelled videos through the DAG with models trained on another dataset
(data.<name>.model_from): maps, CRF maps and overlay movies, no ground truth anywhere."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
import yaml

from stan.data.synthetic import SyntheticConfig, generate

REPO = Path(__file__).resolve().parents[1]


def video_from_frames(frames: list[Path], path: Path) -> None:
    first = cv2.imread(str(frames[0]))
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 10, first.shape[1::-1])
    for frame in frames:
        writer.write(cv2.imread(str(frame)))
    writer.release()


@pytest.mark.slow
def test_unlabelled_videos_take_their_models_from_another_dataset(tmp_path):
    # two clips made from a synthetic test video the model never trained on
    source = tmp_path / "source"
    generate(SyntheticConfig(n_train=1, n_test=1, n_frames=8, height=64, width=96, seed=5), source)
    frames = sorted((source / "JPEGImages" / "480p").glob("*/*.jpg"))
    (tmp_path / "clips").mkdir()
    video_from_frames(frames[:8], tmp_path / "clips" / "walk.mp4")
    video_from_frames(frames[8:], tmp_path / "clips" / "run.mp4")
    overlay = {
        "datasets": ["clips"],
        "data": {
            "clips": {
                "adapter": "videos",
                "root": str(tmp_path / "clips"),
                "test_split": "all",
                "model_from": "synthetic",
            }
        },
        "evaluate": {"methods": ["flow-magnitude", "ST", "ST+crf"]},
    }
    (tmp_path / "clips.yaml").write_text(yaml.safe_dump(overlay))
    snakemake = str(Path(sys.executable).with_name("snakemake"))
    cmd = [snakemake, "--snakefile", str(REPO / "Snakefile"), "--directory", str(tmp_path)]
    cmd += ["--cores", "2", "--configfile", str(REPO / "workflow/configs/tiny.yaml")]
    cmd += [str(tmp_path / "clips.yaml")]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=1200)
    assert result.returncode == 0, result.stderr[-4000:]

    results = tmp_path / "results"
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
