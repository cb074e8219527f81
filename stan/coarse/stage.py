"""The coarse-label stage: fit fusion weights, label each training video, gather the label table.

Three steps, each called by one Snakemake rule (``workflow/rules/coarse.smk``):

1. :func:`fit_fusion_weights` (one job per dataset) writes ``fusion_weights.json``: fitted on
   training frames that keep their ground truth, or the given/uniform weights.
2. :func:`label_video` (one job per training video) writes a coarse label
   ``<out_dir>/<frame>.png`` (0 or 255, named like the ground truth) for every training frame
   that has no ground truth (or whose ground truth ``sparse_gt_every`` drops), the video's part
   of the label-source table and its contact sheet.
3. :func:`gather_label_sources` concatenates the per-video tables into
   ``label_sources.csv`` with columns ``video, frame, label_path, source`` (``gt`` or
   ``coarse``), which the training stage reads.

Which frames keep ground truth: every training frame that has a ``gt`` path in the manifest,
except that with ``sparse_gt_every = k > 0`` only frames at positions 0, k, 2k, ... of their
video (sorted by frame id, counted from 0) keep it. Test-split frames are never labelled.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm import tqdm

from stan.coarse.config import CoarseConfig
from stan.coarse.erase import check_erase_file
from stan.coarse.fusion import (
    binarise,
    fit_threshold,
    fit_weights,
    fuse,
    resolve_weights,
    sample_pixels,
)
from stan.coarse.resample import shrink, stretch
from stan.coarse.review import Tile, contact_sheet, pick_evenly
from stan.coarse.sources import build_sources, parse_sources
from stan.data.manifest import kept_ground_truth, load_manifest
from stan.io import (
    InputError,
    atomic_path,
    read_image,
    read_mask,
    reading,
    to_uint8,
    write_png,
)

log = logging.getLogger(__name__)

LABEL_TABLE_COLUMNS = ["video", "frame", "label_path", "source"]
FIT_MAP_SIDE = 160  # longer side of the maps on which a fitted threshold is chosen


def plan_labels(manifest: pd.DataFrame, sparse_gt_every: int = 0) -> pd.DataFrame:
    """Training-split rows of ``manifest`` with a ``source`` column: ``gt`` or ``coarse``."""
    train = manifest[manifest["split"] == "train"].copy()
    train["source"] = np.where(kept_ground_truth(train, sparse_gt_every), "gt", "coarse")
    return train.reset_index(drop=True)


def source_maps(sources, image: np.ndarray, video: str, frame: str) -> list[np.ndarray]:
    """Every source's saliency map of one frame, float32 (H, W) each."""
    maps = []
    for source in sources:
        saliency = np.asarray(source(image, video, frame), dtype=np.float32)
        if saliency.shape != image.shape[:2]:
            raise ValueError(
                f"source {source.name} returned {saliency.shape} for a {image.shape[:2]} frame"
            )
        maps.append(saliency)
    return maps


