"""Appearance pre-training on static salient-object images (config section ``pretrain``).

The paper (section 4.2) starts both streams of STAN from a saliency FCN trained on static images.
The CPU counterpart here: with the frozen VGG16 trunk (``model.frozen_backbone: true``) the part
of the network that learns appearance is the spatial stream's two branches (pool4 and conv5 levels,
``stan.model.branches``). This stage trains them, with the spatial-only variant OS, on a folder of
images with salient-object masks in the DUTS layout::

    <root>/Imgs/<name>.jpg    images (.jpg, .jpeg, .png, .bmp)
    <root>/GT/<name>.png      masks (object: value > 128), paired with the images by file stem

or the release's own names, ``DUTS-TR-Image/`` and ``DUTS-TR-Mask/`` (the unpacked DUTS-TR.zip).

Every image is resized to ``train.input_size`` and its trunk features are computed once, for the
image and for its horizontal mirror (a true mirrored frame, not a mirrored feature map), and kept
in memory (float16, 1.8 MB per image and its mirror at 128x224; ``max_images`` caps the count).
Every ``val_every``-th image (in name order) is held out, and the checkpoint records the held-out images' mean max F and MAE, so a user sees what
the pre-training learned. The checkpoint is an ordinary OS model (``stan-model`` format).

:func:`init_from_appearance` copies the pre-trained branches into the model that ``train_model``
is about to train: the spatial branches as they are, the temporal branches where their shapes
agree (their first convolution reads 512 appearance channels plus the motion encoder's: the
appearance part is copied, the motion part keeps its initialisation). The heads (O maps, ConvLSTM,
3D convolution, attention) are not copied: they learn to combine the streams on the videos.
"""

from __future__ import annotations

import json
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

from stan.inputs.features import (
    TrunkSettings,
    build_trunk,
    image_batch_features,
    trunk_fingerprint,
)
from stan.inputs.frames import resize_map, resize_rgb
from stan.io import InputError, read_image, read_mask, to_uint8
from stan.metrics.fmeasure import pr_curves
from stan.metrics.prepare import prepare
from stan.metrics.saliency import mean_absolute_error
from stan.model.build import build_model
from stan.model.config import ModelConfig
from stan.model.vgg import LEVELS
from stan.runtime import load_checkpoint, resolve_device, save_checkpoint, seed_everything
from stan.sections import section_values
from stan.train.optim import cosine_lr, optimizer_step

log = logging.getLogger(__name__)

IMAGE_EXTS = (".jpg", ".jpeg", ".png", ".bmp")
#: (images, masks) folder names, tried in this order.
LAYOUTS = (("Imgs", "GT"), ("DUTS-TR-Image", "DUTS-TR-Mask"))
ROOT_KEY = "pretrain.root"


@dataclass(frozen=True)
class PretrainConfig:
    """Hyper-parameters of the appearance pre-training (config.yaml section ``pretrain``)."""

    # Folder in the DUTS layout (Imgs/, GT/); "" turns the pre-training off.
    root: str = ""
    # Optimisation: steps of batch_size images, Adam, cosine decay from lr.
    steps: int = 1000
    batch_size: int = 8
    lr: float = 1.0e-3
    # Every val_every-th image (name order) is held out and scored at the end (0: none).
    val_every: int = 10
    # At most this many images, evenly spaced in name order (0: all). The features of every
    # image are kept in memory: the whole DUTS-TR (10,553 images) would take 19 GB at 128x224.
    max_images: int = 0

    def __post_init__(self) -> None:
        if min(self.steps, self.batch_size) < 1 or self.lr <= 0:
            raise InputError("pretrain.steps and batch_size must be >= 1 and lr > 0")
        if min(self.val_every, self.max_images) < 0:
            raise InputError("pretrain.val_every and max_images must be >= 0")

    @classmethod
    def from_dict(cls, values: dict[str, Any] | PretrainConfig | None) -> PretrainConfig:
        if isinstance(values, PretrainConfig):
            return values
        return cls(**section_values(cls, values, "pretrain"))


def index_images(root: str | Path) -> list[tuple[Path, Path]]:
    """(image, mask) pairs of a DUTS-layout folder, in name order; errors name the fix."""
    root = Path(root)
    found = [
        (root / i, root / m) for i, m in LAYOUTS if (root / i).is_dir() and (root / m).is_dir()
    ]
    if not found:
        raise InputError(
            f"{root}: no Imgs/ and GT/ folders (nor DUTS-TR-Image/ and DUTS-TR-Mask/); set "
            f"{ROOT_KEY} to a folder of salient-object "
            'images in the DUTS layout (Imgs/<name>.jpg, GT/<name>.png), or to "" to train '
            "without appearance pre-training"
        )
    images, masks = found[0]
    by_stem = {p.stem: p for p in masks.iterdir() if p.suffix.lower() in IMAGE_EXTS}
    pairs, unpaired = [], []
    for image in sorted(p for p in images.iterdir() if p.suffix.lower() in IMAGE_EXTS):
        if image.stem in by_stem:
            pairs.append((image, by_stem[image.stem]))
        else:
            unpaired.append(image.name)
    if unpaired:
        raise InputError(
            f"{masks}: no mask for {len(unpaired)} image(s) of {images}, e.g. {unpaired[0]}; add "
            f"GT/<name>.png or remove the image ({ROOT_KEY})"
        )
    if not pairs:
        raise InputError(f"{images}: no images ({'/'.join(IMAGE_EXTS)}); check {ROOT_KEY}")
    return pairs


