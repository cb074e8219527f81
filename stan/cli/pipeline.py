"""A model bundle applied to the frames of one video: flow, motion prior, network, dense CRF.

The engine of `stan predict`; it sits above the stages it chains (flow, prior, predict, crf).

Every step is the workflow's own code with the bundle's settings, so the maps equal the
workflow's maps of the same model (to float rounding):

* flow: :func:`stan.flow.stage.pair_estimator` with the bundle's ``flow`` settings, the last
  frame reusing the previous field, values rounded as the flow cache stores them;
* prior: :func:`stan.prior.model.prior_map` (8-bit, frame size; on a CPU in ``workers``
  processes), resized to the network's input as the predict stage reads prior PNGs; with
  ``model.magnitude_channel`` the flow-magnitude map of :mod:`stan.baseline.flow_magnitude`
  (the bundle's ``baseline`` settings, 8-bit) is its second channel, as rule flow_magnitude
  writes it;
* network: frozen-backbone features in float16, as in the feature cache (a fine-tuned backbone
  runs inside the model), sliding windows of :func:`stan.predict.windows.predict_frames`, maps
  resized (bilinear) back to the frame size and rounded to 8 bits;
* CRF (optional): :func:`stan.crf.dense.refine_map` on the 8-bit map, in ``workers`` processes.

Two settings trade exactness for speed on a CPU (``stan predict --fast``): ``precision:
"bfloat16"`` runs the VGG16 trunk in bfloat16 with channels-last memory, and the CRF's ``scale``
(``crf.scale``) refines on a smaller grid.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass, field

import cv2
import numpy as np
import torch

from stan.baseline.flow_magnitude import FlowMagnitudeConfig, flow_magnitude_saliency
from stan.crf.config import CRFConfig
from stan.flow.cache import as_cached, complete_last_frame
from stan.flow.stage import pair_estimator
from stan.inputs.features import image_batch_features
from stan.inputs.frames import prior_input, resize_rgb
from stan.io import InputError, to_uint8
from stan.model.branches import LEVELS
from stan.predict.bundle import bundle_checkpoints
from stan.predict.ensemble import mean_map
from stan.predict.stage import load_model
from stan.predict.windows import predict_frames
from stan.prior.model import load_checkpoint as load_prior
from stan.prior.model import prior_map
from stan.runtime import resolve_device

STAGES = ("flow", "prior", "network", "crf")
PRECISIONS = ("float32", "bfloat16")


@dataclass
class VideoMaps:
    """Maps of one video (uint8 (H, W) per frame) and the seconds each stage took."""

    maps: list[np.ndarray]
    crf: list[np.ndarray] | None
    seconds: dict[str, float] = field(default_factory=dict)


_PRIOR = {}  # the motion prior of a worker process


def _start_prior_worker(prior_ckpt: dict) -> None:
    torch.set_num_threads(1)  # one process per core
    model, cfg, _ = load_prior(prior_ckpt, {"device": "cpu"}, torch.device("cpu"))
    _PRIOR.update(model=model, cfg=cfg)


def _prior_map(flow: np.ndarray) -> np.ndarray:
    return prior_map(_PRIOR["model"], flow, _PRIOR["cfg"], _PRIOR["cfg"].batch_size)


def _refine(args) -> np.ndarray:
    from stan.crf.dense import refine_map

    frame, saliency, cfg = args
    return to_uint8(refine_map(frame, saliency, cfg))


class _ClipPredictor:
    """The one-video driver shared by :class:`VideoPredictor` and :class:`EnsemblePredictor`:
    they provide the stages ``flows``, ``motion``, ``network`` and ``refine``."""

    def predict(
        self,
        frames: Sequence[np.ndarray],
        *,
        crf: bool = False,
        on_stage: Callable[[str], None] | None = None,
    ) -> VideoMaps:
        """Maps (and CRF maps) of one video's RGB uint8 frames, all of one size, >= 2 frames."""
        if len(frames) < 2:
            raise InputError(f"{len(frames)} frame(s): a clip needs at least 2 frames for its flow")
        shape = frames[0].shape
        for i, frame in enumerate(frames):
            if frame.shape != shape or frame.dtype != np.uint8 or frame.ndim != 3:
                raise InputError(f"frame {i}: {frame.shape} {frame.dtype}, expected {shape} uint8")
        seconds = {}

        def timed(stage, run):
            if on_stage:
                on_stage(stage)
            start = time.perf_counter()
            result = run()
            seconds[stage] = time.perf_counter() - start
            return result

        flows = timed("flow", lambda: self.flows(frames))
        motion = timed("prior", lambda: self.motion(frames, flows))
        maps = timed("network", lambda: self.network(frames, motion))
        refined = timed("crf", lambda: self.refine(frames, maps)) if crf else None
        return VideoMaps(maps, refined, seconds)