def fit_fusion_weights(
    manifest_path: str | Path, output_json: str | Path, params: dict, dataset: str
) -> dict:
    """Write the fusion weights and threshold of ``dataset`` to ``output_json``; return them.

    With ``coarse.weights: fit`` and/or ``coarse.threshold: fit``, up to ``fit_max_frames``
    training frames that keep their ground truth (evenly spread) are run through every source:
    weights are fitted by non-negative least squares on balanced pixel samples and the threshold
    maximises the mean IoU (stan.coarse.fusion; the threshold is chosen on maps shrunk to
    ``FIT_MAP_SIDE`` pixels to keep memory small). When no frame needs a coarse label, nothing is
    fitted: uniform weights and Otsu's threshold are written with a note.
    """
    cfg = CoarseConfig.from_dict(params)
    names = [s.name for s in parse_sources(list(cfg.sources))]
    plan = plan_labels(load_manifest(manifest_path), cfg.sparse_gt_every)
    result: dict = {"dataset": dataset, "sources": names}
    weights = None if cfg.weights == "fit" else resolve_weights(cfg.weights, names)
    weights_mode = cfg.weights if isinstance(cfg.weights, str) else "given"
    threshold = cfg.threshold
    if (plan["source"] == "coarse").sum() == 0:
        if weights is None:
            weights, weights_mode = resolve_weights("uniform", names), "uniform"
        threshold = "otsu" if threshold == "fit" else threshold
        result["note"] = "no training frame needs a coarse label; nothing fitted"
    elif weights is None or threshold == "fit":
        gt_rows = plan[plan["source"] == "gt"]
        if gt_rows.empty:
            raise InputError(
                f"{manifest_path}: no training frame of {dataset} has ground truth to fit on; set "
                "config keys coarse.weights (to 'uniform' or explicit weights) and "
                "coarse.threshold (to 'otsu' or a number) instead of 'fit'"
            )
        rows = pick_evenly(list(gt_rows.itertuples(index=False)), cfg.fit_max_frames)
        sources = build_sources(list(cfg.sources), dataset)
        rng = np.random.default_rng(cfg.seed)
        xs, ys, small_maps, small_masks = [], [], [], []
        log.info("fitting on %d ground-truth frames with sources %s", len(rows), names)
        for row in tqdm(rows, desc=f"{dataset} fit", unit="frame"):
            image = read_image(row.image)
            mask = read_mask(row.gt)
            if mask.shape != image.shape[:2]:
                raise InputError(f"{row.gt}: mask size {mask.shape} differs from frame {row.image}")
            maps = source_maps(sources, image, row.video, row.frame)
            x, y = sample_pixels(maps, mask, cfg.fit_pixels_per_class, rng)
            xs.append(x)
            ys.append(y)
            small_maps.append([shrink(stretch(m), FIT_MAP_SIDE) for m in maps])
            small_masks.append(shrink(mask.astype(np.uint8) * 255, FIT_MAP_SIDE) > 127)
        if weights is None:
            weights = fit_weights(np.concatenate(xs), np.concatenate(ys))
            result.update(fit_frames=len(rows), fit_pixels=int(sum(len(y) for y in ys)))
        if threshold == "fit":
            fused = [fuse(maps, weights) for maps in small_maps]
            threshold = fit_threshold(fused, small_masks)
            result.update(threshold_fit_frames=len(rows))
    result["weights_mode"] = weights_mode
    result["weights"] = {n: float(w) for n, w in zip(names, weights, strict=True)}
    if threshold == "otsu":
        result["threshold_mode"] = "otsu"
    else:
        result["threshold_mode"] = "fit" if cfg.threshold == "fit" else "fixed"
    result["threshold"] = threshold
    log.info("fusion weights %s, threshold %s", result["weights"], threshold)
    with atomic_path(output_json) as tmp:
        tmp.write_text(json.dumps(result, indent=2) + "\n")
    return result


def read_fusion(path: str | Path, names: list[str]) -> tuple[np.ndarray, str | float]:
    """Weights (in ``names`` order) and threshold from ``fusion_weights.json``; stale is an error."""
    with reading(path, "fusion-weight file"):
        data = json.loads(Path(path).read_text())
        weights = np.array([data["weights"][n] for n in data.get("sources", [])], dtype=float)
        threshold = data["threshold"]
    if data.get("sources") != names:
        raise InputError(
            f"{path}: weights are for sources {data.get('sources')} but config key coarse.sources "
            f"lists {names}; delete the file and rerun the coarse stage"
        )
    return weights, threshold


