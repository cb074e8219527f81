"""The train stage: BCE-with-logits (Eq. 6) and Adam on windows of T frames.

``train_model`` is the function the Snakemake rule calls. It writes one JSON line per step to
the log (step, loss, lr, seconds), shows tqdm progress, saves a resumable ``<out>.last.pt``
every ``train.checkpoint_every`` steps, raises on a non-finite loss, and writes the final
checkpoint atomically at the end.
"""

from __future__ import annotations

import json
import logging
import os
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader
from tqdm import tqdm

from stan.data.manifest import load_manifest
from stan.inputs.features import FeatureCache, trunk_fingerprint
from stan.io import InputError
from stan.model.build import build_model
from stan.model.config import ModelConfig
from stan.runtime import load_checkpoint, resolve_device, save_checkpoint, seed_everything
from stan.train.checkpoint import trained_with
from stan.train.config import TrainConfig
from stan.train.dataset import MixedWindows, WindowDataset
from stan.train.optim import cosine_lr, optimizer_step, parameter_groups
from stan.train.pretrain import init_from_appearance

log = logging.getLogger(__name__)


def last_checkpoint_path(out_checkpoint: str | Path) -> Path:
    """Where the resumable checkpoint of a run is kept: ``<out stem>.last.pt`` next to it."""
    out = Path(out_checkpoint)
    return out.with_name(out.stem + ".last.pt")


def resumed_log_lines(partial_log: Path, start: int) -> list[str]:
    """Lines of a step log for steps 1..start (those a run resumed at ``start`` keeps)."""
    if not start:
        return []
    if not partial_log.is_file():
        log.warning("%s not found: the step log starts at step %d", partial_log, start + 1)
        return []
    lines = partial_log.read_text().splitlines(keepends=True)
    kept = [line for line in lines if line.strip() and json.loads(line)["step"] <= start]
    if len(kept) != start:
        log.warning("%s holds %d of the first %d steps", partial_log, len(kept), start)
    return kept


def learning_rate(cfg: TrainConfig, step: int) -> float:
    if cfg.lr_schedule == "cosine":
        return cosine_lr(cfg.lr, step, cfg.steps)
    return cfg.lr


def window_loss(model, batch: dict, device: torch.device, amp: bool) -> torch.Tensor:
    """BCE with logits between the window's last-frame logits and its label (Eq. 6), mean over pixels."""
    frames = batch["frames"].to(device) if "frames" in batch else None
    motion = batch["motion"].to(device) if "motion" in batch else None
    features = {k: batch[k].to(device) for k in ("pool4", "conv5")} if "pool4" in batch else None
    label = batch["label"].to(device)
    with torch.autocast(device.type, dtype=torch.bfloat16, enabled=amp and device.type == "cuda"):
        logits = model(frames, motion, features)
    return F.binary_cross_entropy_with_logits(logits.float(), label)


