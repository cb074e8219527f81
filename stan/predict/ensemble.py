"""Seed ensembles: the pixel-wise mean of several models' saliency maps of one video.

Models that differ only in their training seed agree on what the training sequences taught them
and disagree where they are unsure; their mean map keeps the first and softens the second. The
DAG's method ``<M>-ens<n>`` averages the maps of ``M``, ``M-s1``, ..., ``M-s<n-1>``
(``stan.evaluate.cv.ensemble_members``), every map of every member read as it was written (8-bit
PNG), so the ensemble adds no network pass: only n times the training.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd

from stan.data.manifest import video_rows
from stan.io import InputError, atomic_dir, read_gray, write_png

log = logging.getLogger(__name__)


def mean_map(maps: list[np.ndarray], names: list | None = None) -> np.ndarray:
    """The rounded pixel-wise mean of 8-bit maps of one frame (uint8); all of one size.
    ``names`` (files or model names, for the error) default to the maps' positions."""
    if not maps:
        raise ValueError("an ensemble needs at least one map")
    names = names if names is not None else [f"map {i}" for i in range(len(maps))]
    for name, saliency in zip(names[1:], maps[1:], strict=True):
        if saliency.shape != maps[0].shape:
            raise InputError(
                f"{name}: map of size {saliency.shape} where {names[0]} has {maps[0].shape}; "
                "the members of an ensemble must predict at one resolution (rerun the member)"
            )
    mean = np.mean(np.stack(maps).astype(np.float64), axis=0)
    return np.clip(np.rint(mean), 0, 255).astype(np.uint8)


def average_maps(paths: list[str | Path]) -> np.ndarray:
    """:func:`mean_map` of the 8-bit map files of one frame."""
    return mean_map([read_gray(path) for path in paths], list(paths))


def average_video(
    manifest: pd.DataFrame | str | Path,
    video: str,
    in_dirs: list[str | Path],
    out_dir: str | Path,
) -> int:
    """Write the mean of the member folders' maps for every frame of ``video``; returns the
    number of frames. A member missing a frame stops the job with the file and the fix named."""
    if len(in_dirs) < 2:
        raise ValueError(f"an ensemble averages at least two map folders, got {list(in_dirs)}")
    frames = list(video_rows(manifest, video)["frame"])
    in_dirs = [Path(d) for d in in_dirs]
    for folder in in_dirs:
        missing = [f for f in frames if not (folder / f"{f}.png").is_file()]
        if missing:
            raise InputError(
                f"{folder}: {len(missing)} of {len(frames)} maps of video {video!r} are missing, "
                f"e.g. {folder / missing[0]}.png; rerun the job that writes {folder}"
            )
    log.info("ensemble %s: mean of %d members over %d frames", video, len(in_dirs), len(frames))
    with atomic_dir(out_dir) as tmp:
        for frame in frames:
            write_png(tmp / f"{frame}.png", average_maps([d / f"{frame}.png" for d in in_dirs]))
    log.info("wrote %d maps to %s", len(frames), out_dir)
    return len(frames)
