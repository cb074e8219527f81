"""A deterministic synthetic video set in the DAVIS-2016 layout, with exact masks.

Each video has a textured background seen through a moving camera (a smooth random affine path:
translation, slight rotation and zoom), 1-3 independently moving foreground objects (ellipses,
stars, rounded boxes, blobs; striped, checkered or noisy textures; sizes from small to large),
static distractors that are bright and saturated but move only with the camera (salient-looking,
not salient: they are background in the masks), a static occluder drawn in front of the objects
(partial occlusion), and, in some videos, an object that leaves the view. The masks hold exactly
the visible pixels of the moving objects. Everything follows from ``seed``.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import yaml

from stan.io import atomic_path


@dataclass(frozen=True)
class SyntheticConfig:
    n_train: int = 4  # training videos
    n_test: int = 2  # test videos (the official-style "val" split)
    n_frames: int = 24  # frames per video
    height: int = 180
    width: int = 320
    seed: int = 0


def video_names(cfg: SyntheticConfig) -> tuple[list[str], list[str]]:
    """Names of the (train, val) videos."""
    train = [f"synth-train-{i:02d}" for i in range(cfg.n_train)]
    val = [f"synth-val-{i:02d}" for i in range(cfg.n_test)]
    return train, val


def _smooth_noise(rng: np.random.Generator, h: int, w: int, scale: int, channels: int = 1):
    small = rng.random((max(2, h // scale), max(2, w // scale), channels)).astype(np.float32)
    out = cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)
    return out.reshape(h, w, channels)


def _background(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """A muted, textured canvas: low-frequency colour fields plus fine grain and some blobs."""
    base = 0.35 + 0.3 * _smooth_noise(rng, h, w, scale=rng.integers(40, 90), channels=3)
    base += 0.12 * (_smooth_noise(rng, h, w, scale=6, channels=3) - 0.5)
    for _ in range(rng.integers(20, 40)):  # dull clutter: rocks, leaves
        colour = 0.3 + 0.35 * rng.random(3)
        centre = (int(rng.integers(0, w)), int(rng.integers(0, h)))
        axes = (int(rng.integers(4, 30)), int(rng.integers(4, 30)))
        cv2.ellipse(base, centre, axes, float(rng.uniform(0, 180)), 0, 360, colour.tolist(), -1)
    return np.clip(base, 0, 1)


def _texture(rng: np.random.Generator, size: int) -> np.ndarray:
    """A saturated object texture of shape (size, size, 3) in [0, 1]."""
    c1, c2 = rng.random(3), rng.random(3)
    c1[rng.integers(3)] = 1.0  # keep objects colourful
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    kind = rng.integers(3)
    if kind == 0:  # stripes
        period = rng.uniform(4, 12)
        angle = rng.uniform(0, np.pi)
        t = (np.sin((xx * np.cos(angle) + yy * np.sin(angle)) * 2 * np.pi / period) > 0)[..., None]
    elif kind == 1:  # checker
        cell = int(rng.integers(3, 9))
        t = (((xx // cell) + (yy // cell)) % 2 == 0)[..., None]
    else:  # noise
        t = _smooth_noise(rng, size, size, scale=4)
    return np.clip(c1 * t + c2 * (1 - t), 0, 1).astype(np.float32)


def _shape_mask(rng: np.random.Generator, size: int) -> np.ndarray:
    """A binary object shape inside a (size, size) box."""
    mask = np.zeros((size, size), np.uint8)
    c, r = size // 2, size // 2 - 1
    kind = rng.integers(4)
    if kind == 0:
        cv2.ellipse(
            mask,
            (c, c),
            (r, int(r * rng.uniform(0.45, 0.9))),
            float(rng.uniform(0, 180)),
            0,
            360,
            1,
            -1,
        )
    elif kind == 1:  # star
        n = int(rng.integers(5, 8))
        ang = np.linspace(0, 2 * np.pi, 2 * n, endpoint=False) + rng.uniform(0, np.pi)
        rad = np.where(np.arange(2 * n) % 2 == 0, r, r * rng.uniform(0.4, 0.6))
        pts = np.stack([c + rad * np.cos(ang), c + rad * np.sin(ang)], 1).astype(np.int32)
        cv2.fillPoly(mask, [pts], 1)
    elif kind == 2:  # rounded box
        m = int(r * 0.35)
        cv2.rectangle(mask, (c - r + m, c - r // 2), (c + r - m, c + r // 2), 1, -1)
        cv2.rectangle(mask, (c - r, c - r // 2 + m), (c + r, c + r // 2 - m), 1, -1)
        for dx in (-r + m, r - m):
            for dy in (-r // 2 + m, r // 2 - m):
                cv2.circle(mask, (c + dx, c + dy), m, 1, -1)
    else:  # irregular blob
        ang = np.linspace(0, 2 * np.pi, 12, endpoint=False)
        rad = r * rng.uniform(0.55, 1.0, 12)
        pts = np.stack([c + rad * np.cos(ang), c + rad * np.sin(ang)], 1).astype(np.int32)
        cv2.fillPoly(mask, [cv2.convexHull(pts)], 1)
    return mask.astype(bool)


def _paste(frame, mask_out, sprite, shape, x, y, is_object):
    """Draw ``sprite`` where ``shape`` is set, centred at (x, y); update the object mask."""
    h, w = frame.shape[:2]
    s = shape.shape[0]
    x0, y0 = int(round(x)) - s // 2, int(round(y)) - s // 2
    fx0, fy0, fx1, fy1 = max(x0, 0), max(y0, 0), min(x0 + s, w), min(y0 + s, h)
    if fx0 >= fx1 or fy0 >= fy1:
        return
    sub = shape[fy0 - y0 : fy1 - y0, fx0 - x0 : fx1 - x0]
    frame[fy0:fy1, fx0:fx1][sub] = sprite[fy0 - y0 : fy1 - y0, fx0 - x0 : fx1 - x0][sub]
    mask_out[fy0:fy1, fx0:fx1][sub] = is_object


def render_video(cfg: SyntheticConfig, index: int):
    """Render one video; returns (frames uint8 (N, H, W, 3) RGB, masks bool (N, H, W))."""
    rng = np.random.default_rng([cfg.seed, index])
    h, w, n = cfg.height, cfg.width, cfg.n_frames
    margin = int(0.25 * max(h, w))
    canvas = _background(rng, h + 2 * margin, w + 2 * margin)

    # Static distractors live on the canvas (they move with the camera): bright, saturated shapes.
    for _ in range(rng.integers(1, 3)):
        size = int(rng.uniform(0.12, 0.22) * h)
        shape, sprite = _shape_mask(rng, size), _texture(rng, size)
        cx = margin + rng.uniform(0.1, 0.9) * w
        cy = margin + rng.uniform(0.1, 0.9) * h
        _paste(canvas, np.zeros(canvas.shape[:2], bool), sprite, shape, cx, cy, False)

    # Camera path: smooth translation, slight rotation and zoom of the canvas.
    t = np.linspace(0, 1, n)
    cam_dx = rng.uniform(-0.6, 0.6) * margin * t + 3 * np.sin(2 * np.pi * t * rng.uniform(0.5, 1.5))
    cam_dy = rng.uniform(-0.4, 0.4) * margin * t
    cam_rot = rng.uniform(-2.0, 2.0) * t  # degrees
    cam_zoom = 1 + rng.uniform(-0.04, 0.04) * t

    n_objects = int(rng.integers(1, 4))
    leaves = index % 3 == 2  # every third video has an object leaving the view
    objects = []
    for k in range(n_objects):
        small = k == 1 or rng.random() < 0.2
        size = int((rng.uniform(0.07, 0.12) if small else rng.uniform(0.25, 0.45)) * h)
        start = np.array([rng.uniform(0.2, 0.8) * w, rng.uniform(0.25, 0.75) * h])
        speed = rng.uniform(0.8, 2.5) * h / 100
        heading = rng.uniform(0, 2 * np.pi)
        velocity = speed * np.array([np.cos(heading), np.sin(heading)])
        if leaves and k == 0:  # head for the nearest side edge fast enough to exit
            velocity = np.array([np.sign(start[0] - w / 2) * (w / 2 + size) / (0.7 * n), 0.3])
        wobble = rng.uniform(0, 2 * np.pi, 2)
        objects.append((_shape_mask(rng, size), _texture(rng, size), start, velocity, wobble))

    # A static occluder (a post or branch in the scene) drawn in front of the objects.
    occ_x = margin + rng.uniform(0.3, 0.7) * w
    occ_w = int(rng.uniform(0.03, 0.06) * w)
    occ_colour = (0.2 + 0.3 * rng.random(3)).tolist()

    frames = np.empty((n, h, w, 3), np.uint8)
    masks = np.zeros((n, h, w), bool)
    for i in range(n):
        # The camera warp maps canvas coordinates to the frame.
        centre = (margin + w / 2 + cam_dx[i], margin + h / 2 + cam_dy[i])
        A = cv2.getRotationMatrix2D(centre, cam_rot[i], cam_zoom[i])
        A[:, 2] += np.array([w / 2, h / 2]) - np.array(centre)
        frame = cv2.warpAffine(
            canvas, A, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT
        )
        mask = np.zeros((h, w), bool)
        for shape, sprite, start, velocity, wobble in objects:
            pos = start + velocity * i + 4 * np.sin(0.3 * i + wobble)
            _paste(frame, mask, sprite, shape, pos[0], pos[1], True)
        # Occluder: a vertical bar at a fixed canvas position, mapped through the camera.
        ox = A[0, 0] * occ_x + A[0, 1] * (margin + h / 2) + A[0, 2]
        x0, x1 = int(ox - occ_w / 2), int(ox + occ_w / 2)
        if x1 > 0 and x0 < w:
            frame[: int(0.8 * h), max(x0, 0) : min(x1, w)] = occ_colour
            mask[: int(0.8 * h), max(x0, 0) : min(x1, w)] = False
        noise = rng.normal(0, 0.01, frame.shape).astype(np.float32)
        frames[i] = np.clip((frame + noise) * 255 + 0.5, 0, 255).astype(np.uint8)
        masks[i] = mask
    return frames, masks


def generate(cfg: SyntheticConfig, root: str | Path) -> None:
    """Write the whole synthetic set to ``root`` in the DAVIS-2016 layout, atomically.

    The set is built in a temporary sibling folder and renamed into place, so an interrupted run
    never leaves a partial dataset that looks complete.
    """
    root = Path(root)
    tmp = root.with_name(root.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    train, val = video_names(cfg)
    lines: dict[str, list[str]] = {"train": [], "val": []}
    sequences = []
    for index, name in enumerate(train + val):
        split = "train" if name in train else "val"
        frames, masks = render_video(cfg, index)
        img_dir = tmp / "JPEGImages" / "480p" / name
        gt_dir = tmp / "Annotations" / "480p" / name
        img_dir.mkdir(parents=True)
        gt_dir.mkdir(parents=True)
        for i, (frame, mask) in enumerate(zip(frames, masks, strict=True)):
            cv2.imwrite(
                str(img_dir / f"{i:05d}.jpg"), frame[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, 95]
            )
            cv2.imwrite(str(gt_dir / f"{i:05d}.png"), mask.astype(np.uint8) * 255)
            lines[split].append(
                f"/JPEGImages/480p/{name}/{i:05d}.jpg /Annotations/480p/{name}/{i:05d}.png"
            )
        sequences.append(
            {
                "name": name,
                "num_frames": cfg.n_frames,
                "set": "training" if split == "train" else "test",
            }
        )
    sets = tmp / "ImageSets" / "480p"
    sets.mkdir(parents=True)
    for split, split_lines in lines.items():
        (sets / f"{split}.txt").write_text("\n".join(split_lines) + "\n")
    info = {"sets": ["training", "test"], "sequences": sequences, "synthetic_config": cfg.__dict__}
    with atomic_path(tmp / "db_info.yml") as f:
        f.write_text(yaml.safe_dump(info, sort_keys=False))
    shutil.rmtree(root, ignore_errors=True)
    tmp.rename(root)
