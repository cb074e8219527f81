"""Training of the motion prior on the frames of a manifest that have ground truth.

Each training frame's flow is turned into superpixels once (:func:`prepare_frame`); the label of
a superpixel is its fraction of salient pixels (soft binary cross-entropy target), and classes
(fraction >= ``label_threshold`` or not) are balanced by weighting each class to half of the
loss. Videos, not frames, are split into training and validation sets; training stops when the
validation loss has not improved for ``patience`` epochs and the best epoch is kept; the first
``min_epochs - 1`` epochs are a warm-up that is never selected (on a small training set the
validation loss of a barely trained, near-constant scorer can be the lowest, and such a model
ranks nothing). One JSON line per epoch goes to the history file.
"""

from __future__ import annotations

import json
import logging
import math
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

from stan.data.manifest import kept_ground_truth, load_manifest
from stan.flow.cache import load_flow, load_frames
from stan.io import InputError, atomic_path, read_mask
from stan.prior.config import PriorConfig
from stan.prior.frame import PreparedFrame, prepare_frame
from stan.prior.labels import mask_to_work, superpixel_fractions
from stan.prior.model import MotionPriorNet, build_model, save_checkpoint
from stan.runtime import resolve_device, seed_everything

log = logging.getLogger(__name__)


@dataclass
class TrainFrame:
    name: str  # video/frame
    frame: PreparedFrame
    target: np.ndarray  # (n,) float32 fraction of salient pixels per superpixel


def split_videos(videos: list[str], val_fraction: float, seed: int) -> tuple[list, list]:
    """Deterministic (train, val) split of video names; val is empty with a single video."""
    videos = sorted(videos)
    n_val = 0
    if len(videos) >= 2 and val_fraction > 0:
        n_val = min(max(1, round(val_fraction * len(videos))), len(videos) - 1)
    order = np.random.default_rng(seed).permutation(len(videos))
    val = sorted(videos[i] for i in order[:n_val])
    return [v for v in videos if v not in val], val


def prepare_video(rows, flow_npz: Path, cfg: PriorConfig) -> list[TrainFrame]:
    """Prepared frames (with targets) of one video's manifest rows that have ground truth."""
    flow = load_flow(flow_npz)
    ids = load_frames(flow_npz)
    index = {f: i for i, f in enumerate(ids)}
    out = []
    for row in rows.itertuples():
        if row.frame not in index:
            raise InputError(
                f"{flow_npz}: has no flow for frame {row.video}/{row.frame} of the manifest; "
                "rerun the flow stage for this video"
            )
        field = flow[index[row.frame]]
        mask = read_mask(row.gt)
        if mask.shape != field.shape[:2]:
            raise InputError(
                f"{row.gt}: mask size {mask.shape} differs from the flow's {field.shape[:2]} "
                f"({flow_npz}); the manifest and the flow cache disagree"
            )
        frame = prepare_frame(field, cfg)
        target = superpixel_fractions(frame.labels, frame.n, mask_to_work(mask, frame.labels.shape))
        out.append(TrainFrame(f"{row.video}/{row.frame}", frame, target))
    return out


def class_weights(frames: list[TrainFrame], threshold: float) -> tuple[float, float]:
    """Weights (positive, negative) that give each class half of the loss."""
    pos = sum(int((f.target >= threshold).sum()) for f in frames)
    total = sum(f.frame.n for f in frames)
    p = min(max(pos / max(total, 1), 1e-3), 1 - 1e-3)
    return 0.5 / p, 0.5 / (1 - p)


def weighted_bce(logits, target, weights) -> tuple[torch.Tensor, torch.Tensor]:
    """(sum of weighted losses, sum of weights)."""
    loss = F.binary_cross_entropy_with_logits(logits, target, reduction="none")
    return (loss * weights).sum(), weights.sum()


def _select(frame: TrainFrame, cfg: PriorConfig, rng: np.random.Generator) -> np.ndarray | None:
    """Superpixels used for one training step: all of them ("pooled", where they cost nothing
    extra) or a uniform sample of ``patches_per_frame`` ("patch"); the loss weights balance the
    classes in both cases, so the calibration offset holds for both."""
    if cfg.feature_mode == "pooled" or frame.frame.n <= cfg.patches_per_frame:
        return None
    return np.sort(rng.choice(frame.frame.n, cfg.patches_per_frame, replace=False))