class VideoPredictor(_ClipPredictor):
    """Loads a bundle once; :meth:`predict` maps any number of videos with it.

    ``device``: auto, cpu, cuda or cuda:N. ``backbone_weights``: the backbone file when the
    bundle references one (default: :func:`stan.predict.bundle.default_backbone_weights`).
    ``crf``: CRF settings overriding the bundle's (e.g. ``{"scale": 0.5}``). ``precision``:
    float32 (the workflow's numerics) or bfloat16 (trunk only). ``workers``: processes for the
    prior (on a CPU) and the CRF.
    """

    def __init__(
        self,
        bundle: dict,
        *,
        device: str = "auto",
        backbone_weights=None,
        crf: dict | None = None,
        precision: str = "float32",
        batch_size: int = 8,
        workers: int = 1,
    ):
        if precision not in PRECISIONS:
            raise InputError(f"precision {precision!r}: use one of {list(PRECISIONS)}")
        self.device = resolve_device(device, "--device")
        stan_ckpt, prior_ckpt = bundle_checkpoints(bundle, backbone_weights)
        self.model, _ = load_model(stan_ckpt, self.device)
        self.cfg = self.model.cfg
        self.size = tuple(stan_ckpt["input_size"])
        self.frame_step = int(stan_ckpt.get("train_config", {}).get("frame_step", 1))
        self.prior_model = self.prior_cfg = None
        self.prior_ckpt = prior_ckpt
        if self.cfg.spec.temporal and self.cfg.temporal_input == "prior":
            self.prior_model, self.prior_cfg, _ = load_prior(
                prior_ckpt, {"device": str(self.device)}, self.device
            )
        flow = dict(bundle["flow"])
        self.flow_method = flow.pop("method", "dis")
        self.flow_params = {**flow, "device": str(self.device)}
        self.crf_cfg = CRFConfig.from_dict({**bundle.get("crf", {}), **(crf or {})})
        self.magnitude_cfg = FlowMagnitudeConfig(**bundle.get("baseline", {}))
        self.precision = precision
        self.batch_size = batch_size
        self.workers = workers
        if precision == "bfloat16":
            self.model.spatial_trunk.to(memory_format=torch.channels_last)

    # --- stages ---------------------------------------------------------------------------
    def flows(self, frames: Sequence[np.ndarray]) -> np.ndarray:
        pairs = pair_estimator(self.flow_method, self.flow_params)(list(frames))
        return as_cached(complete_last_frame(pairs, frames[0].shape[:2]))

    def motion(self, frames, flows) -> list[np.ndarray] | None:
        if not self.cfg.spec.temporal:
            return None
        if self.cfg.temporal_input == "prior":
            if self.workers > 1 and self.device.type == "cpu" and len(flows) > 1:
                # SLIC and the superpixel statistics are single-threaded: one process per core
                with ProcessPoolExecutor(
                    min(self.workers, len(flows)), initializer=_start_prior_worker,
                    initargs=(self.prior_ckpt,),
                ) as pool:  # fmt: skip
                    priors = list(pool.map(_prior_map, flows))
            else:
                cfg = self.prior_cfg
                priors = [prior_map(self.prior_model, f, cfg, cfg.batch_size) for f in flows]
            magnitudes = (
                [self.magnitude(f) for f in flows]
                if self.cfg.magnitude_channel
                else [None] * len(flows)
            )
            return [prior_input(p, self.size, m) for p, m in zip(priors, magnitudes, strict=True)]
        from stan.flow.visualize import flow_to_color

        return [resize_rgb(flow_to_color(f), self.size) for f in flows]

    def magnitude(self, flow: np.ndarray) -> np.ndarray:
        """The 8-bit flow-magnitude map of one flow field (rule flow_magnitude's PNG)."""
        return to_uint8(flow_magnitude_saliency(flow, self.magnitude_cfg))

    @torch.no_grad()
    def features(self, rgb: list[np.ndarray]) -> list[dict]:
        """Frozen-trunk features of frames at the input size, float16 as in the feature cache."""
        out = []
        trunk = self.model.spatial_trunk
        bf16 = self.precision == "bfloat16"
        for start in range(0, len(rgb), self.batch_size):
            batch = np.stack(rgb[start : start + self.batch_size])
            arrays = image_batch_features(trunk, batch, self.cfg.norm, self.device, bfloat16=bf16)
            out += [{lv: arrays[lv][i] for lv in LEVELS} for i in range(len(batch))]
        return out

    def trunk_features(self, frames) -> list[dict] | None:
        """Frozen-trunk features of the frames at the input size (None: the backbone trains,
        so the model runs its own trunk)."""
        if not self.cfg.frozen_backbone:
            return None
        return self.features([resize_rgb(f, self.size) for f in frames])

    def network(self, frames, motion, feats: list[dict] | None = None) -> list[np.ndarray]:
        """8-bit maps at the frame size; ``feats``: :meth:`trunk_features` already computed
        (an ensemble's members with one frozen trunk share them)."""
        if feats is None:
            feats = self.trunk_features(frames)
        rgb = None if feats is not None else [resize_rgb(f, self.size) for f in frames]

        def load(i: int) -> dict:
            item = {"motion": None if motion is None else motion[i]}
            if feats is not None:
                item["features"] = feats[i]
            else:
                item["rgb"] = rgb[i]
            return item

        h, w = frames[0].shape[:2]
        maps = [None] * len(frames)
        for i, prob in predict_frames(
            self.model, len(frames), load, self.size, batch_size=self.batch_size,
            frame_step=self.frame_step, device=self.device,
        ):  # fmt: skip
            maps[i] = to_uint8(cv2.resize(prob, (w, h), interpolation=cv2.INTER_LINEAR))
        return maps

    def refine(self, frames, maps) -> list[np.ndarray]:
        jobs = [(f, m, self.crf_cfg) for f, m in zip(frames, maps, strict=True)]
        parallel = self.workers > 1 and len(jobs) > 1
        with (
            ProcessPoolExecutor(min(self.workers, len(jobs))) if parallel else nullcontext() as pool
        ):
            return list((pool.map if parallel else map)(_refine, jobs))


