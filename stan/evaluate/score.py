"""Score one method's saliency maps on one dataset: per-video metrics and dataset curves.

Aggregation, as in the video salient-object-detection literature (DAVSOD toolbox): every metric
is averaged over the frames of a video first (max F / max E are maxima of the video's mean
curve), then videos are averaged (``stan.evaluate.table``), so long videos do not dominate.
DAVIS J/F are computed per frame on the binarised map and summarised per video by the DAVIS
statistics (first and last scored frame excluded). Every metric uses the same ground truth,
``stan.io.read_mask`` (``> 128``); on binary 0/255 annotations such as DAVIS this equals the DAVIS
toolkit's "any non-zero pixel" rule, on anti-aliased ones (SegTrackV2) it is the SOD convention.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm import tqdm

from stan.io import InputError, atomic_path, read_gray, read_mask
from stan.metrics import (
    CURVE_NAMES,
    SALIENCY_COLUMNS,
    binarize,
    boundary_fmeasure,
    frame_scores,
    jaccard,
    jaccard_curve,
    mean_curves,
    sequence_statistics,
    summarize_frames,
)

log = logging.getLogger(__name__)

DAVIS_COLUMNS = ("J_mean", "J_recall", "J_decay", "F_mean", "F_recall", "F_decay")
#: J and F means at the threshold chosen on training frames (``trained_threshold``)
TRAINED_COLUMNS = ("trained_threshold", "J_mean_tt", "F_mean_tt")
#: columns of the per-video score CSV, in order
SCORE_COLUMNS = ("video", "n_frames", *SALIENCY_COLUMNS, *DAVIS_COLUMNS, *TRAINED_COLUMNS)
MANIFEST_COLUMNS = ("video", "frame", "image", "gt", "split")
#: curve index i of every curve file is the 8-bit threshold 255 - i (">= threshold")
THRESHOLDS = np.arange(255, -1, -1)


def scored_frames(
    manifest: pd.DataFrame, split: str = "test", videos: list[str] | None = None
) -> pd.DataFrame:
    """Frames of ``split`` (of ``videos`` when given) that have ground truth, in manifest
    (temporal) order within each video."""
    missing = [c for c in MANIFEST_COLUMNS if c not in manifest.columns]
    if missing:
        raise InputError(f"manifest lacks columns {missing}; expected {list(MANIFEST_COLUMNS)}")
    gt = manifest["gt"].fillna("").astype(str).str.strip()
    keep = (manifest["split"].astype(str) == split) & (gt != "")
    if videos is not None:
        keep &= manifest["video"].astype(str).isin([str(v) for v in videos])
    frames = manifest.loc[keep].copy()
    frames["gt"] = gt[frames.index]
    frames["frame"] = frames["frame"].astype(str)
    frames["video"] = frames["video"].astype(str)
    if frames.empty:
        raise InputError(
            f"manifest has no {split}-split frame with ground truth"
            + (f" in videos {videos}" if videos is not None else "")
            + "; check the dataset's test split (config key data.<dataset>.test_split) and its "
            "annotations"
        )
    return frames


def prediction_path(pred_root: Path, video: str, frame: str) -> Path:
    """Where the saliency map of a frame lives: ``<pred_root>/<video>/<frame>.png``."""
    return Path(pred_root) / video / f"{frame}.png"


def _check_predictions(frames: pd.DataFrame, pred_root: Path, method: str) -> None:
    paths = (
        prediction_path(pred_root, v, f)
        for v, f in zip(frames["video"], frames["frame"], strict=True)
    )
    missing = [path for path in paths if not path.is_file()]
    if missing:
        raise InputError(
            f"method {method!r}: {len(missing)} of {len(frames)} saliency maps are missing, "
            f"e.g. {missing[0]}; rerun the stage that writes {pred_root} "
            f"(predict/baseline/crf for {method!r})"
        )


def _read_pair(pred_path: Path, gt_path: Path, method: str) -> tuple[np.ndarray, np.ndarray]:
    pred = read_gray(pred_path)
    gt = read_mask(gt_path)
    if pred.shape != gt.shape:
        raise InputError(
            f"method {method!r}: saliency map {pred_path} is {pred.shape[1]}x{pred.shape[0]} but "
            f"its ground truth {gt_path} is {gt.shape[1]}x{gt.shape[0]}; maps must be written at "
            "the ground-truth resolution"
        )
    return pred, gt


def _iter_pairs(
    pred_root: Path, video: str, video_frames: pd.DataFrame, method: str, progress: tqdm
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    for frame, gt_path in zip(video_frames["frame"], video_frames["gt"], strict=True):
        yield _read_pair(prediction_path(pred_root, video, frame), Path(gt_path), method)
        progress.update()


def score_video(
    pairs: Iterable[tuple[np.ndarray, np.ndarray]],
    binarize_threshold: int = 128,
    trained_threshold: int | None = None,
) -> tuple[dict[str, float], dict[str, np.ndarray]]:
    """Scores of one video from its (8-bit map, bool mask) pairs in temporal order.

    ``pairs`` may be a generator: frames are scored as they come and not kept. DAVIS J/F use the
    map binarised at ``binarize_threshold``; ``J_mean_tt`` / ``F_mean_tt`` at
    ``trained_threshold`` (NaN when None).

    Returns the per-video row (without ``video``) and the video's mean curves (``CURVE_NAMES``
    plus ``jaccard``, the mean J of ``map >= t`` for t = 0..255).
    """
    frames, j_values, f_values, j_curves, jt_values, ft_values = [], [], [], [], [], []
    for pred, gt in pairs:
        frames.append(frame_scores(pred, gt))
        j_curves.append(jaccard_curve(pred, gt))
        mask = binarize(pred, binarize_threshold)
        j_values.append(jaccard(mask, gt))
        f_values.append(boundary_fmeasure(mask, gt))
        if trained_threshold is not None:
            mask = binarize(pred, trained_threshold)
            jt_values.append(jaccard(mask, gt))
            ft_values.append(boundary_fmeasure(mask, gt))
    row: dict[str, float] = {"n_frames": len(frames), **summarize_frames(frames)}
    for name, values in (("J", j_values), ("F", f_values)):
        stats = sequence_statistics(values)
        row[f"{name}_mean"] = stats.mean
        row[f"{name}_recall"] = stats.recall
        row[f"{name}_decay"] = stats.decay
    row["trained_threshold"] = np.nan if trained_threshold is None else trained_threshold
    for name, values in (("J_mean_tt", jt_values), ("F_mean_tt", ft_values)):
        row[name] = sequence_statistics(values).mean if values else np.nan
    return row, {**mean_curves(frames), "jaccard": np.mean(j_curves, axis=0)}


def trained_threshold(curves_npz: str | Path) -> int:
    """The 8-bit threshold (1..255) with the highest mean J over the videos of a curve file.

    ``curves_npz`` is what ``score_method`` writes for a method's maps on training videos
    (``split="train"``): the threshold is chosen there and applied to the test videos. Ties go to
    the lowest threshold.
    """
    path = Path(curves_npz)
    with np.load(path) as data:
        if "video_jaccard" not in data:
            raise InputError(f"{path}: no J curves (video_jaccard); rerun its score rule")
        mean_j = data["video_jaccard"].mean(axis=0)
    return int(np.argmax(mean_j[1:]) + 1)


def score_method(
    manifest: pd.DataFrame,
    pred_root: Path,
    method: str,
    out_csv: Path,
    out_curves: Path,
    binarize_threshold: int = 128,
    threshold_curves: Path | None = None,
    split: str = "test",
    videos: list[str] | None = None,
) -> pd.DataFrame:
    """Score the saliency maps of ``method`` under ``pred_root`` on every test frame with gt.

    ``split`` / ``videos``: score the frames of another split, or only these videos (the
    training videos whose maps choose the trained threshold). ``threshold_curves``: the curve
    file of the same method on training videos; J/F are then also computed at the threshold
    chosen there (``trained_threshold``), columns ``J_mean_tt`` and ``F_mean_tt``.

    Writes ``out_csv`` with one row per video (``SCORE_COLUMNS``) and ``out_curves``, an ``.npz``
    with ``method``, ``videos`` (V,), ``thresholds`` (256,: curve index i keeps the pixels whose
    min-max stretched, re-quantised 8-bit value is >= 255 - i), the dataset curves
    ``precision``, ``recall``, ``fmeasure`` and ``emeasure`` (256,: the mean over videos of each
    video's mean-over-frames curve), the per-video curves ``video_<name>`` (V, 256) and
    ``video_jaccard`` (V, 256: index t is the mean J of the raw map ``>= t``, not stretched).
    DAVIS J/F use the map binarised at ``>= binarize_threshold``.
    Returns the per-video table.
    """
    if not isinstance(binarize_threshold, (int, np.integer)) or not 1 <= binarize_threshold <= 255:
        raise InputError(
            f"binarize_threshold must be an integer in 1..255, got {binarize_threshold!r} "
            "(config key evaluate.binarize_threshold; 128 is half of 255)"
        )
    pred_root = Path(pred_root)
    frames = scored_frames(manifest, split, videos)
    chosen = None if threshold_curves is None else trained_threshold(threshold_curves)
    if chosen is not None:
        log.info("J/F also at threshold %d, chosen on %s", chosen, threshold_curves)
    _check_predictions(frames, pred_root, method)
    videos = list(dict.fromkeys(frames["video"]))
    log.info(
        "scoring %r: %d frames of %d videos from %s", method, len(frames), len(videos), pred_root
    )

    rows, curves = [], []
    progress = tqdm(total=len(frames), desc=f"score {method}", unit="frame")
    for video in videos:
        video_frames = frames[frames["video"] == video]
        row, video_curves = score_video(
            _iter_pairs(pred_root, video, video_frames, method, progress),
            binarize_threshold,
            chosen,
        )
        rows.append({"video": video, **row})
        curves.append(video_curves)
        log.info(
            "%s: %d frames, maxF %.4f, MAE %.4f, S %.4f, J %.4f",
            video, row["n_frames"], row["maxF"], row["MAE"], row["S"], row["J_mean"],
        )  # fmt: skip
    progress.close()

    table = pd.DataFrame(rows, columns=list(SCORE_COLUMNS))
    with atomic_path(out_csv) as tmp:
        table.to_csv(tmp, index=False)
    _write_curves(out_curves, method, videos, curves)
    log.info("wrote %s and %s", out_csv, out_curves)
    return table


def _write_curves(
    path: Path, method: str, videos: list[str], curves: list[dict[str, np.ndarray]]
) -> None:
    arrays: dict[str, np.ndarray] = {
        "method": np.array(method),
        "videos": np.array(videos),
        "thresholds": THRESHOLDS,
    }
    for name in (*CURVE_NAMES, "jaccard"):
        per_video = np.stack([c[name] for c in curves])
        arrays[name] = per_video.mean(axis=0)
        arrays[f"video_{name}"] = per_video
    with atomic_path(path) as tmp, open(tmp, "wb") as handle:
        np.savez(handle, **arrays)
