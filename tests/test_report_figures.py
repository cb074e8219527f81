"""Figures and videos for people: qualitative grid, ablation chart, saliency video."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pandas as pd
import pytest

from stan.io import InputError, write_png
from stan.report import ablation_chart, qualitative_grid, saliency_video
from stan.report.movie import compose_panels


def dataset(root: Path) -> Path:
    """Two videos of 5 frames (60x80): 'seen' has ground truth, 'own' (a user's video) has none;
    maps of two methods. Returns the manifest CSV."""
    rng = np.random.default_rng(0)
    rows = []
    for video, with_gt in (("seen", True), ("own", False)):
        for i in range(5):
            frame = f"{i:05d}"
            image = rng.integers(0, 255, (60, 80, 3), dtype=np.uint8)
            mask = np.zeros((60, 80), np.uint8)
            mask[20:40, 10 + 5 * i : 40 + 5 * i] = 255
            write_png(root / "img" / video / f"{frame}.png", image)
            gt = ""
            if with_gt:
                gt = str(root / "gt" / video / f"{frame}.png")
                write_png(gt, mask)
            for method, value in (("A", mask), ("A+crf", mask // 2)):
                write_png(root / "maps" / method / video / f"{frame}.png", value)
            rows.append((video, frame, str(root / "img" / video / f"{frame}.png"), gt, "test"))
    csv = root / "manifest.csv"
    pd.DataFrame(rows, columns=["video", "frame", "image", "gt", "split"]).to_csv(csv, index=False)
    return csv


def test_qualitative_grid(tmp_path):
    csv = dataset(tmp_path)
    roots = {m: tmp_path / "maps" / m for m in ("A", "A+crf")}
    out = tmp_path / "grid.png"
    qualitative_grid(csv, ["seen", "own"], roots, out, title="test")
    image = cv2.imread(str(out))
    assert image is not None and image.shape[1] > image.shape[0] > 200
    with pytest.raises(InputError, match="not in the manifest"):
        qualitative_grid(csv, ["nope"], roots, tmp_path / "x.png")
    with pytest.raises(InputError, match="saliency map of 'B' missing"):
        qualitative_grid(csv, ["seen"], {"B": tmp_path / "maps" / "B"}, tmp_path / "x.png")
    assert not (tmp_path / "x.png").exists()


def table(path: Path, methods: list[str]) -> Path:
    rows = [
        {"method": m, "maxF": 0.5 + 0.05 * i, "MAE": 0.1 - 0.01 * i} for i, m in enumerate(methods)
    ]
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def test_ablation_chart(tmp_path):
    variants = ["OS", "ST", "STC", "STL", "STLC", "STAN"]
    csv = table(tmp_path / "t.csv", ["flow-magnitude", "STAN", "OS", "STAN+crf"])
    assert ablation_chart(csv, variants, tmp_path / "a.png", "d") == ["OS", "STAN"]
    assert cv2.imread(str(tmp_path / "a.png")) is not None
    csv = table(tmp_path / "u.csv", ["flow-magnitude", "flow-magnitude+crf"])
    shown = ablation_chart(csv, variants, tmp_path / "b.png")
    assert shown == ["flow-magnitude", "flow-magnitude+crf"]


def test_saliency_video_of_a_video_without_ground_truth(tmp_path):
    csv = dataset(tmp_path)
    out = tmp_path / "videos" / "own.mp4"
    assert saliency_video(csv, "own", tmp_path / "maps" / "A" / "own", out, fps=5, label="A") == 5
    capture = cv2.VideoCapture(str(out))
    assert int(capture.get(cv2.CAP_PROP_FRAME_COUNT)) == 5
    assert (capture.get(cv2.CAP_PROP_FRAME_WIDTH), capture.get(cv2.CAP_PROP_FRAME_HEIGHT)) == (
        240,
        60,
    )
    ok, first = capture.read()
    capture.release()
    assert ok
    # the middle panel is the map: bright where the object is, dark elsewhere
    grey = cv2.cvtColor(first[:, 80:160], cv2.COLOR_BGR2GRAY)
    assert grey[25:35, 15:35].mean() > 200 and grey[45:, :].mean() < 40
    with pytest.raises(InputError, match="saliency map missing"):
        saliency_video(csv, "own", tmp_path / "maps" / "B" / "own", tmp_path / "b.mp4")
    assert not (tmp_path / "b.mp4").exists()


def test_overlay_tints_salient_pixels():
    image = np.full((4, 4, 3), 100, np.uint8)
    saliency = np.zeros((4, 4), np.uint8)
    saliency[0, 0] = 255
    panels = compose_panels(image, saliency)
    assert panels.shape == (4, 12, 3)
    overlay = panels[:, 8:]
    assert overlay[0, 0, 0] > 150 and overlay[0, 0, 2] < 100
    assert (overlay[1:, 1:] == 100).all()