def train_model(
    *,
    manifest_csv: str | Path,
    out_checkpoint: str | Path,
    log_path: str | Path,
    model_config: dict | ModelConfig,
    train_config: dict | TrainConfig,
    prior_root: str | Path | None = None,
    flow_root: str | Path | None = None,
    magnitude_root: str | Path | None = None,
    label_table: str | Path | None = None,
    feature_cache: str | Path | None = None,
    sources: list[dict] | None = None,
    init_checkpoint: str | Path | None = None,
) -> dict:
    """Train STAN (or an ablation variant) and write the checkpoint; returns its metrics.

    ``prior_root`` holds ``<video>/<frame>.png`` motion priors (temporal_input 'prior'),
    ``flow_root`` the ``<video>.npz`` flow caches (temporal_input 'flow'), ``magnitude_root`` the
    ``<video>/<frame>.png`` flow-magnitude maps (model.magnitude_channel), ``label_table`` an
    optional label-source CSV (else the manifest's gt), ``feature_cache`` the directory written
    by :func:`stan.inputs.features.cache_features` (required with model.frozen_backbone).

    ``sources`` trains one model on several datasets at once: a list of dicts with the keys
    ``name``, ``manifest`` and optionally ``prior_root``, ``flow_root``, ``magnitude_root``,
    ``label_table``,
    ``feature_cache`` (as above, one dataset each); ``manifest_csv`` and the single-dataset
    arguments are then unused.

    ``init_checkpoint``: an appearance pre-training checkpoint (:mod:`stan.train.pretrain`) whose
    branches start the model (config ``pretrain.root``); None or "": the usual initialisation.
    """
    model_cfg = ModelConfig.from_dict(model_config)
    cfg = TrainConfig.from_dict(train_config)
    seed_everything(cfg.seed, threads=cfg.threads)
    device = resolve_device(cfg.device, "train.device")
    if sources is None:
        sources = [
            {
                "name": str(manifest_csv),
                "manifest": manifest_csv,
                "prior_root": prior_root,
                "flow_root": flow_root,
                "magnitude_root": magnitude_root,
                "label_table": label_table,
                "feature_cache": feature_cache,
            }
        ]

    model = build_model(model_cfg, seed=cfg.seed)
    fingerprint = trunk_fingerprint(model.spatial_trunk)
    if init_checkpoint:
        copied = init_from_appearance(model, init_checkpoint, fingerprint)
        log.info("branches initialised from %s (%d tensors)", init_checkpoint, copied)
    caches, parts = [], {}
    for source in sources:
        cache = None
        if model_cfg.frozen_backbone:
            if not source.get("feature_cache"):
                raise InputError(
                    f"{source['name']}: model.frozen_backbone is true: pass the feature cache "
                    "directory (feature_cache rule)"
                )
            cache = FeatureCache(
                source["feature_cache"], fingerprint=fingerprint, input_size=cfg.input_size
            )
            caches.append(cache)
        parts[source["name"]] = WindowDataset(
            load_manifest(source["manifest"]),
            model_cfg,
            cfg,
            prior_root=source.get("prior_root") or None,
            flow_root=source.get("flow_root") or None,
            magnitude_root=source.get("magnitude_root") or None,
            label_table=source.get("label_table") or None,
            cache=cache,
            source=str(source["manifest"]),
        )
    if len(parts) == 1:
        dataset = next(iter(parts.values()))
    else:
        dataset = MixedWindows(parts, cfg.seed)
        for name, part in parts.items():
            log.info("training set %s: %d targets", name, len(part.targets))
    model.to(device).train()
    groups = parameter_groups(model, cfg.backbone_lr_scale)
    params = [p for group in groups for p in group["params"]]
    optimizer = torch.optim.Adam(groups, lr=cfg.lr, weight_decay=cfg.weight_decay)

    start, losses = 0, []
    resume_path = last_checkpoint_path(out_checkpoint)
    if cfg.resume and resume_path.is_file():
        ckpt = load_checkpoint(resume_path, "stan-model")
        if trained_with(ckpt, model_cfg.to_dict(), cfg.to_dict()):
            model.load_state_dict(ckpt["model"])
            optimizer.load_state_dict(ckpt["optimizer"])
            start = int(ckpt["step"])
            losses = list(ckpt["metrics"].get("recent_losses", []))
            log.info("resuming from %s at step %d", resume_path, start)
        else:
            log.warning("%s was written with another configuration; starting afresh", resume_path)
            start = 0

    n_params = sum(p.numel() for p in params)
    log.info(
        "training %s: %d trainable parameters, %d targets, %d steps x %d windows on %s",
        model_cfg.variant,
        n_params,
        len(dataset.targets),
        cfg.steps,
        cfg.batch_size,
        device,
    )
    sampler = range(start * cfg.batch_size, cfg.steps * cfg.batch_size)
    loader = DataLoader(
        dataset, batch_size=cfg.batch_size, sampler=sampler, num_workers=cfg.workers
    )

    def state(step: int) -> dict:
        return {
            "model": model.state_dict(),
            "model_config": model_cfg.to_dict(),
            "optimizer": optimizer.state_dict(),
            "step": step,
            "metrics": {
                "loss_mean_last50": float(sum(losses[-50:]) / max(len(losses[-50:]), 1)),
                "recent_losses": losses[-50:],
                "targets": len(dataset.targets),
                "training_sets": list(parts),
                "trainable_parameters": n_params,
                "initialised_from": str(init_checkpoint or ""),
            },
            "train_config": cfg.to_dict(),
            "input_size": list(cfg.input_size),
            "fingerprint": fingerprint,
        }

    # Steps are logged to <out stem>.last.jsonl beside the resumable checkpoint (Snakemake
    # deletes a job's declared outputs before rerunning it, so the log must not be one until
    # the end); a resumed run keeps the lines up to its checkpoint's step.
    partial_log = resume_path.with_suffix(".jsonl")
    kept = resumed_log_lines(partial_log, start)
    t_start = time.perf_counter()
    with open(partial_log, "w") as log_file:
        log_file.writelines(kept)
        step = start
        progress = tqdm(
            loader, total=cfg.steps - start, desc=f"train {model_cfg.variant}", unit="step"
        )
        tick = time.perf_counter()
        for batch in progress:
            lr = learning_rate(cfg, step)
            loss = window_loss(model, batch, device, cfg.amp)
            losses.append(optimizer_step(optimizer, loss, lr, step=step, lr_key="train.lr"))
            step += 1
            now = time.perf_counter()
            log_file.write(
                json.dumps(
                    {"step": step, "loss": losses[-1], "lr": lr, "seconds": round(now - tick, 4)}
                )
                + "\n"
            )
            log_file.flush()
            tick = now
            progress.set_postfix(loss=f"{losses[-1]:.4f}")
            if step % cfg.checkpoint_every == 0 and step < cfg.steps:
                save_checkpoint(resume_path, "stan-model", state(step))
    final = state(cfg.steps)
    final["metrics"]["seconds_this_run"] = time.perf_counter() - t_start
    save_checkpoint(out_checkpoint, "stan-model", final)
    Path(log_path).parent.mkdir(parents=True, exist_ok=True)
    os.replace(partial_log, log_path)
    if resume_path.is_file():
        resume_path.unlink()
    for cache in caches:
        cache.close()
    log.info(
        "wrote %s (mean loss of the last 50 steps %.4f)",
        out_checkpoint,
        final["metrics"]["loss_mean_last50"],
    )
    return final["metrics"]
