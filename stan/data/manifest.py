"""The frame manifest: one row per frame, the contract between the data stage and the rest.

Columns: ``video`` (sequence name), ``frame`` (frame id string, e.g. ``00000``), ``image`` (path
of the RGB frame), ``gt`` (path of the ground-truth mask, empty when the frame has none) and
``split`` (``train`` or ``test``). Rows are sorted by video, then frame.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from stan.io import InputError, atomic_path, reading

COLUMNS = ["video", "frame", "image", "gt", "split"]
SPLITS = {"train", "test"}


def validate_manifest(df: pd.DataFrame, source: str) -> pd.DataFrame:
    """Check a manifest's schema and contents; return it sorted. ``source`` names it in errors."""
    missing = [c for c in COLUMNS if c not in df.columns]
    if missing:
        raise InputError(f"{source}: manifest lacks columns {missing}; expected {COLUMNS}")
    df = df[COLUMNS].copy()
    df["gt"] = df["gt"].fillna("").astype(str)
    for col in ("video", "frame", "image", "split"):
        df[col] = df[col].astype(str)
    if df.empty:
        raise InputError(f"{source}: manifest has no frames; check the dataset root and split")
    bad_split = sorted(set(df["split"]) - SPLITS)
    if bad_split:
        raise InputError(f"{source}: unknown split values {bad_split}; use 'train' or 'test'")
    dup = df.duplicated(["video", "frame"])
    if dup.any():
        row = df[dup].iloc[0]
        raise InputError(f"{source}: frame {row.video}/{row.frame} is listed twice")
    mixed = df.groupby("video")["split"].nunique()
    if (mixed > 1).any():
        raise InputError(f"{source}: video {mixed[mixed > 1].index[0]} is in both splits")
    return df.sort_values(["video", "frame"], kind="stable").reset_index(drop=True)


def load_manifest(path: str | Path) -> pd.DataFrame:
    """Read and validate a manifest CSV written by :func:`write_manifest`."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: manifest not found; run `snakemake --cores 1 {path}`")
    with reading(path, "manifest"):
        df = pd.read_csv(path, dtype=str, keep_default_na=False)
    return validate_manifest(df, str(path))


def write_manifest(df: pd.DataFrame, path: str | Path) -> None:
    """Validate and write a manifest CSV atomically."""
    df = validate_manifest(df, str(path))
    with atomic_path(path) as tmp:
        df.to_csv(tmp, index=False)


def video_rows(manifest: pd.DataFrame | str | Path, video: str) -> pd.DataFrame:
    """The rows of one video in a manifest (a CSV path, or a DataFrame, validated as one).

    A video without frames is an :class:`InputError` naming the manifest and the video."""
    if isinstance(manifest, pd.DataFrame):
        manifest = validate_manifest(manifest, "the manifest given")
        source = "the manifest"
    else:
        source = str(manifest)
        manifest = load_manifest(manifest)
    rows = manifest[manifest["video"] == str(video)]
    if rows.empty:
        raise InputError(f"{source}: video {video!r} has no frames; check the video name")
    return rows


def kept_ground_truth(rows: pd.DataFrame, sparse_gt_every: int = 0) -> pd.Series:
    """Which of ``rows`` (manifest rows, frames in order) count as annotated for training.

    A row with a ``gt`` path counts, except that with ``sparse_gt_every = k > 1`` only frames
    at positions 0, k, 2k, ... of their video (counted from 0 among ``rows``) do: the sparse
    label setting (config key ``coarse.sparse_gt_every``), shared by the coarse-label and
    motion-prior stages so that neither sees ground truth the other treats as absent.
    """
    keep = rows["gt"].astype(str) != ""
    if sparse_gt_every and sparse_gt_every > 1:
        keep &= rows.groupby("video", sort=False).cumcount() % sparse_gt_every == 0
    return keep


def videos(df: pd.DataFrame, split: str | None = None) -> list[str]:
    """Sorted video names, optionally of one split."""
    if split is not None:
        df = df[df["split"] == split]
    return sorted(df["video"].unique())


def resolve_split(all_videos: list[str], test_split, official: dict[str, list[str]], source: str):
    """Map a ``test_split`` setting to the set of test videos.

    ``test_split`` is either the name of an official split (a key of ``official``) or an explicit
    list of video names (to hold out part of a training set during development).
    """
    if isinstance(test_split, str):
        if test_split not in official:
            raise InputError(
                f"{source}: unknown split name {test_split!r}; use one of {sorted(official)} "
                "or a list of video names (config key data.<dataset>.test_split)"
            )
        missing = sorted(set(official[test_split]) - set(all_videos))
        if missing:
            raise InputError(
                f"{source}: split {test_split!r} names videos that are not on disk: {missing}; "
                "restore them, or set config key data.<dataset>.test_split to a list of the "
                "videos you have"
            )
        return set(official[test_split])
    unknown = sorted(set(test_split) - set(all_videos))
    if unknown:
        raise InputError(
            f"{source}: test_split names videos that are not in the dataset: {unknown} "
            "(config key data.<dataset>.test_split)"
        )
    return set(test_split)
