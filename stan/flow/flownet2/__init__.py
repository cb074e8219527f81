"""FlowNet2 and its sub-networks in pure PyTorch, compatible with the official checkpoints.

Re-implementation of NVIDIA flownet2-pytorch (commit bce69c88): the CUDA correlation, resample2d
and channelnorm ops are written with tensor ops, and the state_dict keys match upstream, so the
converted Caffe checkpoints load strictly. See ``/work/shared/reference/flownet2/NOTES.md``.
"""

from .channelnorm import ChannelNorm, channel_norm
from .checkpoint import CheckpointError, identify_model, load_checkpoint, read_state_dict
from .correlation import Correlation, correlate
from .estimator import FlowNet2Estimator
from .registry import CHECKPOINT_FILES, MODELS, build_model, expected_shapes
from .resample import Resample2d, warp
from .stacks import FlowNet2, FlowNet2CS, FlowNet2CSS
from .standalone import FlowNet2C, FlowNet2S, FlowNet2SD

__all__ = [
    "CHECKPOINT_FILES",
    "MODELS",
    "ChannelNorm",
    "CheckpointError",
    "Correlation",
    "FlowNet2",
    "FlowNet2C",
    "FlowNet2CS",
    "FlowNet2CSS",
    "FlowNet2Estimator",
    "FlowNet2S",
    "FlowNet2SD",
    "Resample2d",
    "build_model",
    "channel_norm",
    "correlate",
    "expected_shapes",
    "identify_model",
    "load_checkpoint",
    "read_state_dict",
    "warp",
]
