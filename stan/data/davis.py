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

import pandas as pd
import yaml

from stan.data.manifest import resolve_split, validate_manifest
from stan.io import InputError

DB_INFO_SETS = {"training": "train", "test": "val"}


SPLIT_LINE = "/JPEGImages/480p/<video>/<frame>.jpg /Annotations/480p/<video>/<frame>.png"


def split_file_videos(txt: Path) -> set[str]:
    """Sequence names of one ``ImageSets/480p/*.txt`` file; a malformed line is a named error."""
    names = set()
    for number, line in enumerate(txt.read_text().splitlines(), start=1):
        if not line.strip():
            continue
        parts = line.split()[0].split("/")
        if len(parts) < 5 or parts[1] != "JPEGImages" or not parts[3]:
            raise InputError(
                f"{txt}:{number}: cannot read split line {line.strip()!r}; expected "
                f"{SPLIT_LINE!r}: fix or delete the line"
            )
        names.add(parts[3])
    return names


def official_splits(root: Path) -> dict[str, list[str]]:
    """Video names of each official split, from ImageSets/480p/*.txt, else from db_info.yml."""
    splits: dict[str, set[str]] = {}
    for txt in sorted((root / "ImageSets" / "480p").glob("*.txt")):
        splits[txt.stem] = split_file_videos(txt)
    info = root / "db_info.yml"
    if info.is_file():
        for seq in yaml.safe_load(info.read_text()).get("sequences", []):
            split = DB_INFO_SETS.get(seq.get("set"))
            if split:
                splits.setdefault(split, set()).add(seq["name"])
    if "train" in splits and "val" in splits:
        splits.setdefault("trainval", splits["train"] | splits["val"])
    return {name: sorted(v) for name, v in splits.items()}


def check_split_files(root: Path, on_disk: list[str]) -> None:
    """Every sequence a split file names must be on disk (a missing one would drop silently)."""
    for txt in sorted((root / "ImageSets" / "480p").glob("*.txt")):
        missing = sorted(split_file_videos(txt) - set(on_disk))
        if missing:
            raise InputError(
                f"{txt}: names sequences that are not in {root / 'JPEGImages' / '480p'}: "
                f"{missing}; restore their folders or delete their lines from the split file "
                "(config key data.<dataset>.root)"
            )


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
    check_split_files(root, all_videos)
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
        split = "test" if video in test_videos else "train"
        for frame in frames:
            gt = gt_root / video / f"{frame.stem}.png"
            if not gt.is_file():
                raise InputError(f"{gt}: ground-truth mask missing for frame {frame}")
            rows.append((video, frame.stem, str(frame), str(gt), split))
    return validate_manifest(
        pd.DataFrame(rows, columns=["video", "frame", "image", "gt", "split"]), str(root)
    )