def load_pairs(
    pairs: list[tuple[Path, Path]], size: tuple[int, int]
) -> tuple[np.ndarray, np.ndarray]:
    """Images (N, H, W, 3) uint8 RGB and masks (N, H, W) float32 0/1, resized to ``size``."""
    rgbs, labels = [], []
    for image_path, mask_path in pairs:
        image = read_image(image_path)
        mask = read_mask(mask_path)
        if mask.shape != image.shape[:2]:
            raise InputError(
                f"{mask_path}: mask {mask.shape} but image {image_path.name} {image.shape[:2]}; "
                f"fix or remove the pair ({ROOT_KEY})"
            )
        if not mask.any():
            raise InputError(
                f"{mask_path}: empty mask (no salient object); fix or remove the pair ({ROOT_KEY})"
            )
        rgbs.append(resize_rgb(image, size))
        labels.append((resize_map(mask.astype(np.float32), size) > 0.5).astype(np.float32))
    return np.stack(rgbs), np.stack(labels)


def image_features(
    trunk: torch.nn.Module,
    rgbs: np.ndarray,
    norm: str,
    device: torch.device,
    batch_size: int = 8,
) -> dict[str, np.ndarray]:
    """Frozen-trunk features {level: (N, 512, H/8, W/8) float16} of images (N, H, W, 3)."""
    out = {level: [] for level in LEVELS}
    for start in tqdm(range(0, len(rgbs), batch_size), desc="pretrain features", unit="batch"):
        feats = image_batch_features(trunk, rgbs[start : start + batch_size], norm, device)
        for level in LEVELS:
            out[level].append(feats[level])
    return {level: np.concatenate(parts) for level, parts in out.items()}


def appearance_config(model_config: dict | ModelConfig) -> ModelConfig:
    """The OS (spatial-only) configuration with the branches of ``model_config``."""
    values = ModelConfig.from_dict(model_config).to_dict()
    return ModelConfig.from_dict({**values, "variant": "OS"})


def score_maps(probs: np.ndarray, labels: np.ndarray) -> dict[str, float]:
    """Mean per-image max F and MAE of probability maps (N, H, W) against 0/1 masks."""
    max_f, mae = [], []
    for prob, label in zip(probs, labels, strict=True):
        pair = prepare(to_uint8(prob), label > 0.5)
        max_f.append(float(pr_curves(pair)[2].max()))
        mae.append(mean_absolute_error(pair))
    return {"max_f": float(np.mean(max_f)), "mae": float(np.mean(mae)), "images": len(max_f)}


