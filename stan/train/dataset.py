"""Training windows: T frames ending at a labelled frame, with window-consistent augmentation."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from torch.utils.data import Dataset

from stan.inputs.features import FeatureCache
from stan.inputs.frames import FrameInputs, magnitude_input, window_positions
from stan.io import InputError
from stan.model.branches import LEVELS
from stan.model.config import ModelConfig
from stan.train.config import TrainConfig
from stan.train.inputs import flip_and_crop, read_label_table, scaled_size

log = logging.getLogger(__name__)


def sample_rng(seed: int, index: int) -> np.random.Generator:
    """Generator of the index-th training sample: sampling and augmentation depend only on
    (seed, index), so a resumed run or a run with DataLoader workers draws the same windows."""
    return np.random.default_rng([seed, index])


def training_targets(
    manifest: pd.DataFrame, labels: dict[tuple[str, str], str], target_every: int, source: str
) -> list[tuple[str, int]]:
    """(video, position) of each window target: labelled frames of the train split.

    Every ``target_every``-th labelled frame of each video is kept.
    """
    train = manifest[manifest["split"] == "train"]
    if train.empty:
        raise InputError(f"{source}: no frame has split 'train'; check data.test_split")
    targets = []
    for video, rows in train.groupby("video", sort=True):
        labelled = [i for i, f in enumerate(rows["frame"]) if (video, f) in labels]
        targets += [(video, i) for i in labelled[::target_every]]
    dropped = sum(1 for v, _ in labels if v not in set(train["video"]))
    if dropped:
        log.warning("%d labels belong to videos outside the train split and are not used", dropped)
    if not targets:
        raise InputError(
            f"{source}: no labelled train frame; check the gt column or the label table"
        )
    return targets


class WindowDataset(Dataset):
    """Item ``j`` is the j-th training window of the run: a target drawn with
    ``sample_rng(seed, j)`` and augmented with the same generator, so items depend only on
    (seed, j) (reproducible, resumable, independent of DataLoader workers).

    Item: {'label': (1, H, W) float, 'frames': (T, 3, H, W) float 0..255 (full mode),
    'motion': (T, M, H, W) float 0..1 (temporal variants), 'pool4'/'conv5':
    (T, 512, H/8, W/8) float16 (frozen mode)}, with T = model frames_used.
    """

    def __init__(
        self,
        manifest: pd.DataFrame,
        model_cfg: ModelConfig,
        train_cfg: TrainConfig,
        *,
        prior_root: str | Path | None = None,
        flow_root: str | Path | None = None,
        magnitude_root: str | Path | None = None,
        label_table: str | Path | None = None,
        cache: FeatureCache | None = None,
        source: str = "manifest",
    ):
        self.model_cfg = model_cfg
        self.cfg = train_cfg
        self.cache = cache
        if model_cfg.frozen_backbone and cache is None:
            raise InputError(
                "model.frozen_backbone is true: training needs the feature cache directory"
            )
        labels = read_label_table(label_table) if label_table else None
        temporal = model_cfg.temporal_input if model_cfg.spec.temporal else None
        self.inputs = FrameInputs(
            manifest,
            temporal_input=temporal,
            prior_root=prior_root,
            flow_root=flow_root,
            magnitude_root=magnitude_input(model_cfg, magnitude_root, source),
            labels=labels,
            memo=cache is not None,
            flow_size=tuple(train_cfg.input_size)
            if cache is not None
            else scaled_size(train_cfg.input_size, train_cfg.scale_range[1]),
        )
        self.targets = training_targets(
            manifest, self.inputs.labels, train_cfg.target_every, source
        )
        self.length = train_cfg.steps * train_cfg.batch_size

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        rng = sample_rng(self.cfg.seed, index)
        video, target = self.targets[rng.integers(len(self.targets))]
        names = self.inputs.frames[video]
        frames = [
            names[p]
            for p in window_positions(target, self.model_cfg.frames_used, self.cfg.frame_step)
        ]
        flip = bool(self.cfg.hflip and rng.random() < 0.5)
        if self.cache is not None:
            return self._cached_item(rng, video, frames, flip)
        return self._full_item(rng, video, frames, flip)

    def _full_item(self, rng, video, frames, flip) -> dict[str, torch.Tensor]:
        size = self.cfg.input_size
        lo, hi = self.cfg.scale_range
        big = scaled_size(size, float(rng.uniform(lo, hi)))
        top = int(rng.integers(big[0] - size[0] + 1))
        left = int(rng.integers(big[1] - size[1] + 1))

        def crop(a, axis_h):
            return flip_and_crop(a, flip, top, left, size, axis_h)

        item = {
            "frames": torch.from_numpy(
                crop(np.stack([self.inputs.rgb(video, f, big) for f in frames]), 1)
            )
            .permute(0, 3, 1, 2)
            .float(),
            "label": torch.from_numpy(crop(self.inputs.label(video, frames[-1], big), 0))[None],
        }
        if self.model_cfg.spec.temporal:
            motion = np.stack([self.inputs.motion(video, f, big) for f in frames])
            item["motion"] = torch.from_numpy(crop(motion, 1)).permute(0, 3, 1, 2).float() / 255.0
        return item

    def _cached_item(self, rng, video, frames, flip) -> dict[str, torch.Tensor]:
        size = tuple(self.cfg.input_size)
        crop_size = tuple(self.cfg.crop_size or size)
        top = 8 * int(rng.integers((size[0] - crop_size[0]) // 8 + 1))
        left = 8 * int(rng.integers((size[1] - crop_size[1]) // 8 + 1))
        feats = [self.cache.get(video, f) for f in frames]
        item = {
            "label": torch.from_numpy(
                flip_and_crop(
                    self.inputs.label(video, frames[-1], size), flip, top, left, crop_size, 0
                )
            )[None],
        }
        fsize = (crop_size[0] // 8, crop_size[1] // 8)
        for level in LEVELS:
            stack = np.stack([f[level] for f in feats])  # (T, 512, h, w)
            item[level] = torch.from_numpy(
                flip_and_crop(stack, flip, top // 8, left // 8, fsize, 2)
            )
        if self.model_cfg.spec.temporal:
            motion = np.stack([self.inputs.motion(video, f, size) for f in frames])
            item["motion"] = (
                torch.from_numpy(flip_and_crop(motion, flip, top, left, crop_size, 1))
                .permute(0, 3, 1, 2)
                .float()
                / 255.0
            )
        return item


class MixedWindows(Dataset):
    """Windows from several training sets at once (config key ``train.datasets``, the paper's
    DAVIS + FBMS + SegTrackV2 training set of section 4.1).

    Item ``j`` picks one part with probability proportional to its number of window targets
    (so every labelled frame of the union is equally likely, as in one merged dataset), drawn
    from its own stream ``[seed, j, 1]``, then returns that part's item ``j``: items still depend
    only on (seed, j), so resuming and DataLoader workers behave as with one dataset.
    """

    def __init__(self, parts: dict[str, WindowDataset], seed: int):
        if not parts:
            raise InputError("train.datasets: no training set given")
        self.names = list(parts)
        self.parts = list(parts.values())
        self.seed = seed
        self.targets = [(name, *t) for name, part in parts.items() for t in part.targets]
        counts = np.array([len(part.targets) for part in self.parts], dtype=float)
        self.weights = counts / counts.sum()
        self.length = self.parts[0].length

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        rng = np.random.default_rng([self.seed, index, 1])
        part = int(rng.choice(len(self.parts), p=self.weights))
        return self.parts[part][index]
