"""A video of a method's saliency maps for people to watch: frame | saliency map | overlay.

Works for any video of a manifest, including a user's own files indexed by the ``videos`` data
adapter (``data: {myvideos: {adapter: videos, root: <folder of .mp4 files>}}``). The overlay tints
the frame red in proportion to the saliency. Written with OpenCV's ``mp4v`` (MPEG-4 Part 2)
encoder, which every OpenCV build has; re-encode with ffmpeg for H.264 if a player needs it.
"""

from __future__ import annotations

import logging
from pathlib import Path

import cv2
import numpy as np
from tqdm import tqdm

from stan.data.manifest import load_manifest
from stan.io import InputError, atomic_path, read_gray, read_image

log = logging.getLogger(__name__)

MAX_WIDTH = 1920  # the three panels are scaled down to fit this width
TINT = np.array([255, 40, 40], np.float32)  # overlay colour (RGB)


def compose_panels(image: np.ndarray, saliency: np.ndarray, alpha: float = 0.6) -> np.ndarray:
    """RGB uint8 frame, grey map and overlay side by side: (H, 3W, 3) RGB uint8."""
    if saliency.shape != image.shape[:2]:
        saliency = cv2.resize(saliency, (image.shape[1], image.shape[0]), cv2.INTER_LINEAR)
    weight = alpha * saliency.astype(np.float32)[..., None] / 255.0
    overlay = (1.0 - weight) * image.astype(np.float32) + weight * TINT
    grey = np.repeat(saliency[..., None], 3, axis=2)
    return np.concatenate([image, grey, np.clip(overlay, 0, 255).astype(np.uint8)], axis=1)


def saliency_video(
    manifest_csv: str | Path,
    video: str,
    map_dir: str | Path,
    out_mp4: str | Path,
    fps: float = 10.0,
    label: str = "",
) -> int:
    """Write ``out_mp4`` showing every frame of ``video`` with its map; returns the frame count."""
    manifest = load_manifest(manifest_csv)
    frames = manifest[manifest["video"] == video]
    if frames.empty:
        raise InputError(f"{manifest_csv}: no video {video!r}")
    if not fps > 0:
        raise InputError(f"report.video_fps is {fps!r}; use a positive number")
    map_dir = Path(map_dir)
    writer = None
    size = None
    with atomic_path(out_mp4) as tmp:
        try:
            for row in tqdm(frames.itertuples(), total=len(frames), desc=f"video {video}"):
                path = map_dir / f"{row.frame}.png"
                if not path.is_file():
                    raise InputError(f"{path}: saliency map missing; run the stage of {map_dir}")
                panel = compose_panels(read_image(row.image), read_gray(path))
                if size is None:  # every frame is written at the first frame's (even) size
                    scale = min(1.0, MAX_WIDTH / panel.shape[1])
                    size = (
                        int(panel.shape[1] * scale) // 2 * 2,
                        int(panel.shape[0] * scale) // 2 * 2,
                    )
                panel = cv2.resize(panel, size, interpolation=cv2.INTER_AREA)
                if label:  # text sized to the frame: 0.8 at 480 lines
                    font = float(np.clip(size[1] / 600, 0.25, 1.0))
                    cv2.putText(panel, f"{label}  {row.frame}", (4, int(4 + 28 * font)),
                                cv2.FONT_HERSHEY_SIMPLEX, font, (255, 255, 255),
                                1 if font < 0.5 else 2, cv2.LINE_AA)  # fmt: skip
                if writer is None:
                    writer = cv2.VideoWriter(str(tmp), cv2.VideoWriter_fourcc(*"mp4v"), fps, size)
                    if not writer.isOpened():
                        raise OSError(f"{out_mp4}: OpenCV cannot open an mp4v video writer")
                writer.write(cv2.cvtColor(panel, cv2.COLOR_RGB2BGR))
        finally:
            if writer is not None:
                writer.release()
    log.info("wrote %s (%d frames at %.1f fps)", out_mp4, len(frames), fps)
    return len(frames)
