"""The data stage's check of every frame and mask: two jobs per video (rules ``check_frames``
and ``check_masks``).

Each image is decoded in full with Pillow, which raises on a truncated or corrupt file where
OpenCV only prints a warning and returns a partly grey picture. Every frame of a video must have
one size and every mask its frame's size; the manifest itself requires at least two frames per
video (motion needs a pair). An error names the file, the config key and the fix.

The jobs write ``results/checks/<dataset>/<video>.frames.csv`` (frame, width, height) and
``<video>.masks.csv`` (frame, width, height of each mask). A rule that reads a video's frames
lists the frame record and the frames as inputs, one that reads its masks the mask record and
the masks, so a changed file is checked again before anything uses it, and a changed mask does
not rerun the jobs that read only frames.
"""

from __future__ import annotations

import logging
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd
from PIL import Image

from stan.data.manifest import load_manifest
from stan.io import InputError, atomic_path, reading

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
    """Decode every frame of manifest rows ``df`` (one video); return their sizes (w, h)."""
    rows = list(df.itertuples(index=False))
    with ThreadPoolExecutor(max(1, threads)) as pool:
        sizes = list(pool.map(lambda row: decoded_size(row.image, "frame", key), rows))
    for row, size in zip(rows, sizes, strict=True):
        if size != sizes[0]:
            raise InputError(
                f"{row.image}: frame size {size[0]}x{size[1]} differs from {rows[0].image} "
                f"({sizes[0][0]}x{sizes[0][1]}), the video's first frame; every frame of a "
                f"video must have one size: resize or replace it ({key})"
            )
    log.info("checked %d frames: all decode", len(rows))
    return sizes


def check_masks(
    df: pd.DataFrame, sizes: dict[str, tuple[int, int]], key: str, threads: int = 1
) -> list[tuple[int, int]]:
    """Decode every mask of manifest rows ``df``; each must have its frame's size (``sizes``:
    frame id -> (w, h)). Returns the mask sizes (frames without a mask are skipped)."""
    rows = [row for row in df.itertuples(index=False) if row.gt]

    def one(row) -> tuple[int, int]:
        size, frame_size = decoded_size(row.gt, "ground-truth mask", key), sizes[row.frame]
        if size != frame_size:
            raise InputError(
                f"{row.gt}: mask size {size[0]}x{size[1]} differs from frame {row.image} "
                f"({frame_size[0]}x{frame_size[1]}); replace the mask with one of the frame's "
                f"size ({key})"
            )
        return size

    with ThreadPoolExecutor(max(1, threads)) as pool:
        mask_sizes = list(pool.map(one, rows))
    log.info("checked %d masks: all decode and match their frames", len(rows))
    return mask_sizes


def video_rows(manifest_csv: str | Path, video: str) -> pd.DataFrame:
    rows = load_manifest(manifest_csv)
    rows = rows[rows["video"] == video]
    if rows.empty:
        raise InputError(f"{manifest_csv}: no video {video!r}; run the manifest rule again")
    return rows


def write_record(frames: list[str], sizes: list[tuple[int, int]], out_csv: str | Path) -> None:
    record = pd.DataFrame(
        {"frame": frames, "width": [w for w, _ in sizes], "height": [h for _, h in sizes]}
    )
    with atomic_path(out_csv) as tmp:
        record.to_csv(tmp, index=False)


def check_video_frames(
    manifest_csv: str | Path, video: str, out_csv: str | Path, dataset: str, threads: int = 1
) -> None:
    """Check one video's frames; write its frame record (frame, width, height)."""
    rows = video_rows(manifest_csv, video)
    sizes = check_frames(rows, f"data.{dataset}.root", threads=threads)
    write_record(list(rows["frame"]), sizes, out_csv)


def check_video_masks(
    manifest_csv: str | Path,
    frames_csv: str | Path,
    video: str,
    out_csv: str | Path,
    dataset: str,
    threads: int = 1,
) -> None:
    """Check one video's masks against its frame record; write its mask record."""
    rows = video_rows(manifest_csv, video)
    with reading(frames_csv, "frame record"):
        record = pd.read_csv(frames_csv, dtype={"frame": str})
        sizes = {r.frame: (int(r.width), int(r.height)) for r in record.itertuples()}
    mask_sizes = check_masks(rows, sizes, f"data.{dataset}.root", threads=threads)
    write_record(list(rows.loc[rows["gt"] != "", "frame"]), mask_sizes, out_csv)
