"""The evaluate stage on a tiny dataset written by the test: scores, table, PR plot, errors."""

from __future__ import annotations

import math

import cv2
import numpy as np
import pandas as pd
import pytest

from stan.evaluate import (
    SCORE_COLUMNS,
    TABLE_COLUMNS,
    dataset_maxf,
    make_table,
    plot_pr,
    score_method,
    trained_threshold,
)
from stan.io import InputError, read_gray, read_mask, write_png
from stan.metrics import binarize, frame_scores, jaccard, jaccard_curve, summarize_frames

H, W = 48, 64


def moving_square(t: int, size: int = 14) -> np.ndarray:
    mask = np.zeros((H, W), dtype=bool)
    mask[10 + t : 10 + t + size, 5 + 3 * t : 5 + 3 * t + size] = True
    return mask


@pytest.fixture()
def dataset(tmp_path):
    """Two test videos (5 and 4 frames, one frame without gt, one empty mask) and a train video."""
    rows = []
    layout = {"alpha": ("test", 5), "beta": ("test", 4), "gamma": ("train", 3)}
    for video, (split, n) in layout.items():
        for t in range(n):
            frame = f"{t:05d}"
            image = tmp_path / "JPEGImages" / video / f"{frame}.jpg"
            gt = tmp_path / "Annotations" / video / f"{frame}.png"
            mask = moving_square(t) if not (video == "beta" and t == 1) else np.zeros((H, W), bool)
            write_png(gt, mask.astype(np.uint8) * 255)
            has_gt = not (video == "alpha" and t == 2)
            rows.append((video, frame, str(image), str(gt) if has_gt else "", split))
    manifest = pd.DataFrame(rows, columns=["video", "frame", "image", "gt", "split"])
    return manifest


def write_predictions(manifest: pd.DataFrame, root, transform) -> None:
    for row in manifest.itertuples():
        if row.gt:
            gt = read_mask(row.gt)
            write_png(root / row.video / f"{row.frame}.png", transform(gt))


def blurred(gt: np.ndarray) -> np.ndarray:
    return cv2.GaussianBlur(gt.astype(np.uint8) * 255, (0, 0), 3)


def perfect(gt: np.ndarray) -> np.ndarray:
    return gt.astype(np.uint8) * 255


def test_score_method_per_video_rows_and_curves(dataset, tmp_path):
    preds = tmp_path / "saliency" / "blur"
    write_predictions(dataset, preds, blurred)
    out_csv, out_npz = tmp_path / "scores" / "blur.csv", tmp_path / "scores" / "blur.npz"
    table = score_method(dataset, preds, "blur", out_csv, out_npz)

    written = pd.read_csv(out_csv)
    assert list(written.columns) == list(SCORE_COLUMNS)
    assert written["video"].tolist() == ["alpha", "beta"]  # train video left out
    assert written["n_frames"].tolist() == [4, 4]  # alpha's frame without gt left out
    pd.testing.assert_frame_equal(written, table, check_dtype=False)

    # per-video saliency numbers are the frame average of the per-frame metrics
    alpha = dataset[(dataset["video"] == "alpha") & (dataset["gt"] != "")]
    frames = [
        frame_scores(read_gray(preds / "alpha" / f"{frame}.png"), read_mask(gt))
        for frame, gt in zip(alpha["frame"], alpha["gt"], strict=True)
    ]
    expected = summarize_frames(frames)
    for name, value in expected.items():
        assert written.loc[0, name] == pytest.approx(value, abs=1e-12), name

    with np.load(out_npz, allow_pickle=False) as curves:
        assert str(curves["method"]) == "blur"
        assert curves["videos"].tolist() == ["alpha", "beta"]
        np.testing.assert_array_equal(curves["thresholds"], np.arange(255, -1, -1))
        for name in ("precision", "recall", "fmeasure", "emeasure"):
            assert curves[name].shape == (256,)
            assert curves[f"video_{name}"].shape == (2, 256)
            np.testing.assert_allclose(curves[name], curves[f"video_{name}"].mean(axis=0))
        video_f = curves["video_fmeasure"]
        assert video_f[0].max() == pytest.approx(written.loc[0, "maxF"], abs=1e-12)


def test_perfect_predictions(dataset, tmp_path):
    preds = tmp_path / "saliency" / "gt"
    write_predictions(dataset, preds, perfect)
    table = score_method(dataset, preds, "gt", tmp_path / "s.csv", tmp_path / "c.npz")
    # J and F count two empty masks as a perfect match (beta's frame 1 has an empty mask) ...
    for column in ("J_mean", "J_recall", "F_mean", "F_recall", "S"):
        np.testing.assert_allclose(table[column], 1.0, atol=1e-9, err_msg=column)
    np.testing.assert_array_equal(table["MAE"], 0.0)
    np.testing.assert_array_equal(table["J_decay"], 0.0)
    # ... while F-measure curves and weighted F score an empty ground truth 0, like PySODMetrics
    np.testing.assert_allclose(table["maxF"], [1.0, 0.75], atol=1e-9)
    np.testing.assert_allclose(table["wF"], [1.0, 0.75], atol=1e-9)


