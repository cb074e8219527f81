"""Manual revision of coarse labels: erase files (paper section 3.3, last step).

The paper's authors erased background noise from the Otsu labels by hand. Here a person does it
by writing one small YAML file per video, ``<erase_dir>/<dataset>/<video>.yaml``, after looking at
the video's contact sheet; the labelling job of that video reruns when the file changes.

Format (every key but ``regions`` is optional; see ``workflow/erase/example.yaml``)::

    video: bear            # if given, must be the video the file is used for (catches copy/paste)
    regions:
      - frames: 10-25      # which frames: all | an id (12 or 00012) | a range a-b (inclusive)
        box: [40, 300, 200, 479]       # x0, y0, x1, y1: pixel corners, both included
      - frames: [3, 7, 30-34]          # a list mixes ids and ranges
        polygon: [[500, 0], [853, 0], [853, 120], [600, 90]]   # [x, y] vertices, >= 3
      - frames: all
        box: [200, 50, 700, 479]
        action: keep       # erase (default): clear the shape; keep: clear everything outside it

Coordinates are pixels of the full-size frame (x to the right, y down, from 0). Frame ids are
compared as integers when both are digit strings (``12`` matches frame ``00012``), otherwise as
exact strings. Frame specs are read from the raw YAML text, so ``00012`` is not taken for an
octal number. On one frame, the ``keep`` shapes that apply are united and everything outside
them is cleared; then every ``erase`` shape that applies is cleared.

A malformed file raises :class:`stan.io.InputError` naming the file and the line.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import cv2
import numpy as np
import yaml

from stan.io import InputError, read_image

log = logging.getLogger(__name__)

_RANGE = re.compile(r"^(\d+)\s*-\s*(\d+)$")
ACTIONS = ("erase", "keep")
FORMAT_HINT = "see the format in workflow/erase/example.yaml"


@dataclass(frozen=True)
class FrameSelector:
    """Which frames a region applies to: ``all``, or ids and inclusive integer ranges."""

    everything: bool
    ids: tuple[str, ...]
    ranges: tuple[tuple[int, int], ...]

    def matches(self, frame: str) -> bool:
        if self.everything:
            return True
        if frame in self.ids:
            return True
        if frame.isdigit():
            number = int(frame)
            if any(i.isdigit() and int(i) == number for i in self.ids):
                return True
            return any(lo <= number <= hi for lo, hi in self.ranges)
        return False

    def matches_any(self, frames: list[str]) -> bool:
        return any(self.matches(f) for f in frames)


@dataclass(frozen=True)
class EraseRegion:
    """One shape to clear (``erase``) or to keep (``keep``) on the selected frames."""

    frames: FrameSelector
    kind: str  # "box" or "polygon"
    points: tuple[tuple[float, float], ...]  # box: two corners; polygon: vertices
    action: str
    line: int  # 1-based line of the region in the erase file

    def mask(self, shape: tuple[int, int]) -> np.ndarray:
        """Boolean (H, W) mask of the pixels inside the shape (clipped to the frame)."""
        h, w = shape
        inside = np.zeros((h, w), dtype=np.uint8)
        if self.kind == "box":
            (x0, y0), (x1, y1) = self.points
            c0, r0 = max(0, int(np.floor(x0))), max(0, int(np.floor(y0)))
            c1, r1 = min(w - 1, int(np.ceil(x1))), min(h - 1, int(np.ceil(y1)))
            if c0 <= c1 and r0 <= r1:
                inside[r0 : r1 + 1, c0 : c1 + 1] = 1
        else:
            vertices = np.round(np.asarray(self.points)).astype(np.int32)
            cv2.fillPoly(inside, [vertices], 1)
        return inside.astype(bool)


@dataclass(frozen=True)
class EraseFile:
    """A parsed erase file."""

    path: str
    video: str | None
    regions: tuple[EraseRegion, ...]

    def apply(self, label: np.ndarray, frame: str) -> np.ndarray:
        """The label of ``frame`` with this file's regions applied (a new array)."""
        return apply_regions(label, self.regions, frame)

    def unmatched(self, frames: list[str]) -> list[EraseRegion]:
        """Regions that select none of ``frames`` (likely a typo in the frame spec)."""
        return [r for r in self.regions if not r.frames.matches_any(frames)]