def pretrain_appearance(
    *,
    out_checkpoint: str | Path,
    log_path: str | Path,
    model_config: dict | ModelConfig,
    pretrain_config: dict | PretrainConfig,
    input_size: tuple[int, int],
    seed: int = 0,
    threads: int = 2,
    device: str = "auto",
) -> dict:
    """Train the spatial branches (variant OS) on ``pretrain.root``; returns the checkpoint's metrics."""
    cfg = PretrainConfig.from_dict(pretrain_config)
    model_cfg = appearance_config(model_config)
    if not model_cfg.frozen_backbone:
        raise InputError(
            "pretrain.root is set but model.frozen_backbone is false: the appearance pre-training "
            'trains the branches on frozen-trunk features; set pretrain.root: "" for the full '
            "(fine-tuned backbone) setting"
        )
    if not cfg.root:
        raise InputError(f"{ROOT_KEY} is empty: nothing to pre-train on")
    seed_everything(seed, threads=threads)
    dev = resolve_device(device, "train.device")
    size = (int(input_size[0]), int(input_size[1]))
    pairs = index_images(cfg.root)
    if cfg.max_images and len(pairs) > cfg.max_images:
        keep = np.linspace(0, len(pairs) - 1, cfg.max_images).round().astype(int)
        log.info("pretrain.max_images: %d of the %d images", cfg.max_images, len(pairs))
        pairs = [pairs[i] for i in keep]
    rgbs, labels = load_pairs(pairs, size)
    held = np.zeros(len(pairs), bool)
    if cfg.val_every:
        held[:: cfg.val_every] = True
    if held.all():
        raise InputError(f"pretrain.val_every={cfg.val_every} holds out every image")
    log.info(
        "pre-training on %s: %d images (%d held out) at %s",
        cfg.root,
        len(pairs),
        int(held.sum()),
        size,
    )
    trunk = build_trunk(TrunkSettings.from_model(model_cfg)).to(dev)
    fingerprint = trunk_fingerprint(trunk)
    train_rgb = rgbs[~held]
    # The mirrored images are real inputs of the trunk: features of a mirrored frame.
    feats = image_features(
        trunk, np.concatenate([train_rgb, train_rgb[:, :, ::-1]]), model_cfg.norm, dev
    )
    train_labels = np.concatenate([labels[~held], labels[~held][:, :, ::-1]])
    val_feats = image_features(trunk, rgbs[held], model_cfg.norm, dev) if held.any() else None
    del trunk

    model = build_model(model_cfg, seed=seed).to(dev).train()
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.Adam(params, lr=cfg.lr)
    rng = np.random.default_rng([seed, 7])
    losses: list[float] = []
    partial_log = Path(str(out_checkpoint) + ".part.jsonl")
    t_start = time.perf_counter()
    with open(partial_log, "w") as log_file:
        for step in tqdm(range(cfg.steps), desc="pretrain OS", unit="step"):
            lr = cosine_lr(cfg.lr, step, cfg.steps)
            pick = rng.integers(len(train_labels), size=cfg.batch_size)
            batch = {
                level: torch.from_numpy(feats[level][pick])[:, None].to(dev) for level in LEVELS
            }
            label = torch.from_numpy(train_labels[pick])[:, None].to(dev)
            loss = F.binary_cross_entropy_with_logits(model(None, None, batch).float(), label)
            losses.append(optimizer_step(optimizer, loss, lr, step=step, lr_key="pretrain.lr"))
            log_file.write(json.dumps({"step": step + 1, "loss": losses[-1], "lr": lr}) + "\n")
    metrics: dict[str, Any] = {
        "loss_mean_last50": float(np.mean(losses[-50:])),
        "images": len(pairs),
        "seconds": time.perf_counter() - t_start,
    }
    if val_feats is not None:
        model.eval()
        with torch.no_grad():
            logits = model(
                None, None, {lv: torch.from_numpy(val_feats[lv])[:, None].to(dev) for lv in LEVELS}
            )
        metrics["held_out"] = score_maps(torch.sigmoid(logits)[:, 0].cpu().numpy(), labels[held])
        log.info(
            "held-out images: max F %.3f, MAE %.3f (%d images)",
            metrics["held_out"]["max_f"],
            metrics["held_out"]["mae"],
            metrics["held_out"]["images"],
        )
    save_checkpoint(
        out_checkpoint,
        "stan-model",
        {
            "model": model.state_dict(),
            "model_config": model_cfg.to_dict(),
            "step": cfg.steps,
            "metrics": metrics,
            "pretrain_config": {**vars(cfg)},
            "input_size": list(size),
            "fingerprint": fingerprint,
        },
    )
    Path(log_path).parent.mkdir(parents=True, exist_ok=True)
    os.replace(partial_log, log_path)
    return metrics


def init_from_appearance(model: torch.nn.Module, checkpoint: str | Path, fingerprint: str) -> int:
    """Copy the pre-trained branches of ``checkpoint`` into ``model``; returns tensors copied.

    The spatial branches are copied whole; each temporal-branch tensor takes the pre-trained one
    where the shapes agree, and the leading (appearance) input channels of its first convolution.
    """
    ckpt = load_checkpoint(checkpoint, "stan-model")
    if ckpt.get("fingerprint") != fingerprint:
        raise InputError(
            f"{checkpoint}: pre-trained on another backbone (trunk fingerprint "
            f"{ckpt.get('fingerprint')} != {fingerprint}); rebuild it with the current "
            "model.backbone_* settings"
        )
    source = {
        key.removeprefix("spatial_branches."): value
        for key, value in ckpt["model"].items()
        if key.startswith("spatial_branches.")
    }
    if not source:
        raise InputError(f"{checkpoint}: holds no spatial branches; is it a pre-training output?")
    state = model.state_dict()
    copied = 0
    with torch.no_grad():  # state_dict() tensors share the parameters' storage
        for prefix in ("spatial_branches.", "temporal_branches."):
            for key, value in source.items():
                target = state.get(prefix + key)
                if target is None:
                    continue
                # A temporal branch's first convolution reads the appearance channels first.
                leading = (
                    target.ndim == 4
                    and target.shape[1] > value.shape[1]
                    and target.shape[0] == value.shape[0]
                    and target.shape[2:] == value.shape[2:]
                )
                if target.shape != value.shape and not leading:
                    raise InputError(
                        f"{checkpoint}: {key} {tuple(value.shape)} does not fit {prefix}{key} "
                        f"{tuple(target.shape)}; pre-train with the same model.branch_width and "
                        "branch_channels"
                    )
                (target[:, : value.shape[1]] if leading else target).copy_(value)
                copied += 1
    return copied


__all__ = [
    "PretrainConfig",
    "index_images",
    "init_from_appearance",
    "pretrain_appearance",
]
