"""Adapter for a folder of the user's own video files (no ground truth).

Every video file directly in ``root`` (``.mp4``, ``.avi``, ``.mov``, ``.mkv`` and other containers
OpenCV's FFmpeg backend reads) is decoded into ``<frames_dir>/<video stem>/00000.jpg``, ... (JPEG
quality 95). Each frame is written through a temporary file and a rename; when a video is fully
decoded a marker file ``.decoded.json`` records the source's size and modification time and the
frame count, and a later call with an unchanged source skips decoding.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import cv2
import pandas as pd
from tqdm import tqdm

from stan.data.manifest import COLUMNS, resolve_split, validate_manifest
from stan.io import InputError, atomic_path

log = logging.getLogger(__name__)

VIDEO_EXTS = (".mp4", ".avi", ".mov", ".mkv", ".m4v", ".mpg", ".mpeg", ".webm", ".wmv")
JPEG_QUALITY = 95
MARKER = ".decoded.json"
MAX_FRAMES = 100_000  # frame ids have 5 digits so that they sort in time order
ROOT_KEY = "data.videos.root"


def index_videos(
    root: str | Path, frames_dir: str | Path, test_split: str | list[str] = "all"
) -> pd.DataFrame:
    """Decode every video in ``root`` into ``frames_dir`` and index the frames (gt empty).

    ``test_split``: ``"all"`` (every video is test), ``"none"`` (every video is train), or a list
    of video names (file stems) to test on.
    """
    root, frames_dir = Path(root), Path(frames_dir)
    if not root.is_dir():
        raise InputError(
            f"{root}: video folder not found; set {ROOT_KEY} in config.yaml to a folder of "
            f"{'/'.join(VIDEO_EXTS)} files"
        )
    files = sorted(p for p in root.iterdir() if p.is_file() and p.suffix.lower() in VIDEO_EXTS)
    if not files:
        raise InputError(
            f"{root}: no video files ({'/'.join(VIDEO_EXTS)}); put the videos there or fix "
            f"{ROOT_KEY}"
        )
    names: dict[str, Path] = {}
    for path in files:
        if path.stem in names:
            raise InputError(
                f"{path}: {names[path.stem].name} has the same name stem, and videos are named by "
                "stem; rename one of them"
            )
        names[path.stem] = path
    test_videos = resolve_split(
        sorted(names), test_split, {"all": sorted(names), "none": []}, f"{root} (videos)"
    )
    rows = []
    for name, path in names.items():
        frames = decode_video(path, frames_dir / name)
        split = "test" if name in test_videos else "train"
        rows += [(name, f.stem, str(f), "", split) for f in frames]
    log.info("videos %s: %d videos, %d frames", root, len(names), len(rows))
    return validate_manifest(pd.DataFrame(rows, columns=COLUMNS), f"{root} (videos)")


def decode_video(video: Path, out_dir: Path) -> list[Path]:
    """Decode ``video`` into ``out_dir/00000.jpg ...`` unless a complete decode is already there."""
    video, out_dir = Path(video), Path(out_dir)
    stat = video.stat()
    source = {"source": video.name, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}
    marker = out_dir / MARKER
    if marker.is_file():
        done = json.loads(marker.read_text())
        frames = [out_dir / f"{i:05d}.jpg" for i in range(done.get("frames", 0))]
        if all(done.get(k) == v for k, v in source.items()) and all(f.is_file() for f in frames):
            log.info("%s: already decoded into %s (%d frames)", video, out_dir, len(frames))
            return frames
        marker.unlink()

    capture = cv2.VideoCapture(str(video))
    if not capture.isOpened():
        raise InputError(
            f"{video}: OpenCV cannot open this video (unknown codec or damaged file); re-encode "
            "it, e.g. `ffmpeg -i in -c:v libx264 out.mp4`, or remove it from the folder"
        )
    expected = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
    frames = []
    try:
        with tqdm(total=expected or None, desc=f"decode {video.name}", unit="frame") as bar:
            while True:
                ok, image = capture.read()
                if not ok:
                    break
                if len(frames) == MAX_FRAMES:
                    raise InputError(
                        f"{video}: more than {MAX_FRAMES} frames; cut it into shorter videos"
                    )
                path = out_dir / f"{len(frames):05d}.jpg"
                with atomic_path(path) as tmp:
                    if not cv2.imwrite(str(tmp), image, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY]):
                        raise OSError(f"{path}: could not write JPEG")
                frames.append(path)
                bar.update()
    finally:
        capture.release()
    if not frames:
        raise InputError(
            f"{video}: OpenCV decoded no frame (unsupported codec or damaged file); re-encode it, "
            "e.g. `ffmpeg -i in -c:v libx264 out.mp4`, or remove it from the folder"
        )
    if expected and len(frames) < expected:
        log.warning("%s: decoded %d of the %d frames in its header", video, len(frames), expected)
    for stale in out_dir.glob("*.jpg"):
        if stale.stem.isdigit() and int(stale.stem) >= len(frames):
            stale.unlink()
    with atomic_path(marker) as tmp:
        tmp.write_text(json.dumps({**source, "frames": len(frames)}))
    log.info("%s: decoded %d frames into %s", video, len(frames), out_dir)
    return frames
