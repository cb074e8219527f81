"""Saliency maps precomputed elsewhere: one folder per source, ``<root>/<video>/<frame>.png``.

This is how the paper's own sources plug in: run DCL, RFCN or DSMT (or any image or video
saliency model) on the frames, store their 8-bit maps named like the ground truth, and list each
folder as a ``folder`` source in the ``coarse.sources`` config section.

It is also how a model trained by this pipeline becomes a source: the predict stage writes
``results/saliency/<dataset>/<method>/<video>/<frame>.png`` (e.g. the spatial-only variant at
``results/saliency/<dataset>/OS``), so ``{"method": "folder", "name": "OS", "path":
"results/saliency/{dataset}/OS"}`` reads those maps. ``{dataset}`` in the path is replaced by
the dataset being labelled. The maps must cover every frame to be labelled (and the frames
with ground truth when fusion weights are fitted); a missing map is an error, not a silent zero.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from stan.io import InputError, read_gray


class FolderSource:
    """Reads ``<root>/<video>/<frame>.png`` as float32 [0, 1] at the frame's size."""

    def __init__(self, name: str, root: str | Path, config_key: str):
        self.name = name
        self.root = Path(root)
        self.config_key = config_key

    def map_path(self, video: str, frame: str) -> Path:
        return self.root / video / f"{frame}.png"

    def __call__(self, image: np.ndarray, video: str, frame: str) -> np.ndarray:
        path = self.map_path(video, frame)
        if not path.is_file():
            raise InputError(
                f"{path}: saliency map of source {self.name!r} not found; the folder given by "
                f"config key {self.config_key} must hold <video>/<frame>.png for every frame "
                "(fix the path or compute the maps first)"
            )
        saliency = read_gray(path).astype(np.float32) / 255.0
        h, w = image.shape[:2]
        if saliency.shape != (h, w):
            saliency = cv2.resize(saliency, (w, h), interpolation=cv2.INTER_LINEAR)
        return saliency

    def __repr__(self) -> str:
        return f"FolderSource({self.name!r}, {str(self.root)!r})"
