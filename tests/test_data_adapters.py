"""Dataset adapters for FBMS-59, SegTrackV2 and folders of video files.

FBMS and the multi-object SegTrackV2 case run on small fixtures written here in the official
layouts; SegTrackV2 also runs on the team's copy of ``bmx`` when ../shared/data is present.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from stan.data.fbms import index_fbms
from stan.data.segtrackv2 import index_segtrackv2
from stan.data.videos import index_videos
from stan.io import InputError, read_mask

SHARED_DATA = Path(
    os.environ.get("STAN_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data")
)
H, W = 30, 40


def _frame(i: int) -> np.ndarray:
    rng = np.random.default_rng(i)
    return rng.integers(0, 255, (H, W, 3), dtype=np.uint8)


def _write(path: Path, image: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    assert cv2.imwrite(str(path), image), path


# ----------------------------------------------------------------------------------------- FBMS

DEF_DAT = """Ground truth definition file; do not change!

Total number of regions:
3

Scale of region 0:
0

Scale of region 1:
80

Scale of region 2:
255

Confusion penality matrix
0 1 1
1 0 1
1 1 0

Total number of frames in this shot:
25
Total number of labeled frames for this shot:
2
Frame number:
0
File name:
cars1_01_gt.pgm
Input file name:
cars1_01.ppm
Frame number:
20
File name:
cars1_21_gt.pgm
Input file name:
cars1_21.ppm
"""


def _grey_gt(shift: int) -> tuple[np.ndarray, np.ndarray]:
    """A PGM label image with two objects (grey 80 and 255) on black, and its union."""
    labels = np.zeros((H, W), np.uint8)
    labels[2:10, 3 + shift : 12 + shift] = 80  # below 128: must still count as an object
    labels[15:25, 20:30] = 255
    return labels, labels > 0


def _colour_gt(shift: int) -> tuple[np.ndarray, np.ndarray]:
    """A PPM label image (BGR) with a blue and a black object on white, and its union."""
    labels = np.full((H, W, 3), 255, np.uint8)
    labels[5 + shift : 12 + shift, 5:15] = (255, 0, 0)
    labels[20:28, 25:35] = (0, 0, 0)  # black is an object in colour masks
    union = np.zeros((H, W), bool)
    union[5 + shift : 12 + shift, 5:15] = True
    union[20:28, 25:35] = True
    return labels, union


def make_fbms(root: Path) -> dict[tuple[str, str], np.ndarray]:
    """cars1 (Trainingset: .bmf, Def.dat, PGM) and marple1 (Testset: PPM named by frame)."""
    expected = {}
    cars = root / "Trainingset" / "cars1"
    for i in range(1, 26):
        _write(cars / f"cars1_{i:02d}.jpg", _frame(i))
    (cars / "cars1.bmf").write_text(
        "25 1\n" + "".join(f"cars1_{i:02d}.ppm\n" for i in range(1, 26))
    )
    (cars / "GroundTruth").mkdir()
    (cars / "GroundTruth" / "cars1Def.dat").write_text(DEF_DAT)
    for number in (1, 21):
        labels, union = _grey_gt(number // 10)
        _write(cars / "GroundTruth" / f"cars1_{number:02d}_gt.pgm", labels)
        expected["cars1", f"cars1_{number:02d}"] = union

    marple = root / "Testset" / "marple1"
    for i in range(1, 46):
        _write(marple / f"marple1_{i:03d}.jpg", _frame(100 + i))
    for number in (1, 21, 41):
        labels, union = _colour_gt(number // 10)
        _write(marple / "GroundTruth" / f"marple1_{number:03d}_gt.ppm", labels)
        expected["marple1", f"marple1_{number:03d}"] = union
    # probability maps sit beside colour masks in the release; they are not labels
    _write(marple / "GroundTruth" / "marple1_021_PROB_gt.ppm", np.zeros((5, 5, 3), np.uint8))
    return expected


def test_fbms_official_layout(tmp_path):
    expected = make_fbms(tmp_path / "FBMS")
    df = index_fbms(tmp_path / "FBMS", gt_cache=tmp_path / "cache")
    assert len(df) == 25 + 45
    assert dict(df.groupby("video")["split"].first()) == {"cars1": "train", "marple1": "test"}
    cars = df[df.video == "cars1"]
    assert list(cars.frame) == [f"cars1_{i:02d}" for i in range(1, 26)]
    assert cars.image.iloc[0].endswith("cars1_01.jpg")
    labelled = df[df["gt"] != ""]
    assert {(v, f) for v, f in zip(labelled.video, labelled.frame, strict=True)} == set(expected)
    for row in labelled.itertuples():
        assert Path(row.gt).parent == tmp_path / "cache" / row.video
        np.testing.assert_array_equal(read_mask(row.gt), expected[row.video, row.frame])


def test_fbms_test_split_list_and_cache_reuse(tmp_path):
    make_fbms(tmp_path / "FBMS")
    df = index_fbms(tmp_path / "FBMS", ["cars1"], gt_cache=tmp_path / "cache")
    assert dict(df.groupby("video")["split"].first()) == {"cars1": "test", "marple1": "train"}
    cached = tmp_path / "cache" / "cars1" / "cars1_21.png"
    before = cached.stat().st_mtime_ns
    time.sleep(0.01)
    index_fbms(tmp_path / "FBMS", "all", gt_cache=tmp_path / "cache")
    assert cached.stat().st_mtime_ns == before
    # a changed mask replaces its cached conversion
    labels, union = _grey_gt(7)
    _write(tmp_path / "FBMS" / "Trainingset" / "cars1" / "GroundTruth" / "cars1_21_gt.pgm", labels)
    index_fbms(tmp_path / "FBMS", gt_cache=tmp_path / "cache")
    np.testing.assert_array_equal(read_mask(cached), union)


def test_fbms_mixed_padding_sorts_in_time_order(tmp_path):
    video = tmp_path / "FBMS" / "Testset" / "tennis"
    for i in (8, 9, 10, 11):
        _write(video / f"tennis{i}.jpg", _frame(i))
    labels, union = _grey_gt(0)
    _write(video / "GroundTruth" / "tennis10_gt.pgm", labels)
    df = index_fbms(tmp_path / "FBMS", gt_cache=tmp_path / "cache")
    assert list(df.frame) == ["tennis08", "tennis09", "tennis10", "tennis11"]
    assert df.image.iloc[0].endswith("tennis8.jpg")
    np.testing.assert_array_equal(read_mask(df["gt"].iloc[2]), union)


def _only_video(root: Path) -> Path:
    return root / "FBMS" / "Trainingset" / "cars1"


@pytest.mark.parametrize(
    ("break_it", "message"),
    [
        (lambda root: None, "FBMS root not found"),
        (lambda root: [p.unlink() for p in _only_video(root).glob("*.jpg")], "empty sequence"),
        (
            lambda root: _write(
                _only_video(root) / "GroundTruth" / "cars1_21_gt.pgm", np.zeros((10, 10), np.uint8)
            ),
            "differs from frame",
        ),
        (
            lambda root: (_only_video(root) / "cars1_01.jpg").write_bytes(b"not a jpeg"),
            "cannot decode frame",
        ),
        (
            lambda root: (_only_video(root) / "GroundTruth" / "cars1Def.dat").write_text(
                DEF_DAT.replace("Frame number:\n20", "Frame number:\n40").replace(
                    "cars1_21.ppm", "cars1_41.ppm"
                )
            ),
            "outside the 25 frames",
        ),
        (
            lambda root: (
                (_only_video(root) / "GroundTruth" / "cars1Def.dat").unlink()
                or _write(_only_video(root) / "GroundTruth" / "cars1_99_gt.pgm", _grey_gt(0)[0])
            ),
            "no frame numbered 99",
        ),
    ],
)
def test_fbms_errors(tmp_path, break_it, message):
    if message != "FBMS root not found":
        make_fbms(tmp_path / "FBMS")
    break_it(tmp_path)
    with pytest.raises(InputError, match=message):
        index_fbms(tmp_path / "FBMS", gt_cache=tmp_path / "cache")


@pytest.mark.parametrize(
    ("split", "message"), [("val", "unknown split name 'val'"), (["bear"], "not in the dataset")]
)
def test_fbms_bad_split(tmp_path, split, message):
    make_fbms(tmp_path / "FBMS")
    with pytest.raises(InputError, match=message):
        index_fbms(tmp_path / "FBMS", split, gt_cache=tmp_path / "cache")


# ----------------------------------------------------------------------------------- SegTrackV2


def _object(rows: slice, cols: slice) -> tuple[np.ndarray, np.ndarray]:
    """A 3-channel 0/255 mask as SegTrackV2 stores it, and the object as bool."""
    mask = np.zeros((H, W, 3), np.uint8)
    mask[rows, cols] = 255
    return mask, mask[..., 0] > 0


def make_segtrack(root: Path) -> dict[tuple[str, str], np.ndarray]:
    """penguin: .bmp frames, two objects in subfolders (object 2 on 3 of 5 frames), .png masks.
    frog: .png frames, one object directly in GroundTruth/frog, last frame unlabelled."""
    expected = {}
    for i in range(5):
        stem = f"penguin_{i:05d}"
        _write(root / "JPEGImages" / "penguin" / f"{stem}.bmp", _frame(i))
        first, union = _object(slice(2, 10), slice(2 + i, 12 + i))
        _write(root / "GroundTruth" / "penguin" / "1" / f"{stem}.png", first)
        if i < 3:
            second, other = _object(slice(15, 25), slice(20, 30))
            _write(root / "GroundTruth" / "penguin" / "2" / f"{stem}.png", second)
            union = union | other
        expected["penguin", stem] = union
    for i in range(4):
        stem = f"frog_{i:05d}"
        _write(root / "JPEGImages" / "frog" / f"{stem}.png", _frame(10 + i))
        if i < 3:
            mask, obj = _object(slice(5, 20), slice(i, 10 + i))
            _write(root / "GroundTruth" / "frog" / f"{stem}.png", mask)
            expected["frog", stem] = obj
    return expected


def test_segtrackv2_multi_object_union(tmp_path):
    expected = make_segtrack(tmp_path / "SegTrackV2")
    df = index_segtrackv2(tmp_path / "SegTrackV2", gt_cache=tmp_path / "cache")
    assert len(df) == 9
    assert set(df.split) == {"train"}  # the paper trains on all of SegTrackV2
    labelled = df[df["gt"] != ""]
    assert {(v, f) for v, f in zip(labelled.video, labelled.frame, strict=True)} == set(expected)
    assert df.set_index("frame").loc["frog_00003", "gt"] == ""
    for row in labelled.itertuples():
        np.testing.assert_array_equal(read_mask(row.gt), expected[row.video, row.frame])
        if row.video == "penguin":  # several objects: merged into the cache
            assert Path(row.gt) == tmp_path / "cache" / "penguin" / f"{row.frame}.png"
        else:  # one object: the original mask file
            assert (
                Path(row.gt)
                == tmp_path / "SegTrackV2" / "GroundTruth" / "frog" / f"{row.frame}.png"
            )
    assert df.image.iloc[df.index[df.video == "penguin"][0]].endswith(".bmp")


def test_segtrackv2_splits(tmp_path):
    make_segtrack(tmp_path / "SegTrackV2")
    df = index_segtrackv2(tmp_path / "SegTrackV2", "all", gt_cache=tmp_path / "cache")
    assert set(df.split) == {"test"}
    df = index_segtrackv2(tmp_path / "SegTrackV2", ["frog"], gt_cache=tmp_path / "cache")
    assert dict(df.groupby("video")["split"].first()) == {"frog": "test", "penguin": "train"}
    with pytest.raises(InputError, match="unknown split name 'Testset'"):
        index_segtrackv2(tmp_path / "SegTrackV2", "Testset", gt_cache=tmp_path / "cache")


def _seg(root: Path, *parts: str) -> Path:
    return root / "SegTrackV2" / Path(*parts)


@pytest.mark.parametrize(
    ("break_it", "message"),
    [
        (lambda root: None, "SegTrackV2 frames not found"),
        (
            lambda root: [p.unlink() for p in _seg(root, "JPEGImages", "frog").iterdir()],
            "empty sequence",
        ),
        (
            lambda root: _write(
                _seg(root, "GroundTruth", "penguin", "2", "penguin_00001.png"),
                np.zeros((12, 12, 3), np.uint8),
            ),
            "differs from frame",
        ),
        (
            lambda root: [
                p.rename(p.with_name("x" + p.name))
                for p in _seg(root, "GroundTruth", "frog").iterdir()
            ],
            "no mask shares a file name",
        ),
        (
            lambda root: _seg(root, "JPEGImages", "frog", "frog_00000.png").write_bytes(b"junk"),
            "cannot decode frame",
        ),
    ],
)
def test_segtrackv2_errors(tmp_path, break_it, message):
    if message != "SegTrackV2 frames not found":
        make_segtrack(tmp_path / "SegTrackV2")
    break_it(tmp_path)
    with pytest.raises(InputError, match=message):
        index_segtrackv2(tmp_path / "SegTrackV2", gt_cache=tmp_path / "cache")


def test_segtrackv2_team_copy_of_bmx(tmp_path):
    root = SHARED_DATA / "SegTrackV2"
    if not (root / "JPEGImages" / "bmx").is_dir():
        pytest.skip(f"{root} absent (set STAN_SHARED_DATA to the folder holding SegTrackV2/)")
    df = index_segtrackv2(root, gt_cache=tmp_path / "cache")
    assert list(df.video.unique()) == ["bmx"]
    assert len(df) == 36
    assert df.frame.iloc[0] == "bmx_06668" and df.frame.iloc[-1] == "bmx_06703"
    assert (df["gt"] != "").sum() == 36
    # one object folder (2, the bicycle): masks are used in place, nothing is cached
    assert all(Path(g).parent == root / "GroundTruth" / "bmx" / "2" for g in df["gt"])
    assert not (tmp_path / "cache").exists()
    mask = read_mask(df["gt"].iloc[0])
    assert mask.shape == (360, 640) and 0 < mask.mean() < 0.5


# ------------------------------------------------------------------------------- video files


def _write_video(path: Path, fourcc: str, n: int) -> None:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*fourcc), 10, (64, 48))
    assert writer.isOpened(), f"OpenCV cannot write {fourcc} here"
    for i in range(n):
        writer.write(np.full((48, 64, 3), 20 + 40 * i, np.uint8))
    writer.release()


def test_videos_decode_mp4_and_avi(tmp_path):
    root = tmp_path / "videos"
    root.mkdir()
    _write_video(root / "walk.mp4", "mp4v", 6)
    _write_video(root / "run.avi", "MJPG", 4)
    (root / "notes.txt").write_text("not a video")
    frames_dir = tmp_path / "frames"
    df = index_videos(root, frames_dir)
    assert dict(df.groupby("video").size()) == {"run": 4, "walk": 6}
    assert set(df.split) == {"test"} and set(df["gt"]) == {""}
    walk = df[df.video == "walk"]
    assert list(walk.frame) == [f"{i:05d}" for i in range(6)]
    for i, path in enumerate(walk.image):
        assert Path(path) == frames_dir / "walk" / f"{i:05d}.jpg"
        image = cv2.imread(path)
        assert image.shape == (48, 64, 3)
        assert abs(float(image.mean()) - (20 + 40 * i)) < 8

    # a complete decode is reused; a changed source is decoded again
    first = frames_dir / "walk" / "00000.jpg"
    before = first.stat().st_mtime_ns
    df2 = index_videos(root, frames_dir, "none")
    assert set(df2.split) == {"train"}
    assert first.stat().st_mtime_ns == before
    _write_video(root / "walk.mp4", "mp4v", 3)
    df3 = index_videos(root, frames_dir)
    assert (df3.video == "walk").sum() == 3
    assert sorted(p.name for p in (frames_dir / "walk").glob("*.jpg")) == [
        "00000.jpg",
        "00001.jpg",
        "00002.jpg",
    ]


def test_videos_errors(tmp_path):
    root = tmp_path / "videos"
    with pytest.raises(InputError, match="video folder not found"):
        index_videos(root, tmp_path / "frames")
    root.mkdir()
    with pytest.raises(InputError, match="no video files"):
        index_videos(root, tmp_path / "frames")
    _write_video(root / "walk.mp4", "mp4v", 2)
    with pytest.raises(InputError, match="unknown split name 'val'"):
        index_videos(root, tmp_path / "frames", "val")
    (root / "broken.avi").write_bytes(b"\x00" * 64)
    with pytest.raises(InputError, match=r"broken\.avi: OpenCV"):
        index_videos(root, tmp_path / "frames")


def test_manifest_inputs_of_each_adapter(tmp_path, monkeypatch):
    """What the manifest rule lists as inputs: a fold has no root of its own, so nothing of the
    working directory may count (it once walked '.', so any file written there reran the fold)."""
    from stan.data.stage import source_files

    monkeypatch.chdir(tmp_path)
    (tmp_path / "results").mkdir()
    (tmp_path / "results" / "anything.csv").write_text("x\n")
    assert source_files("fold", {"of": "davis", "folds": 3, "fold": 0}) == []
    assert source_files("synthetic", {"root": "results"}) == []
    clips = tmp_path / "clips"
    clips.mkdir()
    (clips / "a.mp4").write_bytes(b"")
    assert source_files("videos", {"root": str(clips)}) == [str(clips / "a.mp4")]
    davis = tmp_path / "DAVIS"
    (davis / "JPEGImages" / "480p" / "bear").mkdir(parents=True)
    assert source_files("davis", {"root": str(davis)}) == [
        str(davis / "JPEGImages" / "480p"),
        str(davis / "JPEGImages" / "480p" / "bear"),
    ]
