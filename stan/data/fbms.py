"""FBMS-59 adapter (Freiburg-Berkeley Motion Segmentation, Ochs, Malik & Brox, TPAMI 2014).

Official layout, as read by public FBMS loaders (antonilo/unsupervised_detection
``data/fbms_data_utils.py``, achalddave/segment-any-moving's ``FbmsGroundtruth`` and others)::

    <root>/Trainingset/<video>/<video>_<NN>.jpg        frames, 1-based, padded to 2, 3 or 4 digits
    <root>/Trainingset/<video>/<video>.bmf             optional frame list: a header line, then one
                                                       frame name per line (often ``.ppm``, while
                                                       the files on disk are ``.jpg``)
    <root>/Trainingset/<video>/GroundTruth/<video>Def.dat
    <root>/Trainingset/<video>/GroundTruth/<video>_<NN>_gt.pgm | .ppm
    <root>/Testset/...                                 the same for the test videos

``<video>Def.dat`` is the ground-truth definition file of the official evaluation code: it lists
the region values ("Scale of region k:" followed by a grey value, or a 24-bit colour
``R*65536 + G*256 + B`` for ``.ppm`` files) and, for each labelled frame, "Frame number:" (the
0-based index into the frame list) followed by "File name:" (the mask file). Masks exist for
about every 20th frame. When the definition file is absent the masks are matched to frames by the
last number in their name. ``*PROB*`` files beside colour masks are probability maps, not labels.

Salient-object mask: FBMS labels every moving object with its own value; the saliency ground
truth is the union of all objects, i.e. every pixel that is not background. Background is black
(value 0) in grey masks (``.pgm``, ``.png``) and white in colour ``.ppm`` masks, as the loaders
above treat it. Converted masks are written as 0/255 PNGs to
``<gt_cache>/<video>/<frame>.png`` so that ``stan.io.read_mask`` and outside tools read them
directly; a later run rewrites only the cached masks whose content would change.

Frame ids are the frame file stems (e.g. ``cars1_01``). Should a video mix paddings (``x_9``,
``x_10``), the number in its ids is zero-padded to one width so that ids sort in time order.
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

SET_DIRS = ("Trainingset", "Testset")
FRAME_EXTS = (".jpg", ".jpeg", ".png", ".ppm", ".bmp")  # preference order for duplicate stems
GT_EXTS = (".pgm", ".ppm", ".png", ".bmp")
ROOT_KEY = "data.fbms.root"


def index_fbms(
    root: str | Path, test_split: str | list[str] = "Testset", *, gt_cache: str | Path
) -> pd.DataFrame:
    """Index an FBMS-59 copy into a manifest; convert its sparse masks into ``gt_cache``.

    ``test_split``: ``"Testset"`` (official: Testset videos are test, Trainingset videos train),
    ``"all"``, ``"none"``, or a list of video names to test on (every other video is train).
    """
    root, gt_cache = Path(root), Path(gt_cache)
    video_dirs = _find_videos(root)
    names = sorted(video_dirs)
    official = {
        "Testset": [v for v in names if video_dirs[v].parent.name == "Testset"],
        "all": names,
        "none": [],
    }
    test_videos = resolve_split(names, test_split, official, f"{root} (FBMS)")
    rows = []
    for video in tqdm(names, desc="FBMS videos", unit="video"):
        split = "test" if video in test_videos else "train"
        rows += _index_video(video_dirs[video], gt_cache / video, split)
    df = pd.DataFrame(rows, columns=COLUMNS)
    log.info(
        "FBMS %s: %d videos, %d frames, %d with ground truth",
        root,
        len(names),
        len(df),
        int((df["gt"] != "").sum()),
    )
    return validate_manifest(df, f"{root} (FBMS)")


def object_mask(path: Path) -> np.ndarray:
    """Union of all labelled objects of an FBMS mask as ``bool`` (H, W).

    Background is white in colour ``.ppm`` masks and 0 otherwise; any other value is an object.
    """
    raw = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if raw is None:
        raise InputError(f"{path}: cannot decode ground-truth mask; replace or remove the file")
    if raw.ndim == 3:
        raw = raw[..., :3]
        if path.suffix.lower() == ".ppm":
            return (raw != np.iinfo(raw.dtype).max).any(axis=2)
        return raw.max(axis=2) != 0
    return raw != 0


def _find_videos(root: Path) -> dict[str, Path]:
    if not root.is_dir():
        raise InputError(
            f"{root}: FBMS root not found; set {ROOT_KEY} in config.yaml to the folder that "
            "holds Trainingset/ and Testset/; with internet, rule download_fbms fetches FBMS-59 "
            "into it (URLs under download.fbms)"
        )
    videos: dict[str, Path] = {}
    for set_dir in SET_DIRS:
        if not (root / set_dir).is_dir():
            log.warning("%s: no %s folder; indexing the other set only", root, set_dir)
            continue
        for video_dir in sorted(p for p in (root / set_dir).iterdir() if p.is_dir()):
            if video_dir.name in videos:
                raise InputError(
                    f"{video_dir}: video {video_dir.name!r} is also in "
                    f"{videos[video_dir.name]}; keep one copy"
                )
            videos[video_dir.name] = video_dir
    if not videos:
        raise InputError(
            f"{root}: no FBMS videos found; expected {root}/Trainingset/<video>/ and "
            f"{root}/Testset/<video>/ (config key {ROOT_KEY})"
        )
    return videos


def _index_video(video_dir: Path, cache_dir: Path, split: str) -> list[tuple]:
    frames = _list_frames(video_dir)
    ids = _sortable_ids([f.stem for f in frames])
    first = cv2.imread(str(frames[0]), cv2.IMREAD_COLOR)
    if first is None:
        raise InputError(f"{frames[0]}: cannot decode frame; replace the file or remove the video")
    size = first.shape[:2]
    gt_paths = {}
    for index, source in _ground_truth(video_dir, frames).items():
        mask = object_mask(source)
        if mask.shape != size:
            raise InputError(
                f"{source}: mask size {mask.shape[1]}x{mask.shape[0]} differs from frame "
                f"{frames[0]} ({size[1]}x{size[0]}); fix or remove the mismatched file"
            )
        target = cache_dir / f"{ids[index]}.png"
        if not (target.is_file() and np.array_equal(read_mask(target), mask)):
            write_png(target, mask.astype(np.uint8) * 255)
        gt_paths[index] = str(target)
    if not gt_paths:
        log.warning("%s: no ground-truth masks; its frames get no gt", video_dir)
    return [
        (video_dir.name, ids[i], str(frame), gt_paths.get(i, ""), split)
        for i, frame in enumerate(frames)
    ]


def _list_frames(video_dir: Path) -> list[Path]:
    """Frames in time order: the ``.bmf`` list when present, else natural order of the names."""
    by_stem: dict[str, Path] = {}
    for path in sorted(video_dir.iterdir()):
        ext = path.suffix.lower()
        if not path.is_file() or ext not in FRAME_EXTS:
            continue
        kept = by_stem.get(path.stem)
        if kept is None or FRAME_EXTS.index(ext) < FRAME_EXTS.index(kept.suffix.lower()):
            by_stem[path.stem] = path
    if not by_stem:
        raise InputError(
            f"{video_dir}: empty sequence (no {'/'.join(FRAME_EXTS)} frames); remove the folder"
        )
    bmf = video_dir / f"{video_dir.name}.bmf"
    if not bmf.is_file():
        return [by_stem[s] for s in sorted(by_stem, key=_natural_key)]
    listed = [
        Path(line.split()[0]).stem for line in bmf.read_text().splitlines()[1:] if line.strip()
    ]
    missing = [s for s in listed if s not in by_stem]
    if missing:
        raise InputError(
            f"{bmf}: lists frame {missing[0]!r} ({len(missing)} in all) that is not in "
            f"{video_dir}; restore the frames or delete the .bmf file"
        )
    extra = sorted(set(by_stem) - set(listed))
    if extra:
        log.warning(
            "%s: %d images not listed in %s are ignored, e.g. %s",
            video_dir,
            len(extra),
            bmf.name,
            extra[0],
        )
    return [by_stem[s] for s in listed]


def _ground_truth(video_dir: Path, frames: list[Path]) -> dict[int, Path]:
    """Map frame index -> mask file, from ``<video>Def.dat`` or else from the mask names."""
    gt_dir = video_dir / "GroundTruth"
    if not gt_dir.is_dir():
        return {}
    definitions = sorted(gt_dir.glob("*Def.dat"))
    if definitions:
        where = definitions[0]
        entries = _parse_definition(where, {f.stem: i for i, f in enumerate(frames)})
    else:
        where = gt_dir
        entries = _match_names(gt_dir, frames)
    result = {}
    for index, name in entries:
        if not 0 <= index < len(frames):
            raise InputError(
                f"{where}: frame number {index} of mask {name} is outside the {len(frames)} "
                f"frames of {video_dir}; the frames or the definition file are incomplete"
            )
        path = gt_dir / name
        if not path.is_file():
            raise InputError(f"{path}: mask listed in {where} is missing; restore it")
        result[index] = path
    return result


def _parse_definition(path: Path, frame_index: dict[str, int]) -> list[tuple[int, str]]:
    """(frame index, mask file name) pairs of an FBMS ``Def.dat`` file.

    Each labelled frame has "Frame number:" (0-based), "File name:" (the mask) and "Input file
    name:" (the annotated frame); the input name decides when it names a frame on disk.
    """
    lines = [line.strip() for line in path.read_text(errors="replace").splitlines()]
    entries: list[list] = []
    for i, line in enumerate(lines[:-1]):
        value = lines[i + 1]
        if line.startswith("Frame number"):
            if not value.isdigit():
                raise InputError(f"{path}: line {i + 2}: expected a frame number, got {value!r}")
            entries.append([int(value), None])
        elif line.startswith("File name") and entries:
            entries[-1][1] = value
        elif line.startswith("Input file name") and entries:
            entries[-1][0] = frame_index.get(Path(value).stem, entries[-1][0])
    if not entries or any(name is None for _, name in entries):
        raise InputError(
            f"{path}: missing 'Frame number:'/'File name:' entries; the definition file is "
            "damaged, restore it from the FBMS-59 archive"
        )
    return [(index, name) for index, name in entries]


def _match_names(gt_dir: Path, frames: list[Path]) -> list[tuple[int, str]]:
    """Pair masks with frames by the last number in their names (``cars1_20_gt.pgm``)."""
    by_number: dict[int | None, int] = {}
    for i, frame in enumerate(frames):
        by_number.setdefault(_last_number(frame.stem), i)
    entries = []
    for path in sorted(gt_dir.iterdir()):
        if path.suffix.lower() not in GT_EXTS or "PROB" in path.name:
            continue
        number = _last_number(re.sub(r"_gt$", "", path.stem))
        if number not in by_number:
            raise InputError(
                f"{path}: no frame numbered {number} in {gt_dir.parent}; rename the mask to "
                "<video>_<frame number>_gt.pgm or add the <video>Def.dat definition file"
            )
        entries.append((by_number[number], path.name))
    return entries


def _natural_key(text: str) -> list:
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", text)]


def _last_number(stem: str) -> int | None:
    digits = re.findall(r"\d+", stem)
    return int(digits[-1]) if digits else None


def _sortable_ids(stems: list[str]) -> list[str]:
    """Frame ids that sort like ``stems`` (time order): the stems, re-padded only when needed.

    The last number of each stem is zero-padded to the longest one; if that still does not sort
    in time order (a ``.bmf`` list in no name order), the ids are ``00000``, ``00001``, ...
    """
    if stems == sorted(stems):
        return stems
    width = max((len(d) for s in stems for d in re.findall(r"\d+", s)[-1:]), default=0)
    padded = [re.sub(r"\d+(?=\D*$)", lambda m: m[0].zfill(width), s) for s in stems]
    if padded == sorted(padded) and len(set(padded)) == len(padded):
        return padded
    return [f"{i:05d}" for i in range(len(stems))]
