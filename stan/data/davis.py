"""DAVIS-2016 adapter: official layout, splits from ``ImageSets/480p`` and ``db_info.yml``.

Layout::

    <root>/JPEGImages/480p/<video>/00000.jpg
    <root>/Annotations/480p/<video>/00000.png
    <root>/ImageSets/480p/{train,val,trainval}.txt   (lines: "/JPEGImages/... /Annotations/...")
    <root>/db_info.yml                                 (sequences with set: training | test)

The official splits are ``train`` and ``val`` (``db_info.yml`` calls them ``training`` and
``test``). ``test_split`` is a split name or a list of video names; every video present on disk
that is not in the test split is a training video.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import pandas as pd
import yaml

from stan.data.manifest import resolve_split, validate_manifest
from stan.io import InputError

DB_INFO_SETS = {"training": "train", "test": "val"}


def official_splits(root: Path) -> dict[str, list[str]]:
    """Video names of each official split, from ImageSets/480p/*.txt, else from db_info.yml."""
    splits: dict[str, set[str]] = {}
    for txt in sorted((root / "ImageSets" / "480p").glob("*.txt")):
        names = {line.split()[0].split("/")[3] for line in txt.read_text().splitlines() if line}
        splits[txt.stem] = names
    info = root / "db_info.yml"
    if info.is_file():
        for seq in yaml.safe_load(info.read_text()).get("sequences", []):
            split = DB_INFO_SETS.get(seq.get("set"))
            if split:
                splits.setdefault(split, set()).add(seq["name"])
    if "train" in splits and "val" in splits:
        splits.setdefault("trainval", splits["train"] | splits["val"])
    return {name: sorted(v) for name, v in splits.items()}


def index_davis(root: str | Path, test_split: str | list[str] = "val") -> pd.DataFrame:
    """Index a DAVIS-2016 copy into a manifest (every frame has ground truth)."""
    root = Path(root)
    image_root = root / "JPEGImages" / "480p"
    gt_root = root / "Annotations" / "480p"
    if not image_root.is_dir():
        raise InputError(
            f"{image_root}: DAVIS frames not found; set data.davis.root in config.yaml to the "
            "folder that holds JPEGImages/480p and Annotations/480p, or (with internet) to a "
            f"folder that does not exist yet: rule download_davis then fetches DAVIS-2016 into "
            "it (URLs under download.davis)"
        )
    all_videos = sorted(p.name for p in image_root.iterdir() if p.is_dir())
    official = official_splits(root)
    if isinstance(test_split, str) and test_split not in official:
        raise InputError(
            f"{root}: no official split {test_split!r} in this DAVIS copy (ImageSets/480p/"
            f"{test_split}.txt or db_info.yml; found: {sorted(official) or 'none'}). A complete "
            "DAVIS-2016 copy has train and val; for a copy of the training sequences only, hold "
            "some out with a list of names (config key data.davis.test_split, e.g. "
            "workflow/configs/davis-dev.yaml) or point data.davis.root at a complete copy"
        )
    test_videos = resolve_split(all_videos, test_split, official, str(root))
    rows = []
    for video in all_videos:
        frames = sorted((image_root / video).glob("*.jpg"))
        if not frames:
            raise InputError(f"{image_root / video}: empty sequence (no .jpg frames)")
        first_gt = gt_root / video / f"{frames[0].stem}.png"
        _check_same_size(frames[0], first_gt)
        split = "test" if video in test_videos else "train"
        for frame in frames:
            gt = gt_root / video / f"{frame.stem}.png"
            if not gt.is_file():
                raise InputError(f"{gt}: ground-truth mask missing for frame {frame}")
            rows.append((video, frame.stem, str(frame), str(gt), split))
    return validate_manifest(
        pd.DataFrame(rows, columns=["video", "frame", "image", "gt", "split"]), str(root)
    )


def _check_same_size(image: Path, mask: Path) -> None:
    a = cv2.imread(str(image), cv2.IMREAD_UNCHANGED)
    b = cv2.imread(str(mask), cv2.IMREAD_UNCHANGED)
    for path, arr in ((image, a), (mask, b)):
        if arr is None:
            raise InputError(f"{path}: missing or unreadable image")
    if a.shape[:2] != b.shape[:2]:
        raise InputError(
            f"{mask}: mask size {b.shape[1]}x{b.shape[0]} differs from frame {image} "
            f"({a.shape[1]}x{a.shape[0]}); fix or remove the mismatched file"
        )
