"""Review aid: a contact sheet per video, to decide what to erase by hand.

Each tile shows one coarse-labelled frame as three panels side by side: the frame, the fused
saliency map, and the binary label (white = salient; red = pixels the erase file cleared). The
frame id is drawn on every panel, so a reviewer can write the erase file's ``frames:`` entries
straight from the sheet. A header names the video, the sources with their fusion weights and
the threshold.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

BACKGROUND = (32, 32, 32)
ERASED = (220, 40, 40)


@dataclass(frozen=True)
class Tile:
    """What one tile shows: the frame, its fused map and its label before and after erasing."""

    frame_id: str
    image: np.ndarray  # RGB uint8 (H, W, 3)
    fused: np.ndarray  # float (H, W) in [0, 1]
    label: np.ndarray  # bool (H, W), after Otsu, before erasing
    final: np.ndarray  # bool (H, W), after erasing


def pick_evenly(items: list, count: int) -> list:
    """At most ``count`` items spread evenly over ``items``, first and last included."""
    if count <= 0 or len(items) <= count:
        return list(items) if count > 0 else []
    index = np.unique(np.round(np.linspace(0, len(items) - 1, count)).astype(int))
    return [items[i] for i in index]


def _put_text(panel: np.ndarray, text: str, origin: tuple[int, int], scale: float) -> None:
    """White text on a dark box, readable on any background; ``origin`` is the baseline start."""
    font = cv2.FONT_HERSHEY_SIMPLEX
    (w, h), base = cv2.getTextSize(text, font, scale, 1)
    x, y = origin
    cv2.rectangle(panel, (x - 2, y - h - 2), (x + w + 2, y + base), BACKGROUND, -1)
    cv2.putText(panel, text, origin, font, scale, (255, 255, 255), 1, cv2.LINE_AA)


def _panels(tile: Tile, width: int) -> np.ndarray:
    h, w = tile.image.shape[:2]
    height = max(1, round(h * width / w))
    size = (width, height)
    frame = cv2.resize(tile.image, size, interpolation=cv2.INTER_AREA)
    grey = np.clip(np.rint(tile.fused * 255), 0, 255).astype(np.uint8)
    fused = cv2.resize(np.repeat(grey[..., None], 3, axis=2), size, interpolation=cv2.INTER_AREA)
    label = np.zeros((h, w, 3), dtype=np.uint8)
    label[tile.final] = 255
    label[tile.label & ~tile.final] = ERASED
    label = cv2.resize(label, size, interpolation=cv2.INTER_NEAREST)
    scale = max(0.35, width / 500)
    for panel, caption in ((frame, "frame"), (fused, "fused"), (label, "label")):
        _put_text(panel, f"{tile.frame_id} {caption}", (4, int(16 * scale / 0.48)), scale)
    gap = np.full((height, 2, 3), BACKGROUND, dtype=np.uint8)
    return np.concatenate([frame, gap, fused, gap, label], axis=1)


def contact_sheet(tiles: list[Tile], header: str, width: int = 240, per_row: int = 2) -> np.ndarray:
    """An RGB uint8 image: the header (one line per text line), then the tiles in rows of ``per_row``."""
    blocks = [_panels(t, width) for t in tiles]
    tile_w = 3 * width + 4
    rows = []
    for start in range(0, len(blocks), per_row):
        row = blocks[start : start + per_row]
        height = max(b.shape[0] for b in row)
        padded = []
        for block in row + [None] * (per_row - len(row)):
            canvas = np.full((height, tile_w, 3), BACKGROUND, dtype=np.uint8)
            if block is not None:
                canvas[: block.shape[0]] = block
            padded.append(canvas)
            padded.append(np.full((height, 8, 3), BACKGROUND, dtype=np.uint8))
        rows.append(np.concatenate(padded[:-1], axis=1))
        rows.append(np.full((8, rows[-1].shape[1], 3), BACKGROUND, dtype=np.uint8))
    sheet_w = per_row * tile_w + (per_row - 1) * 8
    lines = header.splitlines() or [""]
    head = np.full((22 * len(lines) + 6, sheet_w, 3), BACKGROUND, dtype=np.uint8)
    for i, line in enumerate(lines):
        _put_text(head, line, (6, 19 + 22 * i), 0.5)
    return np.concatenate([head, *rows], axis=0)