def _frame_loss(model, item: TrainFrame, idx, w_pos, w_neg, cfg, device):
    target = item.target if idx is None else item.target[idx]
    t = torch.from_numpy(target).to(device)
    w = torch.where(t >= cfg.label_threshold, w_pos, w_neg)
    logits = model(item.frame, idx, batch_size=cfg.batch_size)
    return weighted_bce(logits, t, w)


@torch.no_grad()
def evaluate(model: MotionPriorNet, frames, w_pos, w_neg, cfg, device) -> dict:
    """Validation loss and superpixel-level balanced accuracy."""
    model.eval()
    total, weight, hits = 0.0, 0.0, np.zeros(2)
    counts = np.zeros(2)
    for item in frames:
        logits = model(item.frame, batch_size=cfg.batch_size)
        t = torch.from_numpy(item.target).to(device)
        loss, wsum = weighted_bce(logits, t, torch.where(t >= cfg.label_threshold, w_pos, w_neg))
        total += float(loss)
        weight += float(wsum)
        scores = torch.sigmoid(logits).cpu().numpy()
        truth = item.target >= cfg.label_threshold
        pred = scores >= 0.5
        for c in (0, 1):
            counts[c] += (truth == c).sum()
            hits[c] += ((truth == c) & (pred == c)).sum()
    recall = hits / np.maximum(counts, 1)
    return {"loss": total / max(weight, 1e-12), "balanced_accuracy": float(recall.mean())}


