"""The data stage's check of every frame and mask, one job per video (rule ``check_video``).

Each image is decoded in full with Pillow, which raises on a truncated or corrupt file where
OpenCV only prints a warning and returns a partly grey picture. Every mask must have the size of
its frame and every frame of a video the same size; the manifest itself requires at least two
frames per video (motion needs a pair). An error names the file, the config key and the fix.
The job writes ``results/checks/<dataset>/<video>.csv`` (frame, width, height): the rules that
read the video's frames list that record and the frames themselves as inputs, so a changed
frame is checked again before anything uses it.
"""

from __future__ import annotations

import logging
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd
from PIL import Image

from stan.data.manifest import load_manifest
from stan.io import InputError, atomic_path

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
            f"replace it with an intact copy (the dataset of config key {key})"
        ) from None


def check_lengths(df: pd.DataFrame, key: str) -> None:
    """Every video of manifest ``df`` has at least MIN_FRAMES frames."""
    for video, rows in df.groupby("video", sort=True):
        if len(rows) < MIN_FRAMES:
            raise InputError(
                f"{rows['image'].iloc[0]}: video {video!r} has {len(rows)} frame; the pipeline "
                f"needs at least {MIN_FRAMES} (flow pairs consecutive frames): add its frames "
                f"or remove the video from the dataset ({key})"
            )


def check_frames(df: pd.DataFrame, key: str, threads: int = 1) -> list[tuple[int, int]]:
    """Decode every frame and mask of manifest rows ``df``; return the frame sizes (w, h)."""

    def one(row) -> tuple[int, int]:
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
    return sizes


def check_video(
    manifest_csv: str | Path, video: str, out_csv: str | Path, dataset: str, threads: int = 1
) -> None:
    """Check one video's frames and masks; write its record (frame, width, height)."""
    df = load_manifest(manifest_csv)
    rows = df[df["video"] == video]
    if rows.empty:
        raise InputError(f"{manifest_csv}: no video {video!r}; run the manifest rule again")
    sizes = check_frames(rows, f"data.{dataset}.root", threads=threads)
    record = pd.DataFrame(
        {"frame": rows["frame"], "width": [w for w, _ in sizes], "height": [h for _, h in sizes]}
    )
    with atomic_path(out_csv) as tmp:
        record.to_csv(tmp, index=False)
