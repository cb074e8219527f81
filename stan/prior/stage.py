"""Stage function: the motion priors of one video, one 8-bit PNG per frame."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

from tqdm import tqdm

from stan.data.manifest import load_manifest
from stan.flow.cache import load_flow, load_frames
from stan.io import InputError, write_png
from stan.prior.model import load_checkpoint, prior_map
from stan.runtime import resolve_device

log = logging.getLogger(__name__)


def write_motion_priors(
    manifest_csv: str | Path,
    video: str,
    flow_npz: str | Path,
    ckpt: str | Path,
    out_dir: str | Path,
    params: dict,
) -> None:
    """Write ``<out_dir>/<frame>.png`` (frame size, 0..255) for every frame of ``video``.

    The maps are written to ``<out_dir>.partial`` and renamed into place when all are done.
    Model settings come from the checkpoint; ``params`` (the ``prior`` config section) gives
    the runtime ones (device, batch_size).
    """
    device = resolve_device(params.get("device", "auto"), "prior.device")
    model, cfg, _ = load_checkpoint(ckpt, params, device)
    manifest = load_manifest(manifest_csv)
    wanted = list(manifest.loc[manifest["video"] == video, "frame"])
    if not wanted:
        raise InputError(f"{manifest_csv}: video {video!r} is not in the manifest")
    ids = load_frames(flow_npz)
    missing = sorted(set(wanted) - set(ids))
    if missing:
        raise InputError(
            f"{flow_npz}: no flow for frames {missing[:5]} of {video}; rerun the flow stage"
        )
    flow = load_flow(flow_npz)
    index = {f: i for i, f in enumerate(ids)}
    out_dir = Path(out_dir)
    tmp = out_dir.with_name(out_dir.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    for frame_id in tqdm(wanted, desc=f"prior {video}", unit="frame"):
        write_png(
            tmp / f"{frame_id}.png", prior_map(model, flow[index[frame_id]], cfg, cfg.batch_size)
        )
    shutil.rmtree(out_dir, ignore_errors=True)
    tmp.rename(out_dir)
    log.info("%s: wrote %d priors to %s", video, len(wanted), out_dir)
