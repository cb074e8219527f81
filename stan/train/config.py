"""Training configuration (config.yaml section ``train``).

The defaults are the paper's settings (section 4.2): 512x512 input, Adam with lr 1e-3, full
fine-tuning (``model.frozen_backbone: false``), on a GPU when one is present. A CPU setting is
the same code with other values, e.g. a smaller ``input_size``, ``model.frozen_backbone: true``
with a feature cache (see :mod:`stan.inputs.features`), fewer steps and a cosine decay.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from stan.io import InputError
from stan.sections import section_values


@dataclass(frozen=True)
class TrainConfig:
    # Network input (height, width), multiples of 8. Frames, priors and labels are resized to it.
    input_size: tuple[int, int] = (512, 512)
    # Windows per optimisation step.
    batch_size: int = 4
    # Number of optimisation steps.
    steps: int = 20000
    # Adam learning rate (paper: 1e-3), weight decay, and schedule: 'constant' or 'cosine'.
    lr: float = 1e-3
    weight_decay: float = 0.0
    lr_schedule: str = "constant"
    # Learning rate of trainable backbone layers (model.train_conv5's block, or the whole trunks
    # without model.frozen_backbone) relative to lr. The paper: one rate for all (1.0).
    backbone_lr_scale: float = 1.0
    # The one place where seeds are set (python, numpy, torch, sampling, augmentation).
    seed: int = 0
    # Augmentation, identical for every frame of a window (and its priors and label):
    # horizontal flip with probability 0.5 when hflip is true; in full mode a random scale in
    # scale_range followed by a random crop back to input_size. In frozen (cached) mode, a random
    # crop of crop_size aligned to the 8-pixel feature grid (null: no crop) and the flip is applied
    # to the cached feature maps too - an approximation (VGG features are not flip-equivariant).
    hflip: bool = True
    scale_range: tuple[float, float] = (1.0, 1.25)
    crop_size: tuple[int, int] | None = None
    # Frames between consecutive window frames (1 = consecutive frames).
    frame_step: int = 1
    # Use every k-th labelled frame of a video as a window target (1 = all of them).
    target_every: int = 1
    # 'auto' (CUDA when present, else CPU), 'cpu' or 'cuda'; CPU threads; DataLoader workers.
    device: str = "auto"
    threads: int = 2
    workers: int = 0
    # bfloat16 autocast on CUDA (ignored on CPU).
    amp: bool = False
    # Save a resumable checkpoint every this many steps (next to the output, '.last.pt').
    checkpoint_every: int = 500
    # Continue from that '.last.pt' file when it exists and matches the configuration.
    resume: bool = True
    # Extra fields (ignored by the code) for notes, kept in the checkpoint.
    notes: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        h, w = self.input_size
        if h % 8 or w % 8:
            raise InputError(
                f"train.input_size={list(self.input_size)}: both must be multiples of 8"
            )
        if self.crop_size is not None:
            ch, cw = self.crop_size
            if ch % 8 or cw % 8 or ch > h or cw > w:
                raise InputError(
                    f"train.crop_size={list(self.crop_size)}: multiples of 8, at most train.input_size"
                )
        if not self.backbone_lr_scale > 0:
            raise InputError(f"train.backbone_lr_scale={self.backbone_lr_scale}: must be > 0")
        if self.lr_schedule not in ("constant", "cosine"):
            raise InputError(f"train.lr_schedule={self.lr_schedule!r}: use 'constant' or 'cosine'")
        if self.device not in ("auto", "cpu", "cuda"):
            raise InputError(f"train.device={self.device!r}: use auto, cpu or cuda")
        if min(self.batch_size, self.steps, self.frame_step, self.target_every) < 1:
            raise InputError("train.batch_size, steps, frame_step and target_every must be >= 1")

    def to_dict(self) -> dict[str, Any]:
        values = dataclasses.asdict(self)
        values["input_size"] = list(self.input_size)
        values["scale_range"] = list(self.scale_range)
        values["crop_size"] = None if self.crop_size is None else list(self.crop_size)
        return values

    @classmethod
    def from_dict(cls, values: dict[str, Any] | TrainConfig | None) -> TrainConfig:
        if isinstance(values, TrainConfig):
            return values
        values = section_values(cls, values, "train")
        for key in ("input_size", "scale_range", "crop_size"):
            if values.get(key) is not None:
                values[key] = tuple(values[key])
        return cls(**values)
