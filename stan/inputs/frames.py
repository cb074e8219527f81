"""Per-frame inputs of the network: RGB frame, motion input (prior or flow image), label.

Paths follow the project contracts: the frame is the manifest's ``image``; the motion prior is
``<prior_root>/<video>/<frame>.png`` (8-bit), and with ``model.magnitude_channel`` the
flow-magnitude map ``<magnitude_root>/<video>/<frame>.png`` (8-bit) is its second channel; the flow of a video is
``<flow_root>/<video>.npz`` (:func:`stan.flow.cache.load_flow`), shown to the network as its
Middlebury colour image (:func:`stan.flow.visualize.flow_to_color`); labels are the manifest's
``gt`` or the ``label_path`` of a label-source table. All are resized to a requested size.
Shared by training and prediction.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pandas as pd

from stan.io import InputError, read_gray, read_image, read_mask


def resize_rgb(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Resize an (h, w, C) image to size (H, W): area averaging when shrinking, else bilinear."""
    h, w = size
    shrink = image.shape[0] > h or image.shape[1] > w
    return cv2.resize(image, (w, h), interpolation=cv2.INTER_AREA if shrink else cv2.INTER_LINEAR)


def resize_map(values: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Resize a float (h, w) map to (H, W): area when shrinking, bilinear when enlarging."""
    return resize_rgb(values.astype(np.float32), size)


class FrameInputs:
    """Loads the inputs of frames of a manifest at a given size (optionally memoised).

    ``temporal_input``: 'prior', 'flow' or None (spatial-only variant). ``magnitude_root``
    (temporal_input 'prior' only): the flow-magnitude maps that make the motion input's second
    channel (``model.magnitude_channel``); None: the prior alone. ``memo`` keeps the
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
        magnitude_root: str | Path | None = None,
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
        if magnitude_root is not None and temporal_input != "prior":
            raise ValueError("a flow-magnitude channel goes with temporal_input 'prior' only")
        self.prior_root = None if prior_root is None else Path(prior_root)
        self.magnitude_root = None if magnitude_root is None else Path(magnitude_root)
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
        """uint8 (H, W, M): the prior (M = 1), the prior and the flow magnitude (M = 2, with a
        ``magnitude_root``) or the flow colour image (M = 3)."""
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
        if self.magnitude_root is None:
            return prior_input(read_gray(path), size)
        magnitude = self.magnitude_root / video / f"{frame}.png"
        if not magnitude.is_file():
            raise InputError(
                f"{magnitude}: flow-magnitude map missing (model.magnitude_channel is true); run "
                "rule flow_magnitude for this video"
            )
        return prior_input(read_gray(path), size, read_gray(magnitude))

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


def prior_input(
    prior: np.ndarray, size: tuple[int, int], magnitude: np.ndarray | None = None
) -> np.ndarray:
    """The network's motion input from an 8-bit (h, w) prior: uint8 (H, W, 1) at ``size``; with
    an 8-bit flow-magnitude map (model.magnitude_channel) it is the second channel, (H, W, 2)."""
    maps = [prior] if magnitude is None else [prior, magnitude]
    resized = [resize_map(np.asarray(m), size) for m in maps]
    return np.clip(np.rint(np.stack(resized, axis=-1)), 0, 255).astype(np.uint8)


def magnitude_input(model_cfg, magnitude_root: str | Path | None, source: str) -> str | Path | None:
    """The flow-magnitude folder the motion input reads (``model.magnitude_channel``), else None."""
    if not (model_cfg.spec.temporal and model_cfg.magnitude_channel):
        return None
    if not magnitude_root:
        raise InputError(
            f"{source}: the model reads flow-magnitude maps (model.magnitude_channel: true) but "
            "none were given: set model.magnitude_channel: true in the config so that the "
            "workflow makes them (rule flow_magnitude, results/saliency/<dataset>/flow-magnitude)"
        )
    return magnitude_root


def window_positions(target: int, frames_used: int, frame_step: int) -> list[int]:
    """Positions of a window's frames ending at ``target``; before the video start, frame 0 repeats."""
    return [max(0, target - (frames_used - 1 - k) * frame_step) for k in range(frames_used)]


__all__ = [
    "FrameInputs",
    "magnitude_input",
    "prior_input",
    "resize_map",
    "resize_rgb",
    "window_positions",
]
