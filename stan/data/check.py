"""The data stage's check of every frame and mask a manifest lists, done once per manifest.

Each image is decoded in full with Pillow, which raises on a truncated or corrupt file where
OpenCV only prints a warning and returns a partly grey picture. Every mask must have the size of
its frame, every frame of a video the same size, and every video at least two frames (motion
needs a pair). An error names the file, the config key and the fix.
"""

from __future__ import annotations

import logging
import os
from concurrent.futures import ThreadPoolExecutor

import pandas as pd
from PIL import Image

from stan.io import InputError

log = logging.getLogger(__name__)

MIN_FRAMES = 2


def decoded_size(path: str, what: str, key: str) -> tuple[int, int]:
    """Decode ``path`` fully and return its (width, height); a named error if it cannot be."""
    if not os.path.isfile(path):
        raise InputError(f"{path}: {what} not found; restore it or fix {key}")
    try:
        with Image.open(path) as image:
            image.load()
            return image.size
    except Exception as err:  # Pillow raises OSError, SyntaxError, ValueError, ...
        raise InputError(
            f"{path}: {what} cannot be decoded ({err}); the file is truncated or corrupt: "
            f"replace it with an intact copy (dataset of config key {key})"
        ) from None


def check_frames(df: pd.DataFrame, key: str, threads: int = 2) -> None:
    """Check every frame and mask of manifest ``df``; ``key`` is the dataset's config key."""
    for video, rows in df.groupby("video", sort=True):
        if len(rows) < MIN_FRAMES:
            raise InputError(
                f"{rows['image'].iloc[0]}: video {video!r} has {len(rows)} frame; the pipeline "
                f"needs at least {MIN_FRAMES} (flow pairs consecutive frames): add its frames "
                f"or remove the video from the dataset ({key})"
            )

    def one(row) -> None:
        size = decoded_size(row.image, "frame", key)
        if row.gt:
            gt_size = decoded_size(row.gt, "ground-truth mask", key)
            if gt_size != size:
                raise InputError(
                    f"{row.gt}: mask size {gt_size[0]}x{gt_size[1]} differs from frame "
                    f"{row.image} ({size[0]}x{size[1]}); replace the mask with one of the "
                    f"frame's size ({key})"
                )
        return size

    rows = list(df.itertuples(index=False))
    with ThreadPoolExecutor(max(1, threads)) as pool:
        sizes = list(pool.map(one, rows))
    first: dict[str, tuple[str, tuple[int, int]]] = {}
    for row, size in zip(rows, sizes, strict=True):
        image, ref = first.setdefault(row.video, (row.image, size))
        if size != ref:
            raise InputError(
                f"{row.image}: frame size {size[0]}x{size[1]} differs from {image} "
                f"({ref[0]}x{ref[1]}), the video's first frame; every frame of a video must "
                f"have one size: resize or replace it ({key})"
            )
    log.info("checked %d frames and %d masks: all decode", len(df), int((df["gt"] != "").sum()))