def test_binarize_threshold_changes_jf_only(dataset, tmp_path):
    preds = tmp_path / "saliency" / "blur"
    write_predictions(dataset, preds, blurred)
    low = score_method(dataset, preds, "blur", tmp_path / "a.csv", tmp_path / "a.npz", 20)
    high = score_method(dataset, preds, "blur", tmp_path / "b.csv", tmp_path / "b.npz", 200)
    pd.testing.assert_series_equal(low["maxF"], high["maxF"])
    assert not np.allclose(low["J_mean"], high["J_mean"])
    with pytest.raises(InputError, match="evaluate.binarize_threshold"):
        score_method(dataset, preds, "blur", tmp_path / "c.csv", tmp_path / "c.npz", 0)


def test_missing_prediction_names_file_and_method(dataset, tmp_path):
    preds = tmp_path / "saliency" / "STAN"
    write_predictions(dataset, preds, blurred)
    (preds / "beta" / "00003.png").unlink()
    out_csv = tmp_path / "s.csv"
    with pytest.raises(InputError, match=r"'STAN'.*1 of 8.*beta/00003\.png"):
        score_method(dataset, preds, "STAN", out_csv, tmp_path / "c.npz")
    assert not out_csv.exists()


def test_size_mismatch_names_both_files(dataset, tmp_path):
    preds = tmp_path / "saliency" / "STAN"
    write_predictions(dataset, preds, blurred)
    write_png(preds / "alpha" / "00001.png", np.zeros((H // 2, W // 2), np.uint8))
    with pytest.raises(
        InputError, match=r"alpha/00001\.png is 32x24.*Annotations/alpha/00001\.png"
    ):
        score_method(dataset, preds, "STAN", tmp_path / "s.csv", tmp_path / "c.npz")


def test_manifest_without_test_gt_is_an_error(dataset, tmp_path):
    train_only = dataset[dataset["split"] == "train"]
    with pytest.raises(InputError, match="no test-split frame"):
        score_method(train_only, tmp_path, "x", tmp_path / "s.csv", tmp_path / "c.npz")


def test_manifest_read_with_pandas_defaults(dataset, tmp_path):
    # empty gt cells read back as NaN by default pandas parsing must still mean "no ground truth"
    dataset.to_csv(tmp_path / "m.csv", index=False)
    manifest = pd.read_csv(tmp_path / "m.csv", dtype={"frame": str})
    preds = tmp_path / "saliency" / "blur"
    write_predictions(dataset, preds, blurred)
    table = score_method(manifest, preds, "blur", tmp_path / "s.csv", tmp_path / "c.npz")
    assert table["n_frames"].tolist() == [4, 4]


def test_make_table_and_plot(dataset, tmp_path):
    csvs, curves = {}, {}
    for method, transform in (("perfect", perfect), ("blur", blurred)):
        preds = tmp_path / "saliency" / method
        write_predictions(dataset, preds, transform)
        csvs[method] = tmp_path / f"{method}.csv"
        curves[method] = tmp_path / f"{method}.npz"
        score_method(dataset, preds, method, csvs[method], curves[method])

    out = tmp_path / "tables" / "tiny.csv"
    table = make_table(csvs, out)
    assert list(table.columns) == list(TABLE_COLUMNS)
    assert table["method"].tolist() == ["perfect", "blur"]  # order as given
    blur = pd.read_csv(csvs["blur"])
    row = table.iloc[1]
    assert row["n_videos"] == 2 and row["n_frames"] == 8
    for column in ("maxF", "MAE", "S", "adpE", "wF", "J_mean", "F_decay"):
        assert row[column] == pytest.approx(blur[column].mean(), abs=1e-12), column
    pd.testing.assert_frame_equal(pd.read_csv(out), table, check_dtype=False)

    png = tmp_path / "plots" / "tiny_pr.png"
    plot_pr(curves, png, "tiny: PR curves")
    image = cv2.imread(str(png))
    assert image is not None and image.shape[0] > 300 and image.shape[1] > 2 * image.shape[0] // 2
    assert image.std() > 10  # something is drawn


def test_make_table_skips_undefined_jf(tmp_path):
    scores = pd.DataFrame([{c: 0.5 for c in SCORE_COLUMNS}, {c: 0.7 for c in SCORE_COLUMNS}])
    scores["video"] = ["long", "short"]
    scores["n_frames"] = [10, 2]
    scores.loc[1, ["J_mean", "J_recall", "J_decay", "F_mean", "F_recall", "F_decay"]] = math.nan
    scores.to_csv(tmp_path / "m.csv", index=False)
    row = make_table({"m": tmp_path / "m.csv"}, tmp_path / "t.csv").iloc[0]
    assert row["S"] == pytest.approx(0.6) and row["J_mean"] == pytest.approx(0.5)


def test_make_table_missing_scores(tmp_path):
    with pytest.raises(InputError, match="'STAN' not found"):
        make_table({"STAN": tmp_path / "nope.csv"}, tmp_path / "t.csv")


def test_dataset_maxf_is_the_best_of_one_curve_over_all_frames(tmp_path):
    """Hand-computed: two videos of 1 and 3 frames whose best thresholds differ.

    Video a (1 frame) peaks at index 0 (F 0.9), video b (3 frames) at index 1 (F 0.6). The mean of
    per-video maxima is 0.75; one curve over the 4 frames is (0.9 + 3*0.2)/4 = 0.375 at index 0
    and (0.1 + 3*0.6)/4 = 0.475 at index 1, so the dataset-level best F is 0.475.
    """
    curves = np.zeros((2, 256))
    curves[0, :2] = [0.9, 0.1]
    curves[1, :2] = [0.2, 0.6]
    np.savez(tmp_path / "c.npz", videos=np.array(["a", "b"]), video_fmeasure=curves)
    scores = pd.DataFrame([{c: 0.5 for c in SCORE_COLUMNS}, {c: 0.5 for c in SCORE_COLUMNS}])
    scores["video"] = ["a", "b"]
    scores["n_frames"] = [1, 3]
    scores["maxF"] = [0.9, 0.6]
    scores.to_csv(tmp_path / "m.csv", index=False)
    row = make_table({"m": tmp_path / "m.csv"}, tmp_path / "t.csv", {"m": tmp_path / "c.npz"})
    assert row.loc[0, "maxF"] == pytest.approx(0.75)
    assert row.loc[0, "maxF_dataset"] == pytest.approx(0.475)
    assert dataset_maxf(scores, tmp_path / "c.npz", "m") == pytest.approx(0.475)
    with pytest.raises(InputError, match="videos differ"):
        dataset_maxf(scores.iloc[::-1], tmp_path / "c.npz", "m")


def test_dataset_maxf_matches_pysodmetrics_over_all_frames(dataset, tmp_path):
    """One PySODMetrics Fmeasure fed every scored frame of the dataset gives maxF_dataset."""
    py_sod_metrics = pytest.importorskip("py_sod_metrics")
    preds = tmp_path / "saliency" / "blur"
    write_predictions(dataset, preds, lambda gt: np.roll(blurred(gt), 3, axis=1))
    score_method(dataset, preds, "blur", tmp_path / "s.csv", tmp_path / "c.npz")
    row = make_table({"blur": tmp_path / "s.csv"}, tmp_path / "t.csv", {"blur": tmp_path / "c.npz"})
    fm = py_sod_metrics.Fmeasure()
    for r in dataset.itertuples():
        if r.gt and r.split == "test":
            fm.step(read_gray(preds / r.video / f"{r.frame}.png"), read_gray(r.gt))
    expected = fm.get_results()["fm"]["curve"].max()
    assert row.loc[0, "maxF_dataset"] == pytest.approx(expected, abs=1e-12)


def test_jaccard_curve_equals_jaccard_of_each_binarised_map():
    rng = np.random.default_rng(0)
    pred = rng.integers(0, 256, (20, 30), dtype=np.uint8)
    gt = rng.random((20, 30)) > 0.6
    curve = jaccard_curve(pred, gt)
    for t in (1, 7, 128, 200, 255):
        assert curve[t] == pytest.approx(jaccard(binarize(pred, t), gt), abs=1e-12)
    assert curve[0] == pytest.approx(gt.mean())  # every pixel kept
    assert jaccard_curve(np.zeros((4, 4), np.uint8), np.zeros((4, 4), bool))[5] == 1.0


def test_trained_threshold_chosen_on_training_videos_applies_to_test(dataset, tmp_path):
    """Maps 0/100 (object at 100): the J of the training video peaks for thresholds 1..100, the
    lowest of which is chosen; at 128 nothing is foreground (J 0), at the chosen one J is 1."""
    preds = tmp_path / "saliency" / "dim"
    write_predictions(dataset, preds, lambda gt: gt.astype(np.uint8) * 100)
    train = score_method(
        dataset, preds, "dim", tmp_path / "tr.csv", tmp_path / "tr.npz", split="train"
    )
    assert train["video"].tolist() == ["gamma"]
    assert trained_threshold(tmp_path / "tr.npz") == 1
    test = score_method(
        dataset, preds, "dim", tmp_path / "s.csv", tmp_path / "c.npz",
        threshold_curves=tmp_path / "tr.npz",
    )  # fmt: skip
    assert test["trained_threshold"].tolist() == [1, 1]
    assert test["J_mean"].tolist() == [0.0, pytest.approx(1 / 2)]  # beta: its empty frame scores 1
    assert test["J_mean_tt"].tolist() == [1.0, 1.0]
    assert test["F_mean_tt"].tolist() == [1.0, 1.0]
    assert (
        score_method(dataset, preds, "dim", tmp_path / "x.csv", tmp_path / "x.npz")["J_mean_tt"]
        .isna()
        .all()
    )
