"""The predict stage: saliency PNGs of every frame of every video of a split.

Maps are written as ``<out_root>/<video>/<frame>.png`` (named like the ground truth), 8-bit
``round(sigmoid(logit) * 255)``, resized (bilinear) from the network's input size back to the
frame's original size. Each PNG is written atomically.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import cv2
import torch
from tqdm import tqdm

from stan.data.manifest import load_manifest
from stan.inputs.features import FeatureCache
from stan.inputs.frames import FrameInputs, magnitude_input
from stan.io import InputError, read_image, to_uint8, write_png
from stan.model.build import build_model
from stan.model.config import ModelConfig
from stan.runtime import load_checkpoint, resolve_device
from stan.sections import section_values

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PredictConfig:
    # Which videos: 'test', 'train' or 'all'.
    split: str = "test"
    # Frames per forward batch.
    batch_size: int = 8
    # 'auto' (CUDA when present), 'cpu' or 'cuda'; CPU threads.
    device: str = "auto"
    threads: int = 2

    @classmethod
    def from_dict(cls, values: dict | None) -> PredictConfig:
        cfg = cls(**section_values(cls, values, "predict"))
        if cfg.split not in ("test", "train", "all"):
            raise InputError(f"predict.split={cfg.split!r}: use test, train or all")
        return cfg


def load_model(checkpoint: str | Path | dict, device: str | torch.device = "auto"):
    """(model in eval mode on ``device``, checkpoint dict) from a checkpoint file or dict."""
    device = resolve_device(device, "predict.device")
    ckpt = checkpoint if isinstance(checkpoint, dict) else load_checkpoint(checkpoint, "stan-model")
    model = build_model(ModelConfig.from_dict(ckpt["model_config"]), load_backbone=False)
    model.load_state_dict(ckpt["model"])
    return model.to(device).eval(), ckpt


def predict_dataset(
    *,
    manifest_csv: str | Path,
    checkpoint: str | Path,
    out_root: str | Path,
    predict_config: dict | PredictConfig | None = None,
    prior_root: str | Path | None = None,
    flow_root: str | Path | None = None,
    magnitude_root: str | Path | None = None,
    feature_cache: str | Path | None = None,
    videos: list[str] | None = None,
) -> list[Path]:
    """Stage function: write saliency maps of the chosen split; returns the written paths.

    In frozen-backbone mode the cached features are used when ``feature_cache`` is given,
    otherwise the frozen trunk runs on the frames. ``magnitude_root``: the flow-magnitude maps,
    read when the checkpoint's model has ``magnitude_channel``.
    """
    from stan.predict.windows import predict_frames

    cfg = (
        PredictConfig.from_dict(predict_config)
        if not isinstance(predict_config, PredictConfig)
        else predict_config
    )
    torch.set_num_threads(cfg.threads)
    device = resolve_device(cfg.device, "predict.device")
    model, ckpt = load_model(checkpoint, device)
    model_cfg = model.cfg
    size = tuple(ckpt["input_size"])
    frame_step = int(ckpt.get("train_config", {}).get("frame_step", 1))
    manifest = load_manifest(manifest_csv)
    if cfg.split != "all":
        manifest = manifest[manifest["split"] == cfg.split]
    if videos is not None:
        manifest = manifest[manifest["video"].isin(videos)]
    if manifest.empty:
        raise InputError(f"{manifest_csv}: no frames in split {cfg.split!r} (predict.split)")
    temporal = model_cfg.temporal_input if model_cfg.spec.temporal else None
    inputs = FrameInputs(
        manifest,
        temporal_input=temporal,
        prior_root=prior_root,
        flow_root=flow_root,
        magnitude_root=magnitude_input(model_cfg, magnitude_root, str(checkpoint)),
    )
    cache = None
    if feature_cache is not None and model_cfg.frozen_backbone:
        cache = FeatureCache(feature_cache, fingerprint=ckpt["fingerprint"], input_size=size)
    written = []
    for video, frames in tqdm(
        sorted(inputs.frames.items()), desc=f"predict {model_cfg.variant}", unit="video"
    ):

        def load(i, video=video, frames=frames):
            item = {"motion": inputs.motion(video, frames[i], size) if temporal else None}
            if cache is not None:
                item["features"] = cache.get(video, frames[i])
            else:
                item["rgb"] = inputs.rgb(video, frames[i], size)
            return item

        if cache is not None:
            orig = cache.orig_size(video)
        else:
            orig = read_image(inputs.images[(video, frames[0])]).shape[:2]
        for i, prob in predict_frames(
            model,
            len(frames),
            load,
            size,
            batch_size=cfg.batch_size,
            frame_step=frame_step,
            device=device,
        ):
            out = Path(out_root) / video / f"{frames[i]}.png"
            write_png(
                out, to_uint8(cv2.resize(prob, (orig[1], orig[0]), interpolation=cv2.INTER_LINEAR))
            )
            written.append(out)
        log.info("%s: %d maps", video, len(frames))
    if cache is not None:
        cache.close()
    return written


__all__ = ["PredictConfig", "load_model", "predict_dataset"]