def train_motion_prior(
    manifest_csv: str | Path,
    flow_root: str | Path,
    out_ckpt: str | Path,
    log_path: str | Path,
    params: dict,
    sparse_gt_every: int = 0,
) -> dict:
    """Train the prior on the ``train`` frames with ground truth; write the best checkpoint.

    Flow comes from ``<flow_root>/<video>.npz``; ``log_path`` receives one JSON line per epoch.
    ``sparse_gt_every`` (the sparse label setting, ``coarse.sparse_gt_every``) restricts training
    to the ground truth that setting keeps (:func:`stan.data.manifest.kept_ground_truth`);
    ``prior.frame_step`` then subsamples those frames. Returns the checkpoint's metrics.
    """
    cfg = PriorConfig.from_params(params)
    seed_everything(cfg.seed)
    device = resolve_device(cfg.device, "prior.device")
    manifest = load_manifest(manifest_csv)
    train_rows = manifest[manifest["split"] == "train"]
    rows = train_rows[kept_ground_truth(train_rows, sparse_gt_every)]
    if sparse_gt_every > 1:
        log.info(
            "sparse labels (every %d-th frame): %d of %d annotated training frames used",
            sparse_gt_every,
            len(rows),
            int(kept_ground_truth(train_rows).sum()),
        )
    if rows.empty:
        sparse = (
            f"; coarse.sparse_gt_every={sparse_gt_every} keeps only frames 0, {sparse_gt_every}, "
            f"{2 * sparse_gt_every}, ... of each video: set it to 0 for sparsely annotated data"
            if sparse_gt_every > 1
            else ""
        )
        raise InputError(
            f"{manifest_csv}: no training frame has ground truth; the motion prior needs "
            f"annotated frames in the train split (check data.<dataset>.test_split){sparse}"
        )
    train_videos, val_videos = split_videos(
        sorted(rows["video"].unique()), cfg.val_fraction, cfg.seed
    )
    log.info(
        "motion prior: %d training videos, %d validation videos (%s), mode %s, device %s",
        len(train_videos),
        len(val_videos),
        ", ".join(val_videos) or "none",
        cfg.feature_mode,
        device,
    )

    t0 = time.perf_counter()
    data: dict[str, list[TrainFrame]] = {"train": [], "val": []}
    for video in tqdm(train_videos + val_videos, desc="prior: superpixels", unit="video"):
        vrows = rows[rows["video"] == video].iloc[:: cfg.frame_step]
        part = "val" if video in val_videos else "train"
        data[part] += prepare_video(vrows, Path(flow_root) / f"{video}.npz", cfg)
    log.info(
        "prepared %d training and %d validation frames in %.1f s",
        len(data["train"]),
        len(data["val"]),
        time.perf_counter() - t0,
    )
    w_pos, w_neg = class_weights(data["train"], cfg.label_threshold)
    log.info("class weights: positive %.3f, negative %.3f", w_pos, w_neg)

    model = build_model(cfg)
    hand = np.concatenate([f.frame.handcrafted for f in data["train"]])
    model.hand_mean.copy_(torch.from_numpy(hand.mean(axis=0)))
    model.hand_std.copy_(torch.from_numpy(np.maximum(hand.std(axis=0), 1e-3)))
    model = model.to(device)
    if cfg.alexnet_weights and not cfg.finetune_alexnet:
        model.trunk.requires_grad_(False)
    params_to_train = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.Adam(params_to_train, lr=cfg.lr, weight_decay=cfg.weight_decay)
    rng = np.random.default_rng(cfg.seed)
    best = {"loss": math.inf, "epoch": -1, "state": None}
    history = []
    monitor = "val" if data["val"] else "train"
    if monitor == "train":
        log.warning("one training video only: early stopping watches the training loss")

    Path(log_path).parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(log_path) as tmp_log, open(tmp_log, "w") as history_file:
        for epoch in range(cfg.epochs):
            model.train()
            order = rng.permutation(len(data["train"]))
            total, weight = 0.0, 0.0
            batches = range(0, len(order), cfg.batch_frames)
            for start in tqdm(batches, desc=f"prior: epoch {epoch}", leave=False):
                optimizer.zero_grad(set_to_none=True)
                losses, weights = [], []
                for i in order[start : start + cfg.batch_frames]:
                    item = data["train"][i]
                    idx = _select(item, cfg, rng)
                    loss, wsum = _frame_loss(model, item, idx, w_pos, w_neg, cfg, device)
                    losses.append(loss)
                    weights.append(wsum)
                loss = torch.stack(losses).sum() / torch.stack(weights).sum()
                if not torch.isfinite(loss):
                    raise FloatingPointError(
                        f"motion prior: loss is {float(loss)} at epoch {epoch}"
                    )
                loss.backward()
                optimizer.step()
                total += float(torch.stack(losses).sum().detach())
                weight += float(torch.stack(weights).sum().detach())
            record = {"epoch": epoch, "train_loss": total / max(weight, 1e-12)}
            if data["val"]:
                val = evaluate(model, data["val"], w_pos, w_neg, cfg, device)
                record.update({f"val_{k}": v for k, v in val.items()})
            record["seconds"] = round(time.perf_counter() - t0, 1)
            history.append(record)
            history_file.write(json.dumps(record) + "\n")
            history_file.flush()
            log.info("epoch %d: %s", epoch, record)
            score = record[f"{monitor}_loss"]
            if epoch + 1 < min(cfg.min_epochs, cfg.epochs):  # warm-up: no selection yet
                continue
            if score < best["loss"]:
                best = {
                    "loss": score,
                    "epoch": epoch,
                    "state": {k: v.detach().clone() for k, v in model.state_dict().items()},
                }
            elif epoch - best["epoch"] >= cfg.patience:
                log.info("early stop at epoch %d (best %d)", epoch, best["epoch"])
                break

    model.load_state_dict(best["state"])
    model.logit_offset.fill_(math.log(0.5 / w_pos) - math.log(0.5 / w_neg))  # log(p / (1 - p))
    metrics = {
        "best_epoch": best["epoch"],
        f"best_{monitor}_loss": best["loss"],
        "history": history,
        "train_videos": train_videos,
        "val_videos": val_videos,
        "train_frames": len(data["train"]),
        "class_weights": [w_pos, w_neg],
    }
    save_checkpoint(out_ckpt, model, cfg, best["epoch"], metrics)
    log.info("wrote %s (best epoch %d)", out_ckpt, best["epoch"])
    return metrics
