"""Per-frame inputs of the network: RGB frame, motion input (prior or flow image), label.

Paths follow the project contracts: the frame is the manifest's ``image``; the motion prior is
``<prior_root>/<video>/<frame>.png`` (8-bit); the flow of a video is
``<flow_root>/<video>.npz`` (:func:`stan.flow.cache.load_flow`), shown to the network as its
Middlebury colour image (:func:`stan.flow.visualize.flow_to_color`); labels are the manifest's
``gt`` or the ``label_path`` of a label-source table. All are resized to a requested size.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from stan.io import InputError, read_gray, read_image, read_mask, reading
from stan.train.features import resize_rgb


def resize_map(values: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Resize a float (h, w) map to (H, W): area when shrinking, bilinear when enlarging."""
    return resize_rgb(values.astype(np.float32), size)


class FrameInputs:
    """Loads the inputs of frames of a manifest at a given size (optionally memoised).

    ``temporal_input``: 'prior', 'flow' or None (spatial-only variant). ``memo`` keeps the
    resized motion inputs and labels in memory (frozen CPU mode at one fixed size). Flow colour
    images are always kept in memory, per video, at ``flow_size`` (default: the first size
    asked for), and resized from there: a video's flow file is decoded once.
    """

    def __init__(
        self,
        manifest: pd.DataFrame,
        *,
        temporal_input: str | None,
        prior_root: str | Path | None = None,
        flow_root: str | Path | None = None,
        labels: dict[tuple[str, str], str] | None = None,
        memo: bool = False,
        flow_size: tuple[int, int] | None = None,
    ):
        self.frames = {
            video: list(rows["frame"]) for video, rows in manifest.groupby("video", sort=True)
        }
        self.images = {(r.video, r.frame): r.image for r in manifest.itertuples()}
        self.labels = (
            labels
            if labels is not None
            else {(r.video, r.frame): r.gt for r in manifest.itertuples() if r.gt}
        )
        self.temporal_input = temporal_input
        if temporal_input == "prior" and prior_root is None:
            raise InputError(
                "model.temporal_input is 'prior' but no prior root was given (the prior stage output)"
            )
        if temporal_input == "flow" and flow_root is None:
            raise InputError(
                "model.temporal_input is 'flow' but no flow root was given (the flow stage output)"
            )
        self.prior_root = None if prior_root is None else Path(prior_root)
        self.flow_root = None if flow_root is None else Path(flow_root)
        self.memo = memo
        self.flow_size = flow_size
        self._memo: dict = {}
        self._flow: dict[str, np.ndarray] = {}

    def _remember(self, key, make):
        if not self.memo:
            return make()
        if key not in self._memo:
            self._memo[key] = make()
        return self._memo[key]

    def rgb(self, video: str, frame: str, size: tuple[int, int]) -> np.ndarray:
        """uint8 (H, W, 3) RGB."""
        return resize_rgb(read_image(self.images[(video, frame)]), size)

    def motion(self, video: str, frame: str, size: tuple[int, int]) -> np.ndarray:
        """uint8 (H, W, M): the prior (M = 1) or the flow colour image (M = 3)."""
        if self.temporal_input == "prior":
            return self._remember(
                ("prior", video, frame, size), lambda: self._prior(video, frame, size)
            )
        if self.temporal_input == "flow":
            if video not in self._flow:
                self._flow[video] = self._flow_colours(video, tuple(self.flow_size or size))
            colour = self._flow[video][self.frames[video].index(frame)]
            return colour if colour.shape[:2] == tuple(size) else resize_rgb(colour, size)
        raise ValueError("this variant has no motion input")

    def _prior(self, video: str, frame: str, size: tuple[int, int]) -> np.ndarray:
        path = self.prior_root / video / f"{frame}.png"
        if not path.is_file():
            raise InputError(f"{path}: motion prior missing; run the prior stage for this dataset")
        return np.clip(np.rint(resize_map(read_gray(path), size)), 0, 255).astype(np.uint8)[
            ..., None
        ]

    def _flow_colours(self, video: str, size: tuple[int, int]) -> np.ndarray:
        from stan.flow.cache import load_flow
        from stan.flow.visualize import flow_to_color

        flow = load_flow(self.flow_root / f"{video}.npz")
        if len(flow) != len(self.frames[video]):
            raise InputError(
                f"{self.flow_root / video}.npz: {len(flow)} flow fields for {len(self.frames[video])} frames; rerun the flow stage"
            )
        return np.stack([resize_rgb(flow_to_color(f), size) for f in flow])

    def label(self, video: str, frame: str, size: tuple[int, int]) -> np.ndarray:
        """float32 (H, W) in [0, 1] (area-resized binary mask: soft at the boundary)."""
        return self._remember(
            ("label", video, frame, size),
            lambda: resize_map(read_mask(self.labels[(video, frame)]).astype(np.float32), size),
        )


def read_label_table(path: str | Path) -> dict[tuple[str, str], str]:
    """Label-source table CSV (columns video, frame, label_path, source) -> {(video, frame): path}."""
    path = Path(path)
    if not path.is_file():
        raise InputError(
            f"{path}: label table not found; run the coarse stage or drop the label table input"
        )
    with reading(path, "label table"):
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in ("video", "frame", "label_path", "source") if c not in table.columns]
    if missing:
        raise InputError(f"{path}: label table lacks columns {missing}")
    labels = {(r.video, r.frame): r.label_path for r in table.itertuples() if r.label_path}
    absent = [label for label in labels.values() if not Path(label).is_file()]
    if absent:
        raise InputError(
            f"{path}: lists {len(absent)} label files that do not exist (e.g. {absent[0]}): the "
            "table is stale (a coarse-label job failed or its labels were removed after it was "
            f"written); delete it (`rm {path}`) and run snakemake again to rebuild the labels"
        )
    return labels


def window_positions(target: int, frames_used: int, frame_step: int) -> list[int]:
    """Positions of a window's frames ending at ``target``; before the video start, frame 0 repeats."""
    return [max(0, target - (frames_used - 1 - k) * frame_step) for k in range(frames_used)]


def flip_and_crop(
    array: np.ndarray, flip: bool, top: int, left: int, size: tuple[int, int], axis_h: int
) -> np.ndarray:
    """Crop ``size`` at (top, left) along axes (axis_h, axis_h + 1), then flip horizontally."""
    index = [slice(None)] * array.ndim
    index[axis_h] = slice(top, top + size[0])
    index[axis_h + 1] = slice(left, left + size[1])
    out = array[tuple(index)]
    if flip:
        out = np.flip(out, axis=axis_h + 1)
    return np.ascontiguousarray(out)


def scaled_size(size: tuple[int, int], scale: float) -> tuple[int, int]:
    return (int(round(size[0] * scale)), int(round(size[1] * scale)))


__all__ = [
    "FrameInputs",
    "read_label_table",
    "window_positions",
    "flip_and_crop",
    "scaled_size",
    "resize_map",
]
