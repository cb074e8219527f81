"""Frozen-backbone feature cache (CPU mode, ``model.frozen_backbone: true``).

With frozen trunks the VGG16 features of a frame never change, so they are computed once and
stored: one HDF5 file per video, ``<cache_dir>/<video>.h5``, holding only what the heads read:

* ``pool4`` and ``conv5``: float16 (N, 512, H/8, W/8) at the training ``input_size`` (H, W);
* attributes ``frames`` (JSON list of frame ids in manifest order), ``input_size``,
  ``orig_size`` (the frames' original (H, W)), ``norm`` and ``fingerprint`` (SHA-256 of the
  trunk weights; training and prediction refuse a cache made by another backbone).

At 240x432 a frame takes 30*54*1024*2 bytes = 3.3 MB (DAVIS-2016 train, 2079 frames: 6.9 GB).
Files are written through a temporary name, so a file that exists is complete.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tqdm import tqdm

from stan.data.manifest import load_manifest
from stan.inputs.frames import resize_rgb
from stan.io import InputError, atomic_path, read_image, reading
from stan.model.vgg import LEVELS, VGG16Trunk, normalize_input, resolve_norm
from stan.model.weights import init_trunk, load_vgg16_state
from stan.runtime import resolve_device

log = logging.getLogger(__name__)


def trunk_fingerprint(trunk: torch.nn.Module) -> str:
    """SHA-256 (first 16 hex digits) of a trunk's weights."""
    digest = hashlib.sha256()
    for key, value in sorted(trunk.state_dict().items()):
        digest.update(key.encode())
        digest.update(value.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()[:16]


@dataclass(frozen=True)
class TrunkSettings:
    """The keys of the ``model`` section that decide the cached features (the rest of the
    section, the heads, does not: this module imports no head code, so editing the heads reruns
    no feature cache). Defaults are :class:`stan.model.config.ModelConfig`'s."""

    backbone_init: str = "hed"
    backbone_weights: str | None = None
    input_norm: str | None = None

    @classmethod
    def from_model(cls, values: Mapping[str, Any] | Any) -> TrunkSettings:
        """From a ``model`` section (a dict, or a ModelConfig); other keys are not read."""
        if not isinstance(values, Mapping):
            values = vars(values)
        return cls(**{f.name: values[f.name] for f in fields(cls) if f.name in values})

    @property
    def norm(self) -> str:
        return resolve_norm(self.backbone_init, self.input_norm)


def build_trunk(settings: TrunkSettings) -> VGG16Trunk:
    """The frozen RGB trunk with its pretrained weights, in eval mode."""
    trunk = VGG16Trunk(in_channels=3)
    state = load_vgg16_state(settings.backbone_init, settings.backbone_weights)
    init_trunk(trunk, state, extra_std=0.0)
    return trunk.eval().requires_grad_(False)


def trunk_features(
    trunk: torch.nn.Module, rgb: torch.Tensor, norm: str, *, bfloat16: bool = False
) -> dict[str, torch.Tensor]:
    """Frozen-trunk features of frames (N, 3, H, W), RGB 0..255 on the trunk's device.

    ``bfloat16``: autocast with channels-last input (``stan predict --precision bfloat16``); give
    it a trunk moved to ``torch.channels_last`` too. Faster only where the hardware has bfloat16
    arithmetic (``bench/bench_trunk_precision.py``); the float32 path is the feature cache's.
    """
    x = normalize_input(rgb, None, norm)
    if bfloat16:
        x = x.contiguous(memory_format=torch.channels_last)
    with torch.no_grad(), torch.autocast(x.device.type, dtype=torch.bfloat16, enabled=bfloat16):
        return trunk(x)


def image_batch_features(
    trunk: torch.nn.Module,
    images: np.ndarray,
    norm: str,
    device: torch.device,
    *,
    bfloat16: bool = False,
) -> dict[str, np.ndarray]:
    """Features of uint8 RGB images (N, H, W, 3) in the cache's format: {level: (N, 512, H/8,
    W/8) float16 arrays} (the feature cache, ``stan predict`` and the appearance pre-training)."""
    rgb = torch.from_numpy(np.ascontiguousarray(images)).permute(0, 3, 1, 2).float().to(device)
    feats = trunk_features(trunk, rgb, norm, bfloat16=bfloat16)
    return {level: feats[level].float().half().cpu().numpy() for level in LEVELS}


def cache_video_features(
    manifest,
    video: str,
    out_h5: str | Path,
    model_cfg: Mapping[str, Any] | Any,
    input_size: tuple[int, int],
    *,
    batch_size: int = 4,
    device: str = "auto",
    trunk: VGG16Trunk | None = None,
) -> None:
    """Compute and write the cached features of one video (all of its manifest frames).

    ``model_cfg``: the ``model`` section or a ModelConfig; only :class:`TrunkSettings` are read.
    """
    import h5py

    settings = TrunkSettings.from_model(model_cfg)
    if isinstance(manifest, (str, Path)):
        manifest = load_manifest(manifest)
    rows = manifest[manifest["video"] == video]
    if rows.empty:
        raise InputError(f"video {video!r} is not in the manifest")
    h, w = input_size
    if h % 8 or w % 8:
        raise InputError(f"train.input_size={list(input_size)}: both must be multiples of 8")
    dev = resolve_device(device, "train.device")
    trunk = (trunk or build_trunk(settings)).to(dev)
    paths = list(rows["image"])
    orig = read_image(paths[0]).shape[:2]
    with atomic_path(out_h5) as tmp, h5py.File(tmp, "w") as h5:
        data = {
            level: h5.create_dataset(
                level,
                shape=(len(paths), 512, h // 8, w // 8),
                dtype="float16",
                chunks=(1, 512, h // 8, w // 8),
            )
            for level in LEVELS
        }
        h5.attrs["frames"] = json.dumps(list(rows["frame"]))
        h5.attrs["input_size"] = [h, w]
        h5.attrs["orig_size"] = list(orig)
        h5.attrs["norm"] = settings.norm
        h5.attrs["fingerprint"] = trunk_fingerprint(trunk)
        for start in range(0, len(paths), batch_size):
            batch = np.stack(
                [resize_rgb(read_image(p), (h, w)) for p in paths[start : start + batch_size]]
            )
            feats = image_batch_features(trunk, batch, settings.norm, dev)
            for level in LEVELS:
                data[level][start : start + len(batch)] = feats[level]


def cache_features(
    manifest_csv: str | Path,
    cache_dir: str | Path,
    model_cfg: Mapping[str, Any] | Any,
    input_size: tuple[int, int] | list[int],
    *,
    videos: list[str] | None = None,
    batch_size: int = 4,
    device: str = "auto",
    threads: int = 2,
) -> list[Path]:
    """Stage function: cache the frozen trunk features of every video (or ``videos``).

    Writes ``<cache_dir>/<video>.h5``; a file already present with the same fingerprint and
    input size is kept. ``input_size`` must equal ``train.input_size``.
    """
    torch.set_num_threads(threads)
    manifest = load_manifest(manifest_csv)
    names = videos if videos is not None else sorted(manifest["video"].unique())
    trunk = build_trunk(TrunkSettings.from_model(model_cfg))
    fingerprint = trunk_fingerprint(trunk)
    written = []
    for video in tqdm(names, desc="feature cache", unit="video"):
        out = Path(cache_dir) / f"{video}.h5"
        if out.is_file():
            try:
                meta = read_cache_meta(out)
                if meta["fingerprint"] == fingerprint and list(meta["input_size"]) == list(
                    input_size
                ):
                    written.append(out)
                    continue
            except (OSError, KeyError):
                pass
        log.info("caching features of %s at %s", video, list(input_size))
        cache_video_features(
            manifest,
            video,
            out,
            model_cfg,
            tuple(input_size),
            batch_size=batch_size,
            device=device,
            trunk=trunk,
        )
        written.append(out)
    return written


def read_cache_meta(path: str | Path) -> dict:
    """Attributes of a cache file: frames, input_size, orig_size, norm, fingerprint."""
    import h5py

    with reading(path, "feature cache"), h5py.File(path, "r") as h5:
        return {
            "frames": json.loads(h5.attrs["frames"]),
            "input_size": [int(v) for v in h5.attrs["input_size"]],
            "orig_size": [int(v) for v in h5.attrs["orig_size"]],
            "norm": str(h5.attrs["norm"]),
            "fingerprint": str(h5.attrs["fingerprint"]),
        }


class FeatureCache:
    """Read access to a cache directory; checks each file against the model's trunk."""

    def __init__(self, cache_dir: str | Path, *, fingerprint: str, input_size: tuple[int, int]):
        self.dir = Path(cache_dir)
        self.fingerprint = fingerprint
        self.input_size = list(input_size)
        self._files: dict = {}
        self._index: dict[str, dict[str, int]] = {}

    def _open(self, video: str):
        if video not in self._files:
            import h5py

            path = self.dir / f"{video}.h5"
            if not path.is_file():
                raise InputError(
                    f"{path}: feature cache missing; run cache_features (the feature-cache rule) first"
                )
            meta = read_cache_meta(path)
            if meta["fingerprint"] != self.fingerprint or meta["input_size"] != self.input_size:
                raise InputError(
                    f"{path}: cached with another backbone or input size ({meta['input_size']}, "
                    f"{meta['fingerprint']}) than model.backbone_weights / train.input_size "
                    f"({self.input_size}, {self.fingerprint}); delete the cache and rebuild it"
                )
            with reading(path, "feature cache"):
                self._files[video] = h5py.File(path, "r")
            self._index[video] = {f: i for i, f in enumerate(meta["frames"])}
        return self._files[video]

    def orig_size(self, video: str) -> tuple[int, int]:
        return tuple(int(v) for v in self._open(video).attrs["orig_size"])

    def get(self, video: str, frame: str) -> dict[str, np.ndarray]:
        """{level: float16 (512, H/8, W/8)} of one frame."""
        h5 = self._open(video)
        index = self._index[video].get(frame)
        if index is None:
            raise InputError(
                f"{self.dir / video}.h5: frame {frame} not cached; rebuild the feature cache"
            )
        with reading(self.dir / f"{video}.h5", "feature cache"):
            return {level: h5[level][index] for level in LEVELS}

    def close(self) -> None:
        for f in self._files.values():
            f.close()
        self._files.clear()

    def __getstate__(self):  # DataLoader workers reopen the files themselves
        state = self.__dict__.copy()
        state["_files"] = {}
        return state
