"""SegTrackV2 adapter (Li et al., ICCV 2013): 14 videos, 1,066 frames, every frame labelled.

Official layout (as in the release and e.g. Graviti's tensorbay ``SegTrack2`` loader)::

    <root>/JPEGImages/<video>/<video>_<NNNNN>.png | .bmp | .jpg     frames
    <root>/GroundTruth/<video>/<same stem>.png | .bmp               one object
    <root>/GroundTruth/<video>/<k>/<same stem>.png | .bmp           several objects, k = 1, 2, ...

Frames and masks are paired by file stem, since extensions differ (``penguin`` and ``monkeydog``
have ``.bmp`` frames and ``.png`` masks; ``cheetah`` mixes both between its two objects). Masks are
3-channel with R = G = B, 0 background and 255 object (a few in-between values at edges); object
is ``value > 128`` as in ``stan.io.read_mask``.

The saliency ground truth of a frame is the union of all its objects. A video with one object
keeps its original mask files; the union of several objects is written as a 0/255 PNG to
``<gt_cache>/<video>/<frame>.png`` (rewritten only when its content would change). The team's
copy of ``bmx`` holds only object 2 (the bicycle): its ground truth is the bicycle alone, so the
rider counts as background there.

Frame ids are the frame file stems. The paper (section 4.1) trains on all SegTrackV2 videos,
hence the default ``test_split="none"``.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import cv2
import numpy as np
import pandas as pd
from tqdm import tqdm

from stan.data.manifest import COLUMNS, resolve_split, validate_manifest
from stan.io import InputError, read_mask, write_png

log = logging.getLogger(__name__)

IMAGE_EXTS = (".png", ".bmp", ".jpg", ".jpeg")
ROOT_KEY = "data.segtrackv2.root"


def index_segtrackv2(
    root: str | Path, test_split: str | list[str] = "none", *, gt_cache: str | Path
) -> pd.DataFrame:
    """Index a SegTrackV2 copy into a manifest; multi-object masks are merged into ``gt_cache``.

    ``test_split``: ``"none"`` (every video is train, as in the paper), ``"all"``, or a list of
    video names to test on.
    """
    root, gt_cache = Path(root), Path(gt_cache)
    image_root, gt_root = root / "JPEGImages", root / "GroundTruth"
    if not image_root.is_dir():
        raise InputError(
            f"{image_root}: SegTrackV2 frames not found; set {ROOT_KEY} in config.yaml to the "
            "folder that holds JPEGImages/ and GroundTruth/, or (with internet) to a folder that "
            "does not exist yet: rule download_segtrackv2 then fetches SegTrackV2 into it (URLs "
            "under download.segtrackv2)"
        )
    names = sorted(p.name for p in image_root.iterdir() if p.is_dir())
    if not names:
        raise InputError(f"{image_root}: no video folders; check {ROOT_KEY}")
    official = {"all": names, "none": []}
    test_videos = resolve_split(names, test_split, official, f"{root} (SegTrackV2)")
    rows = []
    for video in tqdm(names, desc="SegTrackV2 videos", unit="video"):
        split = "test" if video in test_videos else "train"
        rows += _index_video(image_root / video, gt_root / video, gt_cache / video, split)
    df = pd.DataFrame(rows, columns=COLUMNS)
    log.info(
        "SegTrackV2 %s: %d videos, %d frames, %d with ground truth",
        root,
        len(names),
        len(df),
        int((df["gt"] != "").sum()),
    )
    return validate_manifest(df, f"{root} (SegTrackV2)")


def _index_video(frame_dir: Path, gt_dir: Path, cache_dir: Path, split: str) -> list[tuple]:
    frames = _images_by_stem(frame_dir)
    if not frames:
        raise InputError(
            f"{frame_dir}: empty sequence (no {'/'.join(IMAGE_EXTS)} frames); remove the folder"
        )
    stems = sorted(frames, key=_natural_key)
    if stems != sorted(stems):
        raise InputError(
            f"{frame_dir}: frame names do not sort in time order ({stems[0]} ... {stems[-1]}); "
            "zero-pad the frame numbers to one width"
        )
    first = cv2.imread(str(frames[stems[0]]), cv2.IMREAD_COLOR)
    if first is None:
        raise InputError(f"{frames[stems[0]]}: cannot decode frame; replace the file")
    size = first.shape[:2]

    objects = _objects(gt_dir)
    if not objects:
        log.warning("%s: no ground truth; the frames of %s get no gt", gt_dir, frame_dir.name)
    unmatched = sorted({s for masks in objects for s in masks} - set(frames))
    if unmatched:
        log.warning(
            "%s: %d masks match no frame by name and are ignored, e.g. %s",
            gt_dir,
            len(unmatched),
            unmatched[0],
        )
    gt = {}
    for stem in stems:
        sources = [masks[stem] for masks in objects if stem in masks]
        if not sources:
            continue
        union = np.zeros(size, dtype=bool)
        for source in sources:
            mask = read_mask(source)
            if mask.shape != size:
                raise InputError(
                    f"{source}: mask size {mask.shape[1]}x{mask.shape[0]} differs from frame "
                    f"{frames[stems[0]]} ({size[1]}x{size[0]}); fix or remove the mismatched file"
                )
            union |= mask
        if len(objects) == 1:
            gt[stem] = str(sources[0])
            continue
        target = cache_dir / f"{stem}.png"
        if not (target.is_file() and np.array_equal(read_mask(target), union)):
            write_png(target, union.astype(np.uint8) * 255)
        gt[stem] = str(target)
    if objects and not gt:
        raise InputError(
            f"{gt_dir}: no mask shares a file name with the frames in {frame_dir}; "
            "masks are paired with frames by file stem"
        )
    return [(frame_dir.name, s, str(frames[s]), gt.get(s, ""), split) for s in stems]


def _objects(gt_dir: Path) -> list[dict[str, Path]]:
    """Masks of each object of a video: files directly in ``gt_dir``, then one per subfolder."""
    if not gt_dir.is_dir():
        return []
    folders = [gt_dir] + sorted(
        (p for p in gt_dir.iterdir() if p.is_dir()), key=lambda p: _natural_key(p.name)
    )
    return [masks for masks in map(_images_by_stem, folders) if masks]


def _images_by_stem(folder: Path) -> dict[str, Path]:
    images: dict[str, Path] = {}
    for path in sorted(folder.iterdir()):
        if path.is_file() and path.suffix.lower() in IMAGE_EXTS:
            if path.stem in images:
                raise InputError(
                    f"{path}: {images[path.stem].name} has the same name stem; keep one of them"
                )
            images[path.stem] = path
    return images


def _natural_key(text: str) -> list:
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", text)]