def apply_regions(label: np.ndarray, regions, frame: str) -> np.ndarray:
    """Clear outside the united ``keep`` shapes, then inside every ``erase`` shape of ``frame``."""
    label = np.asarray(label, dtype=bool).copy()
    active = [r for r in regions if r.frames.matches(frame)]
    keeps = [r for r in active if r.action == "keep"]
    if keeps:
        keep = np.zeros(label.shape, dtype=bool)
        for region in keeps:
            keep |= region.mask(label.shape)
        label &= keep
    for region in active:
        if region.action == "erase":
            label &= ~region.mask(label.shape)
    return label


class _Parser:
    """Walks the YAML node tree so that every error can name its line."""

    def __init__(self, path: Path):
        self.path = path

    def fail(self, node, message: str) -> NoReturn:
        line = node.start_mark.line + 1 if node is not None else 1
        raise InputError(f"{self.path}:{line}: {message}; {FORMAT_HINT}")

    def mapping(self, node, what: str) -> dict[str, tuple[yaml.Node, yaml.Node]]:
        if not isinstance(node, yaml.MappingNode):
            self.fail(node, f"{what} must be a mapping (key: value lines)")
        items = {}
        for key, value in node.value:
            if not isinstance(key, yaml.ScalarNode):
                self.fail(key, f"{what} has a non-text key")
            if key.value in items:
                self.fail(key, f"{what} repeats the key {key.value!r}")
            items[key.value] = (key, value)
        return items

    def number(self, node, what: str) -> float:
        if not isinstance(node, yaml.ScalarNode):
            self.fail(node, f"{what} must be a number")
        try:
            value = float(node.value)
        except ValueError:
            self.fail(node, f"{what} must be a number, got {node.value!r}")
        if not np.isfinite(value):
            self.fail(node, f"{what} must be finite, got {node.value!r}")
        return value

    def point(self, node, what: str) -> tuple[float, float]:
        if not isinstance(node, yaml.SequenceNode) or len(node.value) != 2:
            self.fail(node, f"{what} must be a pair [x, y]")
        return self.number(node.value[0], f"{what} x"), self.number(node.value[1], f"{what} y")

    def frame_token(self, node, ids: list, ranges: list) -> None:
        if not isinstance(node, yaml.ScalarNode) or not node.value.strip():
            self.fail(node, "each frame must be an id like 12 or 00012, or a range like 10-25")
        text = node.value.strip()
        found = _RANGE.match(text)
        if found:
            lo, hi = int(found.group(1)), int(found.group(2))
            if lo > hi:
                self.fail(node, f"frame range {text!r} runs backwards; write it as {hi}-{lo}")
            ranges.append((lo, hi))
        elif text.lower() == "all":
            self.fail(node, "'all' cannot be part of a list; write frames: all")
        else:
            ids.append(text)

    def frames(self, node) -> FrameSelector:
        ids: list[str] = []
        ranges: list[tuple[int, int]] = []
        if isinstance(node, yaml.ScalarNode) and node.value.strip().lower() == "all":
            return FrameSelector(True, (), ())
        if isinstance(node, yaml.SequenceNode):
            if not node.value:
                self.fail(node, "frames is an empty list")
            for item in node.value:
                self.frame_token(item, ids, ranges)
        else:
            self.frame_token(node, ids, ranges)
        return FrameSelector(False, tuple(ids), tuple(ranges))

    def region(self, node) -> EraseRegion:
        items = self.mapping(node, "a region")
        unknown = sorted(set(items) - {"frames", "box", "polygon", "action"})
        if unknown:
            self.fail(
                items[unknown[0]][0],
                f"unknown key {unknown[0]!r} (allowed: frames, box, polygon, action)",
            )
        if "frames" not in items:
            self.fail(node, "region lacks 'frames' (which frames it applies to, or 'all')")
        shapes = [k for k in ("box", "polygon") if k in items]
        if len(shapes) != 1:
            self.fail(node, "region needs exactly one of 'box' or 'polygon'")
        kind = shapes[0]
        shape = items[kind][1]
        if kind == "box":
            if not isinstance(shape, yaml.SequenceNode) or len(shape.value) != 4:
                self.fail(shape, "box must be [x0, y0, x1, y1]")
            x0, y0, x1, y1 = (self.number(v, "box coordinate") for v in shape.value)
            if x1 < x0 or y1 < y0:
                self.fail(
                    shape, f"box [{x0:g}, {y0:g}, {x1:g}, {y1:g}] needs x0 <= x1 and y0 <= y1"
                )
            points = ((x0, y0), (x1, y1))
        else:
            if not isinstance(shape, yaml.SequenceNode) or len(shape.value) < 3:
                self.fail(shape, "polygon must be a list of at least 3 [x, y] vertices")
            points = tuple(self.point(v, "polygon vertex") for v in shape.value)
        action = "erase"
        if "action" in items:
            action_node = items["action"][1]
            action = action_node.value if isinstance(action_node, yaml.ScalarNode) else None
            if action not in ACTIONS:
                self.fail(action_node, f"action must be one of {list(ACTIONS)}")
        frames = self.frames(items["frames"][1])
        return EraseRegion(frames, kind, points, action, node.start_mark.line + 1)

    def document(self, node) -> EraseFile:
        if node is None:  # an empty file: nothing to erase
            return EraseFile(str(self.path), None, ())
        items = self.mapping(node, "the erase file")
        unknown = sorted(set(items) - {"video", "regions"})
        if unknown:
            self.fail(items[unknown[0]][0], f"unknown key {unknown[0]!r} (allowed: video, regions)")
        video = None
        if "video" in items:
            video_node = items["video"][1]
            if not isinstance(video_node, yaml.ScalarNode):
                self.fail(video_node, "video must be a video name")
            video = video_node.value
        regions: tuple[EraseRegion, ...] = ()
        if "regions" in items:
            seq = items["regions"][1]
            if isinstance(seq, yaml.ScalarNode) and seq.tag.endswith(":null"):
                seq = yaml.SequenceNode("tag:yaml.org,2002:seq", [], seq.start_mark, seq.end_mark)
            if not isinstance(seq, yaml.SequenceNode):
                self.fail(seq, "regions must be a list of '- frames: ...' entries")
            regions = tuple(self.region(r) for r in seq.value)
        return EraseFile(str(self.path), video, regions)