def label_video(
    manifest_path: str | Path,
    video: str,
    weights_json: str | Path,
    erase_file: str | Path | Sequence[str | Path] | None,
    out_dir: str | Path,
    out_table: str | Path,
    out_sheet: str | Path,
    params: dict,
    dataset: str,
) -> pd.DataFrame:
    """Coarse labels, label-source table and contact sheet of one training video.

    ``erase_file`` is the video's erase file, or None; a list of zero or one paths (as the rule's
    optional input gives it) is accepted too.
    """
    cfg = CoarseConfig.from_dict(params)
    if erase_file is not None and not isinstance(erase_file, str | Path):
        files = list(erase_file)
        if len(files) > 1:
            raise InputError(f"video {video}: several erase files {files}; merge them into one")
        erase_file = files[0] if files else None
    plan = plan_labels(load_manifest(manifest_path), cfg.sparse_gt_every)
    rows = plan[plan["video"] == video]
    if rows.empty:
        raise InputError(f"{manifest_path}: video {video!r} has no training frames to label")
    sources = build_sources(list(cfg.sources), dataset)
    names = [s.name for s in sources]
    weights, threshold = read_fusion(weights_json, names)
    erase = None
    if erase_file:
        erase = check_erase_file(erase_file, video, list(rows["frame"]), rows["image"].iloc[0])
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)

    coarse_ids = list(rows.loc[rows["source"] == "coarse", "frame"])
    if erase is not None:
        for region in erase.unmatched(coarse_ids):
            log.warning(
                "%s:%d: region selects no coarse-labelled frame of %s",
                erase.path,
                region.line,
                video,
            )
    sheet_ids = set(pick_evenly(coarse_ids, cfg.sheet_frames))
    log.info(
        "%s: %d coarse labels, %d ground-truth frames kept",
        video,
        len(coarse_ids),
        len(rows) - len(coarse_ids),
    )

    table, tiles = [], []
    progress = tqdm(rows.itertuples(index=False), total=len(rows), desc=video, unit="frame")
    for row in progress:
        if row.source == "gt":
            table.append((row.video, row.frame, row.gt, "gt"))
            continue
        image = read_image(row.image)
        fused = fuse(source_maps(sources, image, row.video, row.frame), weights)
        label = binarise(fused, threshold)
        final = erase.apply(label, row.frame) if erase is not None else label
        path = out_dir / f"{row.frame}.png"
        write_png(path, to_uint8(final))
        table.append((row.video, row.frame, str(path), "coarse"))
        if row.frame in sheet_ids:
            tiles.append(Tile(row.frame, image, fused, label, final))

    weight_text = ", ".join(f"{n} {w:.2f}" for n, w in zip(names, weights, strict=True))
    header = f"{dataset}/{video}: {len(coarse_ids)} coarse labels, {len(rows) - len(coarse_ids)} gt"
    if not coarse_ids:
        header += " (nothing to review)"
    header += f"\nfusion {weight_text}; threshold {threshold}"
    header += f"; erase file {erase_file}" if erase_file else "; no erase file"
    write_png(out_sheet, contact_sheet(tiles, header, width=cfg.sheet_width))

    frame_table = pd.DataFrame(table, columns=LABEL_TABLE_COLUMNS)
    with atomic_path(out_table) as tmp:
        frame_table.to_csv(tmp, index=False)
    return frame_table


def gather_label_sources(tables: list[str | Path], output_csv: str | Path) -> pd.DataFrame:
    """Concatenate per-video label tables into the dataset's ``label_sources.csv``."""
    if not tables:
        raise InputError(f"{output_csv}: no per-video label tables to gather (no training videos?)")
    parts = []
    for path in tables:
        with reading(path, "label table"):
            part = pd.read_csv(path, dtype=str, keep_default_na=False)
        if list(part.columns) != LABEL_TABLE_COLUMNS:
            raise InputError(
                f"{path}: columns {list(part.columns)}, expected {LABEL_TABLE_COLUMNS}"
            )
        parts.append(part)
    table = pd.concat(parts, ignore_index=True).sort_values(["video", "frame"], kind="stable")
    duplicated = table.duplicated(["video", "frame"])
    if duplicated.any():
        row = table[duplicated].iloc[0]
        raise InputError(
            f"{output_csv}: frame {row.video}/{row.frame} appears in two per-video tables"
        )
    with atomic_path(output_csv) as tmp:
        table.to_csv(tmp, index=False)
    counts = table["source"].value_counts().to_dict()
    log.info("%s: %d frames (%s)", output_csv, len(table), counts)
    return table
