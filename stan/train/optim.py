"""The optimisation step shared by STAN's training and the appearance pre-training."""

from __future__ import annotations

import math

import torch


def cosine_lr(lr: float, step: int, steps: int) -> float:
    """Learning rate at ``step`` of ``steps`` under a cosine decay from ``lr`` to 0."""
    return lr * 0.5 * (1.0 + math.cos(math.pi * step / steps))


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
        group["lr"] = lr
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()
    return float(loss.item())
