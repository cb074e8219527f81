"""Stage function: ``flow-magnitude`` saliency maps for one video from its cached flow."""

from __future__ import annotations

import logging
from pathlib import Path

from stan.baseline.flow_magnitude import FlowMagnitudeConfig, flow_magnitude_saliency
from stan.flow.cache import load_flow, load_frames
from stan.io import to_uint8, write_png

log = logging.getLogger(__name__)


def write_flow_magnitude_maps(flow_npz: str | Path, out_dir: str | Path, params: dict) -> None:
    """Write one 8-bit PNG per frame, ``<out_dir>/<frame>.png``."""
    cfg = FlowMagnitudeConfig(**params)
    flow = load_flow(flow_npz)
    frames = load_frames(flow_npz)
    out_dir = Path(out_dir)
    for frame_id, field in zip(frames, flow, strict=True):
        write_png(out_dir / f"{frame_id}.png", to_uint8(flow_magnitude_saliency(field, cfg)))
    log.info("wrote %d maps to %s", len(frames), out_dir)