def load_erase_file(path: str | Path, video: str | None = None) -> EraseFile:
    """Parse and validate an erase file; ``video`` (if given) must match its ``video:`` key."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: erase file not found")
    text = path.read_text()
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line = mark.line + 1 if mark is not None else 1
        raise InputError(f"{path}:{line}: not valid YAML ({err.problem}); {FORMAT_HINT}") from err
    parsed = _Parser(path).document(node)
    if video is not None and parsed.video is not None and parsed.video != video:
        line = next((k.start_mark.line + 1 for k, _ in node.value if k.value == "video"), 1)
        raise InputError(
            f"{path}:{line}: the file says video {parsed.video!r} but is used for video "
            f"{video!r}; rename the file or fix its 'video:' line"
        )
    return parsed


def check_regions(erase: EraseFile, frames: list[str], size: tuple[int, int]) -> None:
    """Every region of ``erase`` must lie inside its video: ``frames`` (the video's frame ids in
    order) and ``size`` (height, width). A frame id or range end past the video, or a shape
    wholly outside the frame, is an error naming the file and line (a shape partly outside is
    clipped, so a box may reach the frame's edge)."""
    numbers = [int(f) for f in frames if f.isdigit()]
    last = max(numbers) if numbers else None
    span = f"frames {frames[0]}-{frames[-1]}" if frames else "no frames"
    h, w = size
    for region in erase.regions:
        where = f"{erase.path}:{region.line}"
        selector = region.frames
        if not selector.everything:
            absent = [
                i for i in selector.ids if not FrameSelector(False, (i,), ()).matches_any(frames)
            ]
            beyond = [f"{lo}-{hi}" for lo, hi in selector.ranges if last is None or hi > last]
            if absent or beyond:
                raise InputError(
                    f"{where}: frames {absent + beyond} are not in the video ({span}); fix the "
                    f"region's frames; {FORMAT_HINT}"
                )
        if not region.mask((h, w)).any():
            raise InputError(
                f"{where}: the {region.kind} {list(region.points)} lies outside the {w}x{h} "
                f"frame (pixel coordinates of the full-size frame, x0 y0 x1 y1 from 0); "
                f"fix it; {FORMAT_HINT}"
            )


def check_erase_file(
    path: str | Path, video: str, frames: list[str], image: str | Path
) -> EraseFile:
    """Load the erase file of ``video`` and check its regions against the video's ``frames``
    and the size of its frame ``image``; the coarse-label job and the workflow (before any job
    runs) both call it."""
    erase = load_erase_file(path, video)
    check_regions(erase, frames, read_image(image).shape[:2])
    return erase
