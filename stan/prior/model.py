"""The motion-prior network: AlexNet trunk -> per-superpixel features (+ handcrafted
statistics) -> three-layer scorer; plus its checkpoint format.

Checkpoint (a plain dict, ``torch.load(path, weights_only=True)``): ``model`` (state dict of
:class:`MotionPriorNet`), ``model_config`` (the :class:`PriorConfig` as a dict), ``epoch``,
``metrics`` (training history and the best validation scores) and ``format`` (``"stan-prior/3"``,
checked by :func:`stan.runtime.load_checkpoint`).
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import torch
from torch import nn

from stan.io import to_uint8
from stan.prior.alexnet import FEATURE_CHANNELS, AlexNetFeatures, load_alexnet_features
from stan.prior.config import MODEL_KEYS, PriorConfig
from stan.prior.features import patch_features, pooled_features
from stan.prior.frame import PreparedFrame, prepare_frame
from stan.prior.handcrafted import N_HANDCRAFTED
from stan.prior.scorer import SuperpixelScorer
from stan.prior.superpixels import upsample_labels
from stan.runtime import load_checkpoint as read_checkpoint
from stan.runtime import save_checkpoint as write_checkpoint


class MotionPriorNet(nn.Module):
    """Superpixels of one prepared frame -> saliency logits, one per superpixel.

    Scorer input per superpixel: LayerNorm(AlexNet relu5 feature, 256-d), then, when
    ``cfg.handcrafted``, the 12 statistics of :mod:`stan.prior.handcrafted` standardised with
    the training set's mean and standard deviation (buffers set by training). Unstandardised, the
    few small-valued statistics drown among 256 unit-scale deep features and a scorer trained on
    a small set overfits the deep ones (on the synthetic set it ranked below chance).
    """

    def __init__(self, cfg: PriorConfig):
        super().__init__()
        self.feature_mode = cfg.feature_mode
        self.patch_size = cfg.patch_size
        self.pooled_scale = cfg.pooled_scale
        self.handcrafted = cfg.handcrafted
        self.trunk = AlexNetFeatures()
        self.norm = nn.LayerNorm(FEATURE_CHANNELS)  # deep features of any scale -> O(1)
        in_dim = FEATURE_CHANNELS + (N_HANDCRAFTED if cfg.handcrafted else 0)
        self.scorer = SuperpixelScorer(in_dim=in_dim, hidden=cfg.hidden, dropout=cfg.dropout)
        # Training balances the classes; adding log(p / (1 - p)) to the logits (p: fraction of
        # positive superpixels in the training set, set by training) turns the balanced scores
        # back into calibrated probabilities at inference.
        self.register_buffer("logit_offset", torch.zeros(()))
        self.register_buffer("hand_mean", torch.zeros(N_HANDCRAFTED))
        self.register_buffer("hand_std", torch.ones(N_HANDCRAFTED))

    def features(
        self, frame: PreparedFrame, index: np.ndarray | None = None, batch_size: int = 256
    ) -> torch.Tensor:
        """(K, in_dim) inputs of the scorer for all superpixels, or those in ``index``."""
        idx = np.arange(frame.n) if index is None else np.asarray(index)
        if self.feature_mode == "pooled":
            image = frame.image
            if self.pooled_scale != 1:
                h, w = image.shape[:2]
                size = (
                    max(63, round(w * self.pooled_scale)),
                    max(63, round(h * self.pooled_scale)),
                )
                image = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
            deep = pooled_features(self.trunk, image, frame.labels, frame.n)[idx]
        else:
            deep = patch_features(
                self.trunk, frame.image, frame.boxes[idx], self.patch_size, batch_size
            )
        x = self.norm(deep)
        if self.handcrafted:
            hand = torch.from_numpy(frame.handcrafted[idx]).to(x.device)
            x = torch.cat([x, (hand - self.hand_mean) / self.hand_std], dim=1)
        return x

    def forward(
        self, frame: PreparedFrame, index: np.ndarray | None = None, batch_size: int = 256
    ) -> torch.Tensor:
        """Saliency logits of the superpixels of ``frame`` (all, or those in ``index``)."""
        return self.scorer(self.features(frame, index, batch_size))


def build_model(cfg: PriorConfig) -> MotionPriorNet:
    """A fresh network; the trunk is initialised from torchvision's file when configured."""
    model = MotionPriorNet(cfg)
    if cfg.alexnet_weights:
        load_alexnet_features(model.trunk, cfg.alexnet_weights)
    return model


def save_checkpoint(path, model: MotionPriorNet, cfg: PriorConfig, epoch: int, metrics: dict):
    state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    entries = {
        "model": state,
        "model_config": cfg.to_dict(),
        "epoch": int(epoch),
        "metrics": metrics,
    }
    write_checkpoint(path, "stan-prior", entries)


def load_checkpoint(
    path, params: dict | None = None, device: str | torch.device = "cpu"
) -> tuple[MotionPriorNet, PriorConfig, dict]:
    """Rebuild the network of a checkpoint; runtime keys (device, batch_size) come from ``params``.

    ``path`` may also be a checkpoint dict already read (e.g. unpacked from a model bundle).
    Returns (model in eval mode on ``device``, its config, the checkpoint dict).
    """
    ckpt = read_checkpoint(path, "stan-prior") if isinstance(path, (str, Path)) else path
    merged = dict(params or {})
    merged.update({k: ckpt["model_config"][k] for k in MODEL_KEYS})
    merged["alexnet_weights"] = ""  # the weights are in the checkpoint
    cfg = PriorConfig.from_params(merged)
    model = MotionPriorNet(cfg)
    model.load_state_dict(ckpt["model"])
    return model.to(device).eval(), cfg, ckpt


@torch.no_grad()
def superpixel_scores(model: MotionPriorNet, frame: PreparedFrame, batch_size: int = 256):
    """Calibrated saliency in [0, 1] of each superpixel, float32 (n,)."""
    logits = model(frame, batch_size=batch_size) + model.logit_offset
    return torch.sigmoid(logits).float().cpu().numpy()


def prior_map(
    model: MotionPriorNet, flow: np.ndarray, cfg: PriorConfig, batch_size: int = 256
) -> np.ndarray:
    """The motion prior of one (H, W, 2) flow: uint8 (H, W).

    Each pixel gets its superpixel's score; with ``cfg.refine == "motion"`` that score is
    multiplied by the pixel-level motion map (bilinearly resized to the frame).
    """
    frame = prepare_frame(flow, cfg)
    scores = superpixel_scores(model, frame, batch_size)
    prior = scores[upsample_labels(frame.labels, frame.full_shape)]
    if cfg.refine == "motion":
        h, w = frame.full_shape
        prior = prior * cv2.resize(frame.motion, (w, h), interpolation=cv2.INTER_LINEAR)
    return to_uint8(prior)
