"""Training-only input helpers: label tables, augmentation crops and flips.

The per-frame inputs themselves (:class:`FrameInputs`) live in :mod:`stan.inputs.frames`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from stan.io import InputError, reading


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


__all__ = ["read_label_table", "flip_and_crop", "scaled_size"]
