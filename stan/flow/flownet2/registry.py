"""Model names, constructors and the official checkpoint file of each model."""

from __future__ import annotations

import functools

import torch
from torch import nn

from stan.io import InputError

from .stacks import FlowNet2, FlowNet2CS, FlowNet2CSS
from .standalone import FlowNet2C, FlowNet2S, FlowNet2SD

MODELS: dict[str, type[nn.Module]] = {
    "FlowNet2": FlowNet2,
    "FlowNet2C": FlowNet2C,
    "FlowNet2S": FlowNet2S,
    "FlowNet2SD": FlowNet2SD,
    "FlowNet2CS": FlowNet2CS,
    "FlowNet2CSS": FlowNet2CSS,
}

# File names of the converted Caffe models linked from the NVIDIA flownet2-pytorch README
# (FlowNet2-CSS-ft-sd_checkpoint.pth.tar is a FlowNet2CSS fine-tuned on small displacements).
CHECKPOINT_FILES: dict[str, tuple[str, ...]] = {
    "FlowNet2": ("FlowNet2_checkpoint.pth.tar",),
    "FlowNet2C": ("FlowNet2-C_checkpoint.pth.tar",),
    "FlowNet2S": ("FlowNet2-S_checkpoint.pth.tar",),
    "FlowNet2SD": ("FlowNet2-SD_checkpoint.pth.tar",),
    "FlowNet2CS": ("FlowNet2-CS_checkpoint.pth.tar",),
    "FlowNet2CSS": ("FlowNet2-CSS_checkpoint.pth.tar", "FlowNet2-CSS-ft-sd_checkpoint.pth.tar"),
}

CHECKPOINT_SOURCE = (
    "the 'Converted Caffe Pre-trained Models' links of the NVIDIA flownet2-pytorch README "
    "(https://github.com/NVIDIA/flownet2-pytorch#converted-caffe-pre-trained-models), which "
    "point to Google Drive: fetch the file in a browser, the workflow cannot download it"
)


def config_method(name: str) -> str:
    """The ``flow.method`` of config.yaml selecting model ``name`` (FlowNet2CS -> flownet2-cs)."""
    suffix = name.removeprefix("FlowNet2").lower()
    return "flownet2" + (f"-{suffix}" if suffix else "")


def check_model_name(name: str) -> None:
    """Raise ``InputError`` naming the config key when ``name`` is not a known model."""
    if name not in MODELS:
        raise InputError(
            f"unknown FlowNet2 model {name!r}; choose one of {', '.join(MODELS)} "
            f"(config key flow.method: {', '.join(config_method(m) for m in MODELS)})"
        )


def build_model(name: str, device: str | torch.device = "cpu") -> nn.Module:
    """A model of the given name with freshly initialised weights on ``device``.

    ``device="meta"`` builds it without allocating or initialising weights; load a state_dict
    into such a model with ``load_state_dict(sd, strict=True, assign=True)``.
    """
    check_model_name(name)
    with torch.device(device):
        return MODELS[name]()


def expected_shapes(name: str) -> dict[str, tuple[int, ...]]:
    """state_dict key -> shape of a model, in upstream order, without allocating weights."""
    return dict(_shapes(name))


@functools.cache
def _shapes(name: str) -> tuple[tuple[str, tuple[int, ...]], ...]:
    return tuple((k, tuple(v.shape)) for k, v in build_model(name, "meta").state_dict().items())
