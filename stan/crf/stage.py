"""Stage function: dense-CRF refinement of one video's saliency maps.

Reads ``<in_dir>/<frame>.png`` for every frame of the video in the manifest and its RGB frame,
writes the refined maps (8-bit foreground marginal) as ``<out_dir>/<frame>.png``. The output
folder is built under a temporary name beside ``out_dir`` and renamed when every frame is done,
so an interrupted job leaves no partial folder behind.
"""

from __future__ import annotations

import logging
import os
from concurrent.futures import ProcessPoolExecutor
from contextlib import nullcontext
from pathlib import Path

import cv2
import pandas as pd
from tqdm import tqdm

from stan.crf.config import CRFConfig
from stan.crf.dense import refine_map, require_densecrf, video_peak
from stan.data.manifest import video_rows
from stan.io import InputError, atomic_dir, read_gray, read_image, to_uint8, write_png

log = logging.getLogger(__name__)


def _refine_file(
    image_path: str, map_path: str, out_path: str, cfg: CRFConfig, peak: float | None
) -> bool:
    """Refine one frame's map file; returns True when the frame had to be resized to the map."""
    saliency = read_gray(map_path)
    image = read_image(image_path)
    resized = image.shape[:2] != saliency.shape
    if resized:
        image = cv2.resize(
            image, (saliency.shape[1], saliency.shape[0]), interpolation=cv2.INTER_AREA
        )
    write_png(out_path, to_uint8(refine_map(image, saliency, cfg, peak)))
    return resized


def refine_video(
    manifest: pd.DataFrame | str | Path,
    video: str,
    in_dir: str | Path,
    out_dir: str | Path,
    params: dict | CRFConfig | None = None,
    workers: int = 1,
) -> int:
    """Write CRF-refined maps of every frame of ``video``; returns the number of frames.

    ``manifest``: the dataset manifest (CSV path or DataFrame). ``params``: the ``crf`` config
    section (see :class:`CRFConfig`). ``workers``: frames refined in parallel (processes; the CRF
    itself is single-threaded). A frame whose size differs from its map is resized to the map
    (maps are written at the ground-truth resolution), with a warning.
    """
    cfg = params if isinstance(params, CRFConfig) else CRFConfig.from_dict(params)
    require_densecrf()  # fail before any work when pydensecrf is missing
    in_dir, out_dir = Path(in_dir), Path(out_dir)
    frames = video_rows(manifest, video)
    images = list(frames["image"])
    maps = [str(in_dir / f"{frame}.png") for frame in frames["frame"]]
    missing = [path for path in maps if not os.path.isfile(path)]
    if missing:
        raise InputError(
            f"{in_dir}: {len(missing)} of {len(maps)} saliency maps of video {video!r} are "
            f"missing, e.g. {missing[0]}; rerun the stage that writes {in_dir}"
        )
    peak = None
    if cfg.normalize == "video":
        peak = video_peak([read_gray(path) for path in maps], cfg.peak_percentile)
        log.info("crf %s: video peak %.3f (normalize: video)", video, peak)
    log.info("crf %s: %d frames from %s, %d worker(s), %s", video, len(maps), in_dir, workers, cfg)
    with atomic_dir(out_dir) as tmp_dir:
        outs = [str(tmp_dir / f"{frame}.png") for frame in frames["frame"]]
        parallel = workers > 1 and len(maps) > 1
        with ProcessPoolExecutor(min(workers, len(maps))) if parallel else nullcontext() as pool:
            results = (pool.map if parallel else map)(
                _refine_file, images, maps, outs, [cfg] * len(maps), [peak] * len(maps)
            )
            resized = list(tqdm(results, total=len(maps), desc=f"crf {video}", unit="frame"))
        if any(resized):
            log.warning(
                "%s: %d frames differ in size from their saliency maps; they were resized to "
                "the maps' size for the CRF",
                video,
                sum(resized),
            )
    log.info("wrote %d refined maps to %s", len(maps), out_dir)
    return len(maps)
