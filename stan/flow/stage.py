"""The flow stage: flow of every consecutive frame pair of one video, cached to one file."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm import tqdm

from stan.flow import opencv
from stan.flow.cache import complete_last_frame, load_flow, load_frames, save_flow
from stan.flow.flo import write_flo
from stan.io import InputError, read_image

log = logging.getLogger(__name__)

OPENCV_METHODS = {"dis", "farneback", "tvl1"}
FLOWNET2_MODELS = {
    "flownet2": "FlowNet2",
    "flownet2-c": "FlowNet2C",
    "flownet2-s": "FlowNet2S",
    "flownet2-sd": "FlowNet2SD",
    "flownet2-cs": "FlowNet2CS",
    "flownet2-css": "FlowNet2CSS",
}
METHODS = sorted(OPENCV_METHODS | set(FLOWNET2_MODELS))


def pair_estimator(method: str, params: dict):
    """A callable estimating the flows of consecutive frames: frames -> (N-1, H, W, 2)."""
    if method in FLOWNET2_MODELS:
        from stan.flow.flownet2.estimator import FlowNet2Estimator

        estimator = FlowNet2Estimator(
            FLOWNET2_MODELS[method],
            params.get("flownet2", {}).get("checkpoint", ""),
            device=params.get("device", "auto"),
            batch_size=params.get("flownet2", {}).get("batch_size", 4),
        )
        return estimator.estimate
    if method == "dis":
        single = opencv.dis(params.get("dis_preset", "medium"))
    elif method == "farneback":
        single = opencv.farneback()
    elif method == "tvl1":
        single = opencv.tvl1()
    else:
        raise InputError(
            f"unknown flow method {method!r} (config key flow.method); use one of {METHODS}"
        )

    def estimate(frames):
        pairs = zip(frames[:-1], frames[1:], strict=False)
        flows = [
            single(a, b) for a, b in tqdm(pairs, total=len(frames) - 1, desc="flow", leave=False)
        ]
        return np.stack(flows) if flows else np.zeros((0, *frames[0].shape[:2], 2), np.float32)

    return estimate


def compute_video_flow(
    manifest: pd.DataFrame,
    video: str,
    method: str,
    params: dict,
    out_npz: str | Path,
) -> None:
    """Compute and cache the flow of ``video`` (all frames, in manifest order)."""
    rows = manifest[manifest["video"] == video]
    if rows.empty:
        raise InputError(f"video {video!r} is not in the manifest")
    frames = [read_image(p) for p in rows["image"]]
    shape = frames[0].shape[:2]
    for path, frame in zip(rows["image"], frames, strict=True):
        if frame.shape[:2] != shape:
            raise InputError(
                f"{path}: frame size {frame.shape[:2]} differs from the video's {shape}"
            )
    log.info("%s: %d frames of %dx%d, method %s", video, len(frames), shape[1], shape[0], method)
    flow = complete_last_frame(pair_estimator(method, params)(frames), shape)
    ids = list(rows["frame"])
    save_flow(out_npz, flow, ids)
    log.info("%s: wrote %s", video, out_npz)


def export_flo(flow_npz: str | Path, out_dir: str | Path) -> None:
    """Write one Middlebury ``.flo`` file per frame of a cached video flow."""
    out_dir = Path(out_dir)
    for frame_id, field in zip(load_frames(flow_npz), load_flow(flow_npz), strict=True):
        write_flo(out_dir / f"{frame_id}.flo", field)