def _flow_settings(predictor: VideoPredictor) -> tuple[str, dict]:
    """The flow method and settings of a bundle (the device is the run's, not the bundle's)."""
    params = {k: v for k, v in predictor.flow_params.items() if k != "device"}
    return predictor.flow_method, params


def _same_tensors(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def _same_trunk(a: VideoPredictor, b: VideoPredictor) -> bool:
    """Whether two predictors compute the same frozen-trunk features (then they are computed
    once): both trunks frozen with equal weights, at the same input size, normalisation and
    precision."""
    if not (a.cfg.frozen_backbone and b.cfg.frozen_backbone):
        return False
    if (a.size, a.cfg.norm, a.precision) != (b.size, b.cfg.norm, b.precision):
        return False
    return _same_tensors(a.model.spatial_trunk.state_dict(), b.model.spatial_trunk.state_dict())


def _same_motion(a: VideoPredictor, b: VideoPredictor) -> bool:
    """Whether two predictors build the same motion input (then it is computed once)."""
    if (a.size, a.cfg.temporal_input, a.cfg.spec.temporal, a.cfg.magnitude_channel) != (
        b.size, b.cfg.temporal_input, b.cfg.spec.temporal, b.cfg.magnitude_channel
    ):  # fmt: skip
        return False
    if a.cfg.magnitude_channel and a.magnitude_cfg != b.magnitude_cfg:
        return False
    if a.cfg.temporal_input != "prior":
        return True
    pa, pb = a.prior_ckpt, b.prior_ckpt
    return pa["model_config"] == pb["model_config"] and _same_tensors(pa["model"], pb["model"])


class EnsemblePredictor(_ClipPredictor):
    """Several bundles on one video: the rounded pixel-wise mean of their 8-bit maps, as the
    workflow's seed ensembles (``<variant>-ens<n>``, :mod:`stan.predict.ensemble`) average the
    maps of ``<variant>``, ``<variant>-s1``, ...; ``crf=True`` refines the mean with the first
    bundle's CRF settings (the workflow's ``<variant>-ens<n>+crf``).

    The flow is computed once (the bundles must share its settings), and so are the motion
    input of bundles that share a motion prior and the features of bundles that share a frozen
    backbone (the seeds of one training set share both), so an ensemble of n seeds costs one
    trunk pass and n passes of the heads, not n pipelines.
    """

    def __init__(self, predictors: Sequence[VideoPredictor]):
        if len(predictors) < 2:
            raise InputError("an ensemble needs at least two model bundles")
        flows = [_flow_settings(p) for p in predictors]
        for i, other in enumerate(flows[1:], start=2):
            if other != flows[0]:
                raise InputError(
                    f"model {i} computes its flow with {other}, model 1 with {flows[0]}: the "
                    "bundles of an ensemble must share their flow settings (those of one "
                    "training set do)"
                )
        self.predictors = list(predictors)
        # the first earlier predictor whose motion input (trunk features) each one can reuse
        self.motion_source = _sources(predictors, _same_motion)
        self.trunk_source = _sources(predictors, _same_trunk)

    def flows(self, frames: Sequence[np.ndarray]) -> np.ndarray:
        return self.predictors[0].flows(frames)

    def motion(self, frames, flows) -> list:
        """Each member's motion input, built once per group of members that share it."""
        return self._shared(self.motion_source, lambda p: p.motion(frames, flows))

    def network(self, frames, motion) -> list[np.ndarray]:
        """The rounded mean of the members' 8-bit maps, frame by frame."""
        feats = self._shared(self.trunk_source, lambda p: p.trunk_features(frames))
        members = [
            p.network(frames, m, f) for p, m, f in zip(self.predictors, motion, feats, strict=True)
        ]
        names = [f"model {i + 1}" for i in range(len(members))]
        return [mean_map(list(maps), names) for maps in zip(*members, strict=True)]

    def refine(self, frames, maps) -> list[np.ndarray]:
        return self.predictors[0].refine(frames, maps)

    def _shared(self, sources: list[int], build: Callable[[VideoPredictor], object]) -> list:
        """``build`` run once per group of members (``sources``: each member's group)."""
        built = {}
        for source in sources:
            if source not in built:
                built[source] = build(self.predictors[source])
        return [built[source] for source in sources]


def _sources(predictors: Sequence[VideoPredictor], same: Callable) -> list[int]:
    """For each predictor, the first one (itself or earlier) with which ``same`` holds."""
    return [
        next(j for j in range(i + 1) if same(predictors[j], p)) for i, p in enumerate(predictors)
    ]


__all__ = ["STAGES", "EnsemblePredictor", "VideoMaps", "VideoPredictor"]
