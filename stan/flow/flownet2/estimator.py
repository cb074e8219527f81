"""FlowNet2Estimator: optical flow of consecutive video frames with a FlowNet2-family model.

    estimator = FlowNet2Estimator("FlowNet2", "FlowNet2_checkpoint.pth.tar")
    flow = estimator.estimate(frames)   # frames: N RGB uint8 (H, W, 3) -> (N-1, H, W, 2) float32

``flow[i]`` is the flow from frame i to frame i+1 in the backward-warping convention of FlowNet2
(``frames[i](p) ~ frames[i+1](p + flow[i](p))``): u right, v down, pixels at the input size.
Frames of any size are resized to multiples of 64 and the flow mapped back (``preprocess.py``).
Pairs run in batches of ``batch_size`` on CUDA when present (``device="auto"``), else the CPU.
On CUDA, TF32 is switched off while estimating so results match float32 CPU numerics.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator, Mapping, Sequence

import numpy as np
import torch
from torch import nn
from tqdm import tqdm

from stan.io import InputError
from stan.runtime import resolve_device

from .checkpoint import load_checkpoint, load_state_dict
from .preprocess import network_size, pair_tensor, resize_pairs, restore_flow
from .registry import build_model, check_model_name

log = logging.getLogger(__name__)


@contextlib.contextmanager
def full_fp32() -> Iterator[None]:
    """Disable TF32 for cuDNN convolutions and CUDA matmuls inside the block, then restore."""
    saved = (torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32)
    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cuda.matmul.allow_tf32 = False
    try:
        yield
    finally:
        torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32 = saved


class FlowNet2Estimator:
    """Flow between consecutive frames with the ``model_name`` network and ``checkpoint`` weights.

    ``model_name``: FlowNet2, FlowNet2C, FlowNet2S, FlowNet2SD, FlowNet2CS or FlowNet2CSS.
    ``checkpoint``: an official ``*_checkpoint.pth.tar`` of that model (config key
    ``flow.flownet2.checkpoint``). ``batch_size``: frame pairs per forward pass.
    """

    def __init__(
        self,
        model_name: str,
        checkpoint: str | os.PathLike,
        device: str = "auto",
        batch_size: int = 4,
    ) -> None:
        self._setup(model_name, device, batch_size)
        model = build_model(model_name, "meta")
        load_checkpoint(model, model_name, checkpoint)
        self._finish(model)

    @classmethod
    def from_state_dict(
        cls,
        model_name: str,
        state_dict: Mapping[str, torch.Tensor],
        device: str = "auto",
        batch_size: int = 4,
    ) -> FlowNet2Estimator:
        """An estimator from in-memory weights (e.g. synthetic weights in tests and benchmarks)."""
        self = cls.__new__(cls)
        self._setup(model_name, device, batch_size)
        model = build_model(model_name, "meta")
        load_state_dict(model, model_name, state_dict)
        self._finish(model)
        return self

    def _setup(self, model_name: str, device: str, batch_size: int) -> None:
        check_model_name(model_name)
        if not isinstance(batch_size, int) or batch_size < 1:
            raise InputError(
                f"batch_size must be a positive integer, got {batch_size!r} "
                "(config key flow.flownet2.batch_size)"
            )
        self.model_name = model_name
        self.batch_size = batch_size
        self.device = resolve_device(device, "flow.device")

    def _finish(self, model: nn.Module) -> None:
        self.model = model.to(self.device).eval()
        log.info("%s ready on %s (batch %d)", self.model_name, self.device, self.batch_size)

    def estimate(self, frames: Sequence[np.ndarray]) -> np.ndarray:
        """Flow of each consecutive pair of N >= 2 RGB uint8 (H, W, 3) frames.

        Returns (N-1, H, W, 2) float32: u right, v down, pixels; flow[i] goes from frame i to i+1.
        """
        check_frames(frames)
        n_pairs = len(frames) - 1
        height, width = frames[0].shape[:2]
        size = network_size(height, width)
        log.info(
            "%s: %d pairs at %dx%d (network input %dx%d) on %s",
            self.model_name, n_pairs, height, width, size[0], size[1], self.device,
        )  # fmt: skip
        out = np.empty((n_pairs, height, width, 2), dtype=np.float32)
        with torch.inference_mode(), full_fp32():
            with tqdm(total=n_pairs, desc=self.model_name, unit="pair", disable=None) as bar:
                for start in range(0, n_pairs, self.batch_size):
                    stop = min(start + self.batch_size, n_pairs)
                    pairs = pair_tensor(frames, start, stop).to(self.device)
                    flow = self.model(resize_pairs(pairs, size))
                    flow = restore_flow(flow, (height, width))
                    out[start:stop] = flow.permute(0, 2, 3, 1).float().cpu().numpy()
                    bar.update(stop - start)
                    log.debug("%s: pairs %d..%d of %d done", self.model_name, start, stop, n_pairs)
        return out


def check_frames(frames: Sequence[np.ndarray]) -> None:
    """Raise ``InputError`` unless ``frames`` are >= 2 RGB uint8 (H, W, 3) arrays of one size."""
    if len(frames) < 2:
        raise InputError(f"FlowNet2 needs at least 2 frames, got {len(frames)}")
    first = np.asarray(frames[0])
    for i, frame in enumerate(frames):
        frame = np.asarray(frame)
        if frame.dtype != np.uint8 or frame.ndim != 3 or frame.shape[2] != 3:
            raise InputError(
                f"frame {i}: expected an RGB uint8 (H, W, 3) array, got {frame.dtype} {frame.shape}"
            )
        if frame.shape != first.shape:
            raise InputError(
                f"frame {i}: size {frame.shape[:2]} differs from frame 0 {first.shape[:2]}; "
                "all frames of a video must have one size"
            )
