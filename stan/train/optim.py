"""The optimisation step shared by STAN's training and the appearance pre-training."""

from __future__ import annotations

import math

import torch


def cosine_lr(lr: float, step: int, steps: int) -> float:
    """Learning rate at ``step`` of ``steps`` under a cosine decay from ``lr`` to 0."""
    return lr * 0.5 * (1.0 + math.cos(math.pi * step / steps))


def parameter_groups(model: torch.nn.Module, backbone_lr_scale: float) -> list[dict]:
    """Adam parameter groups of the trainable parameters: the backbone's (trunks and the
    trainable last block, model.train_conv5) at ``backbone_lr_scale`` times the learning rate,
    the rest at the learning rate (:func:`optimizer_step` applies the scale)."""
    backbone_prefixes = ("spatial_trunk.", "temporal_trunk.", "conv5_block.")
    groups: dict[bool, list] = {True: [], False: []}
    for name, param in model.named_parameters():
        if param.requires_grad:
            groups[name.startswith(backbone_prefixes)].append(param)
    out = [{"params": groups[False], "lr_scale": 1.0}]
    if groups[True]:
        out.append({"params": groups[True], "lr_scale": backbone_lr_scale})
    return out


def optimizer_step(
    optimizer: torch.optim.Optimizer, loss: torch.Tensor, lr: float, *, step: int, lr_key: str
) -> float:
    """Back-propagate ``loss`` and step at learning rate ``lr``; returns the loss value. A
    non-finite loss stops the run, naming the config key of the learning rate."""
    if not torch.isfinite(loss):
        raise FloatingPointError(
            f"non-finite loss {loss.item()} at step {step}; lower {lr_key} or check the inputs"
        )
    for group in optimizer.param_groups:
        group["lr"] = lr * group.get("lr_scale", 1.0)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()
    return float(loss.item())
