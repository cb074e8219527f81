"""A tiny synthetic clip set in the project's file layout, for tests and benchmarks.

Each video shows a bright textured square moving over a noise background; its ground truth is
the square, its "prior" an 8-bit PNG of the blurred square plus noise (a stand-in for the prior
stage), and its flow cache the true motion of the square (zero elsewhere). Deterministic.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pandas as pd

from stan.io import write_png


def make_toy_dataset(
    root: str | Path,
    *,
    videos: tuple[str, ...] = ("toy_a", "toy_b", "toy_c"),
    test_videos: tuple[str, ...] = ("toy_c",),
    frames: int = 6,
    size: tuple[int, int] = (64, 96),
    seed: int = 0,
    with_flow: bool = False,
) -> dict[str, Path]:
    """Write images, masks, priors (and flows) under ``root``; return their locations.

    Returns {'manifest': CSV path, 'prior_root': dir, 'flow_root': dir, 'root': root}.
    """
    root = Path(root)
    rng = np.random.default_rng(seed)
    h, w = size
    side = h // 3
    rows = []
    for v, video in enumerate(videos):
        background = rng.integers(0, 120, size=(h, w, 3)).astype(np.uint8)
        texture = rng.integers(150, 255, size=(side, side, 3)).astype(np.uint8)
        y0, x0 = int(rng.integers(0, h - side)), int(rng.integers(0, w // 3))
        dy, dx = int(rng.integers(-2, 3)), 3 + v % 2
        flows = []
        for t in range(frames):
            y = int(np.clip(y0 + dy * t, 0, h - side))
            x = int(np.clip(x0 + dx * t, 0, w - side))
            image = np.roll(background, t * (v + 1), axis=1).copy()
            image[y : y + side, x : x + side] = texture
            mask = np.zeros((h, w), np.uint8)
            mask[y : y + side, x : x + side] = 255
            prior = cv2.GaussianBlur(mask.astype(np.float32), (0, 0), 3) + rng.normal(0, 25, (h, w))
            frame = f"{t:05d}"
            image_path = root / "JPEGImages" / video / f"{frame}.png"
            gt_path = root / "Annotations" / video / f"{frame}.png"
            write_png(image_path, image)
            write_png(gt_path, mask)
            write_png(
                root / "priors" / video / f"{frame}.png", np.clip(prior, 0, 255).astype(np.uint8)
            )
            flow = np.zeros((h, w, 2), np.float32)
            flow[y : y + side, x : x + side] = (dx, dy)
            flows.append(flow)
            split = "test" if video in test_videos else "train"
            rows.append(
                {
                    "video": video,
                    "frame": frame,
                    "image": str(image_path),
                    "gt": str(gt_path),
                    "split": split,
                }
            )
        if with_flow:
            from stan.flow.cache import save_flow

            save_flow(
                root / "flow" / f"{video}.npz", np.stack(flows), [f"{t:05d}" for t in range(frames)]
            )
    manifest = root / "manifest.csv"
    pd.DataFrame(rows).to_csv(manifest, index=False)
    return {
        "manifest": manifest,
        "prior_root": root / "priors",
        "flow_root": root / "flow",
        "root": root,
    }
