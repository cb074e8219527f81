"""Dense-CRF seconds per frame at 854x480 (paper Table 4: 0.480 s on an i7-5820).

Usage: python bench/bench_crf.py [--frames 24] [--threads 2] [--repeats 3] [--out bench/out/crf.md]

Frames: DAVIS ``bear`` (854x480, with its masks) when ../shared/data/DAVIS exists, else synthetic
frames at 854x480. The maps refined are stand-ins for a network's output: the ground-truth mask
grown by 6 px, blurred (sigma 6) and squeezed to [0.1, 0.9]; the CRF's cost does not depend on
where the map comes from, and the script also reports how much it moves such maps toward the
masks. Timed: one frame at a time in this process (median wall and CPU seconds), and the stage
function ``refine_video`` with ``--threads`` worker processes (wall seconds per frame), which is
what the ``crf`` rule runs (median of ``--repeats`` runs; the worker pool's start-up is included,
so more frames amortise it as a video does). The CRF's own code is single-threaded. The load
average is printed because a shared machine inflates wall times.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import SHARED_DATA, machine, markdown_table, write_report  # noqa: E402

from stan.crf import CRFConfig, refine_map, refine_video  # noqa: E402
from stan.io import read_image, read_mask, to_uint8, write_png  # noqa: E402


def load_frames(n: int) -> tuple[list[np.ndarray], list[np.ndarray], str]:
    images = SHARED_DATA / "DAVIS" / "JPEGImages" / "480p" / "bear"
    masks = SHARED_DATA / "DAVIS" / "Annotations" / "480p" / "bear"
    files = sorted(images.glob("*.jpg"))[:n]
    if len(files) == n:
        gts = [read_mask(masks / f"{f.stem}.png") for f in files]
        return [read_image(f) for f in files], gts, "DAVIS bear"
    from stan.data.synthetic import SyntheticConfig, render_video

    frames, gts = render_video(SyntheticConfig(n_frames=n, height=480, width=854), 0)
    return list(frames), list(gts), "synthetic"


def coarse_map(mask: np.ndarray) -> np.ndarray:
    grown = cv2.dilate(mask.astype(np.uint8), np.ones((13, 13), np.uint8)).astype(np.float32)
    return to_uint8(cv2.GaussianBlur(grown, (0, 0), 6) * 0.8 + 0.1)


def iou(a: np.ndarray, b: np.ndarray) -> float:
    union = (a | b).sum()
    return float((a & b).sum() / union) if union else 1.0


def stage_seconds(images, maps, cfg: CRFConfig, workers: int) -> float:
    """Wall seconds per frame of the stage function on the frames (PNG files in a temp dir)."""
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        rows = []
        for i, (image, saliency) in enumerate(zip(images, maps, strict=True)):
            frame = f"{i:05d}"
            write_png(tmp / "img" / f"{frame}.png", image)
            write_png(tmp / "maps" / "v" / f"{frame}.png", saliency)
            rows.append(("v", frame, str(tmp / "img" / f"{frame}.png"), "", "test"))
        manifest = pd.DataFrame(rows, columns=["video", "frame", "image", "gt", "split"])
        start = time.perf_counter()
        refine_video(manifest, "v", tmp / "maps" / "v", tmp / "out" / "v", cfg, workers)
        return (time.perf_counter() - start) / len(images)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--frames", type=int, default=24)
    parser.add_argument("--repeats", type=int, default=3, help="runs of the stage function")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    cv2.setNumThreads(1)
    images, masks, source = load_frames(args.frames)
    maps = [coarse_map(m) for m in masks]
    load_before = os.getloadavg()[0]
    rows, effects = [], []
    for scale in (1.0, 0.5):
        cfg = CRFConfig(scale=scale)
        refine_map(images[0], maps[0], cfg)  # warm-up
        wall, cpu, quality = [], [], []
        for image, saliency, mask in zip(images, maps, masks, strict=True):
            start_wall, start_cpu = time.perf_counter(), time.process_time()
            refined = refine_map(image, saliency, cfg)
            wall.append(time.perf_counter() - start_wall)
            cpu.append(time.process_time() - start_cpu)
            quality.append(
                (
                    iou(saliency >= 128, mask),
                    iou(refined >= 0.5, mask),
                    np.abs(saliency / 255.0 - mask).mean(),
                    np.abs(refined - mask).mean(),
                )
            )
        stage_wall = statistics.median(
            stage_seconds(images, maps, cfg, args.threads) for _ in range(args.repeats)
        )
        rows += [
            [scale, "one frame at a time, wall (median)", statistics.median(wall)],
            [scale, "one frame at a time, CPU (median)", statistics.median(cpu)],
            [
                scale,
                f"stage refine_video, {args.threads} workers, wall incl. PNG I/O (median)",
                stage_wall,
            ],
        ]
        q = np.array(quality).mean(axis=0)
        effects.append(
            f"- scale {scale:g}: IoU at 0.5 {q[0]:.3f} -> {q[1]:.3f}, MAE {q[2]:.4f} -> {q[3]:.4f}"
        )
    load_after = os.getloadavg()[0]
    height, width = images[0].shape[:2]
    table = [[f"{scale:g}", what, f"{seconds:.3f}"] for scale, what, seconds in rows]
    text = "\n".join(
        [
            f"Dense CRF at {width}x{height} ({source}, {len(images)} frames; defaults of "
            f"CRFConfig except crf.scale; paper Table 4: 0.480 s/frame on an i7-5820)",
            f"Machine: {machine()}; load average {load_before:.1f} before, "
            f"{load_after:.1f} after (CPUs: {os.cpu_count()})",
            "",
            markdown_table(["crf.scale", "measure", "s/frame"], table),
            "",
            "Effect on the stand-in maps (mean over frames):",
            *effects,
        ]
    )
    write_report(args.out, text)


if __name__ == "__main__":
    main()
