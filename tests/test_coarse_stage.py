"""The coarse stage end to end on tiny synthetic videos in the DAVIS layout."""

import json

import cv2
import numpy as np
import pandas as pd
import pytest

from stan.coarse.config import CoarseConfig
from stan.coarse.sources import build_sources, parse_sources
from stan.coarse.stage import fit_fusion_weights, gather_label_sources, label_video, plan_labels
from stan.data.manifest import write_manifest
from stan.io import InputError, read_gray, read_mask, write_png

H, W, N = 72, 112, 6


def make_dataset(root, videos=("cat", "dog"), test_videos=("owl",)):
    """DAVIS-layout frames and masks: a bright ellipse moving over a muted texture."""
    rows = []
    rng = np.random.default_rng(0)
    for v, video in enumerate([*videos, *test_videos]):
        low = rng.random((H // 12, W // 12, 3)).astype(np.float32)
        background = 0.3 + 0.2 * cv2.resize(low, (W, H), interpolation=cv2.INTER_CUBIC)
        for i in range(N):
            image = background + 0.02 * rng.standard_normal((H, W, 3)).astype(np.float32)
            mask = np.zeros((H, W), np.uint8)
            centre = (30 + 8 * i + 5 * v, 30 + 2 * i)
            cv2.ellipse(mask, centre, (16, 11), 10 * i, 0, 360, 255, -1)
            image[mask > 0] = [0.95, 0.85, 0.15]
            frame = f"{i:05d}"
            image_path = root / "JPEGImages" / "480p" / video / f"{frame}.jpg"
            gt_path = root / "Annotations" / "480p" / video / f"{frame}.png"
            image_path.parent.mkdir(parents=True, exist_ok=True)
            bgr = cv2.cvtColor((np.clip(image, 0, 1) * 255).astype(np.uint8), cv2.COLOR_RGB2BGR)
            cv2.imwrite(str(image_path), bgr)
            write_png(gt_path, mask)
            split = "test" if video in test_videos else "train"
            rows.append((video, frame, str(image_path), str(gt_path), split))
    manifest = pd.DataFrame(rows, columns=["video", "frame", "image", "gt", "split"])
    write_manifest(manifest, root / "manifest.csv")
    return root / "manifest.csv"


@pytest.fixture
def dataset(tmp_path):
    return make_dataset(tmp_path / "tiny")


def iou(a, b):
    union = (a | b).sum()
    return (a & b).sum() / union if union else 1.0


def run_stage(manifest, out, params, erase=None):
    weights = out / "fusion_weights.json"
    fit_fusion_weights(manifest, weights, params, "tiny")
    tables = []
    for video in ("cat", "dog"):
        table = out / f"{video}.csv"
        erase_file = erase.get(video) if erase else None
        label_video(
            manifest,
            video,
            weights,
            erase_file,
            out / video,
            table,
            out / f"{video}.review.png",
            params,
            "tiny",
        )
        tables.append(table)
    return gather_label_sources(tables, out / "label_sources.csv"), json.loads(weights.read_text())


def test_plan_keeps_every_kth_gt_and_skips_test_frames(dataset):
    manifest = pd.read_csv(dataset, dtype=str, keep_default_na=False)
    plan = plan_labels(manifest, sparse_gt_every=4)
    assert set(plan["video"]) == {"cat", "dog"}
    gt = plan[plan["source"] == "gt"]
    assert list(gt["frame"]) == ["00000", "00004"] * 2
    assert (plan_labels(manifest, 0)["source"] == "gt").all()
    # FBMS-like: frames without a gt path are always coarse
    manifest.loc[manifest["frame"] != "00000", "gt"] = ""
    assert (plan_labels(manifest, 0)["source"] == "coarse").sum() == 2 * (N - 1)


def test_end_to_end_labels_table_and_sheet(dataset, tmp_path):
    out = tmp_path / "results" / "coarse" / "tiny"
    params = {
        "sources": ["mbd", "rbd", "ft"],
        "sparse_gt_every": 3,
        "fit_pixels_per_class": 300,
        "threshold": "otsu",  # the paper's setting
    }
    table, weights = run_stage(dataset, out, params)

    assert weights["weights_mode"] == "fit" and weights["fit_frames"] == 4
    assert weights["threshold_mode"] == "otsu" and weights["threshold"] == "otsu"
    assert sum(weights["weights"].values()) == pytest.approx(1.0)
    assert list(table.columns) == ["video", "frame", "label_path", "source"]
    assert len(table) == 2 * N and (table["source"] == "gt").sum() == 4
    for row in table.itertuples():
        truth = read_mask(dataset.parent / "Annotations" / "480p" / row.video / f"{row.frame}.png")
        if row.source == "gt":
            assert row.label_path.endswith(f"Annotations/480p/{row.video}/{row.frame}.png")
            continue
        assert row.label_path == str(out / row.video / f"{row.frame}.png")
        label = read_gray(row.label_path)
        assert label.shape == (H, W) and set(np.unique(label)) <= {0, 255}
        assert iou(label > 128, truth) > 0.7
    # labels only for coarse frames; the sheet shows them
    assert sorted(p.name for p in (out / "cat").iterdir()) == [
        "00001.png",
        "00002.png",
        "00004.png",
        "00005.png",
    ]
    sheet = read_gray(out / "cat.review.png")
    assert sheet.shape[1] > 3 * 240 and sheet.shape[0] > 2 * 70
    assert not list(out.rglob(".*"))  # no temporary files left behind


def test_erase_file_clears_regions_and_weights_modes(dataset, tmp_path):
    out = tmp_path / "coarse"
    erase = tmp_path / "cat.yaml"
    erase.write_text("video: cat\nregions:\n  - frames: 1-2\n    box: [0, 0, 111, 71]\n")
    params = {
        "sources": ["ft", {"method": "sr", "name": "spectral"}],
        "weights": {"ft": 3, "spectral": 1},
    }
    manifest = pd.read_csv(dataset, dtype=str, keep_default_na=False)
    manifest.loc[manifest["frame"].isin(["00001", "00002", "00003"]), "gt"] = ""
    write_manifest(manifest, dataset)
    table, weights = run_stage(dataset, out, params, erase={"cat": erase})

    assert weights["weights_mode"] == "given" and weights["weights"] == {
        "ft": 0.75,
        "spectral": 0.25,
    }
    assert not read_gray(out / "cat" / "00001.png").any()  # fully erased
    assert not read_gray(out / "cat" / "00002.png").any()
    assert read_gray(out / "cat" / "00003.png").any()  # outside the erase range
    assert read_gray(out / "dog" / "00001.png").any()  # the file is for cat only
    assert (table["source"] == "coarse").sum() == 6

    uniform = fit_fusion_weights(dataset, out / "u.json", {"weights": "uniform"}, "tiny")
    assert uniform["weights"] == dict.fromkeys(["mbd", "rbd", "ft", "sr"], 0.25)


def test_fitted_threshold_is_used_for_the_labels(dataset, tmp_path):
    params = {"sources": ["ft"], "weights": "uniform", "threshold": "fit", "sparse_gt_every": 2}
    table, fusion = run_stage(dataset, tmp_path / "coarse", params)
    assert fusion["threshold_mode"] == "fit" and fusion["threshold_fit_frames"] == 6
    assert 0 < fusion["threshold"] < 1
    assert "fit_frames" not in fusion  # the weights were given, not fitted
    for row in table[table["source"] == "coarse"].itertuples():
        truth = read_mask(dataset.parent / "Annotations" / "480p" / row.video / f"{row.frame}.png")
        assert iou(read_gray(row.label_path) > 128, truth) > 0.8


def test_nothing_to_label_means_nothing_to_fit(dataset, tmp_path):
    result = fit_fusion_weights(dataset, tmp_path / "w.json", {"sparse_gt_every": 0}, "tiny")
    assert result["weights_mode"] == "uniform" and "nothing fitted" in result["note"]
    assert result["threshold"] == "otsu"  # no frame to fit a threshold on
    assert json.loads((tmp_path / "w.json").read_text()) == result
    table = label_video(
        dataset,
        "cat",
        tmp_path / "w.json",
        [],
        tmp_path / "cat",
        tmp_path / "c.csv",
        tmp_path / "c.png",
        {},
        "tiny",
    )
    assert (table["source"] == "gt").all() and not list((tmp_path / "cat").iterdir())
    assert read_gray(tmp_path / "c.png").shape[0] > 20  # a header-only sheet


def test_folder_source_gets_the_weight_when_it_is_the_truth(dataset, tmp_path):
    # a folder of "model outputs" equal to the ground truth (as a trained model's maps would be)
    maps = tmp_path / "results" / "saliency" / "tiny" / "OS"
    manifest = pd.read_csv(dataset, dtype=str, keep_default_na=False)
    for row in manifest.itertuples():
        write_png(maps / row.video / f"{row.frame}.png", read_gray(row.gt))
    sources = [
        "sr",
        {"method": "folder", "name": "OS", "path": str(tmp_path / "results/saliency/{dataset}/OS")},
    ]
    out = tmp_path / "coarse"
    table, weights = run_stage(dataset, out, {"sources": sources, "sparse_gt_every": 3})
    assert weights["weights"]["OS"] > 0.95
    for row in table[table["source"] == "coarse"].itertuples():
        truth = read_mask(
            manifest[(manifest.video == row.video) & (manifest.frame == row.frame)]["gt"].iloc[0]
        )
        assert iou(read_gray(row.label_path) > 128, truth) > 0.95


def test_missing_folder_map_names_the_config_key(dataset, tmp_path):
    sources = build_sources(
        [{"method": "folder", "name": "DCL", "path": str(tmp_path / "{dataset}")}], "tiny"
    )
    with pytest.raises(InputError, match=r"tiny/cat/00000.png.*coarse.sources\[0\].path"):
        sources[0](np.zeros((4, 4, 3), np.uint8), "cat", "00000")


def test_stale_weights_file_is_refused(dataset, tmp_path):
    weights = tmp_path / "w.json"
    fit_fusion_weights(dataset, weights, {"sources": ["ft"], "weights": "uniform"}, "tiny")
    with pytest.raises(InputError, match="coarse.sources"):
        label_video(
            dataset,
            "cat",
            weights,
            None,
            tmp_path / "cat",
            tmp_path / "c.csv",
            tmp_path / "c.png",
            {"sources": ["sr"]},
            "tiny",
        )


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"source": ["mbd"]}, "unknown keys \\['source'\\]"),
        ({"sparse_gt_every": -1}, "coarse.sparse_gt_every"),
        ({"threshold": 2}, "coarse.threshold"),
        ({"weights": "learned"}, "coarse.weights"),
    ],
)
def test_config_errors_name_the_key(params, message):
    with pytest.raises(InputError, match=message):
        CoarseConfig.from_dict(params)


@pytest.mark.parametrize(
    ("sources", "message"),
    [
        ([], "non-empty list"),
        (["dcl"], "coarse.sources\\[0\\].method is 'dcl'"),
        ([{"method": "folder"}], "coarse.sources\\[0\\].path is required"),
        ([{"method": "mbd", "options": {"radius": 3}}], "unknown options \\['radius'\\]"),
        (["ft", {"method": "ft"}], "used twice"),
    ],
)
def test_source_errors_name_the_key(sources, message):
    with pytest.raises(InputError, match=message):
        parse_sources(sources)
