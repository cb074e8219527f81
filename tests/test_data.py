import cv2
import numpy as np
import pandas as pd
import pytest

from stan.data.check import check_frames, check_masks
from stan.data.davis import index_davis, official_splits
from stan.data.manifest import load_manifest, validate_manifest, write_manifest
from stan.data.synthetic import SyntheticConfig, render_video
from stan.io import InputError, read_mask


def test_synthetic_is_deterministic_and_exact():
    cfg = SyntheticConfig(n_frames=6, height=64, width=96, seed=7)
    frames_a, masks_a = render_video(cfg, 1)
    frames_b, masks_b = render_video(cfg, 1)
    assert np.array_equal(frames_a, frames_b) and np.array_equal(masks_a, masks_b)
    frames_c, _ = render_video(SyntheticConfig(n_frames=6, height=64, width=96, seed=8), 1)
    assert not np.array_equal(frames_a, frames_c)
    assert frames_a.shape == (6, 64, 96, 3) and masks_a.dtype == bool


def test_synthetic_content_has_motion_small_objects_and_exits():
    cfg = SyntheticConfig(n_frames=24, height=120, width=200, seed=0)
    areas, exits = [], 0
    for index in range(6):
        _, masks = render_video(cfg, index)
        area = masks.reshape(len(masks), -1).mean(1)
        areas.append(area[0])
        exits += int(area[-1] < 0.3 * area[0])
        centroids = [np.argwhere(m).mean(0) for m in masks if m.any()]
        assert np.abs(np.diff(centroids, axis=0)).sum() > 5  # objects move
    assert min(areas) < 0.03 < max(areas)  # small and large objects
    assert exits >= 1  # some object leaves the view


def test_generate_writes_davis_layout(tiny_synthetic):
    splits = official_splits(tiny_synthetic)
    assert len(splits["train"]) == 2 and len(splits["val"]) == 1
    df = index_davis(tiny_synthetic, "val")
    assert len(df) == 3 * 8
    assert set(df[df.split == "test"].video) == set(splits["val"])
    mask = read_mask(df["gt"].iloc[0])
    assert mask.shape == (64, 96)
    assert not (tiny_synthetic.parent / "synthetic.partial").exists()


def test_manifest_round_trip_and_validation(tmp_path, tiny_synthetic):
    df = index_davis(tiny_synthetic, "val")
    write_manifest(df, tmp_path / "m.csv")
    back = load_manifest(tmp_path / "m.csv")
    pd.testing.assert_frame_equal(df, back)
    with pytest.raises(InputError, match="unknown split values"):
        validate_manifest(df.assign(split="dev"), "x.csv")
    with pytest.raises(InputError, match="listed twice"):
        validate_manifest(pd.concat([df, df.iloc[:1]]), "x.csv")
    with pytest.raises(InputError, match="lacks columns"):
        validate_manifest(df.drop(columns="gt"), "x.csv")
    with pytest.raises(InputError, match="manifest not found"):
        load_manifest(tmp_path / "missing.csv")


def test_davis_errors(tmp_path, tiny_synthetic):
    with pytest.raises(InputError, match="data.davis.root"):
        index_davis(tmp_path / "nowhere")
    with pytest.raises(InputError, match="no official split 'dev'.*data.davis.test_split"):
        index_davis(tiny_synthetic, "dev")
    with pytest.raises(InputError, match="not in the dataset"):
        index_davis(tiny_synthetic, ["no-such-video"])
    # A mask of the wrong size is named in the error.
    import shutil

    root = tmp_path / "davis"
    shutil.copytree(tiny_synthetic, root)
    video = sorted((root / "Annotations" / "480p").iterdir())[0]
    cv2.imwrite(str(video / "00000.png"), np.zeros((10, 10), np.uint8))
    with pytest.raises(InputError, match="00000.png: mask size 10x10 differs"):
        df = index_davis(root, "val")
        rows = df[df["video"] == video.name]
        sizes = dict(zip(rows["frame"], check_frames(rows, "data.davis.root"), strict=True))
        check_masks(rows, sizes, "data.davis.root")
    # An empty sequence.
    (root / "JPEGImages" / "480p" / "empty").mkdir()
    with pytest.raises(InputError, match="empty sequence"):
        index_davis(root, "val")


@pytest.mark.davis
def test_davis_shared_copy(davis_root):
    df = index_davis(davis_root, ["bear", "boat"])
    assert df.video.nunique() == 30
    jpgs = list((davis_root / "JPEGImages" / "480p").glob("*/*.jpg"))
    pngs = list((davis_root / "Annotations" / "480p").glob("*/*.png"))
    assert len(df) == len(jpgs) == len(pngs) == 2079
    assert set(df[df.split == "test"].video) == {"bear", "boat"}
    bear = df[(df.video == "bear") & (df.frame == "00077")]["gt"].iloc[0]
    assert cv2.imread(bear, cv2.IMREAD_UNCHANGED).shape[2] == 4  # the alpha-channel mask
    mask = read_mask(bear)
    assert mask.shape == (480, 854) and 0.01 < mask.mean() < 0.5
    empty = sum(not read_mask(p).any() for p in df["gt"])
    assert empty == 15  # objects that leave the view
