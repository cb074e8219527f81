"""Run a trained STAN on an in-memory clip or a video file.

    from stan.predict.api import predict_clip, predict_video_file
    maps = predict_clip("results/models/davis/STAN.pt", frames, priors=priors)
    prior_fn = motion_prior_function("results/models/prior/davis.pt")
    maps = predict_video_file("results/models/davis/STAN.pt", "clip.mp4", prior_fn=prior_fn)

``frames`` are RGB uint8 (H, W, 3) arrays of one video in order. The temporal stream needs a
motion input for every frame:

* temporal_input 'prior': pass ``priors`` (uint8 (H, W) or float in [0, 1], one per frame), or a
  ``prior_fn(frame, flow) -> (H, W) prior`` that is called per frame with the OpenCV DIS flow
  from that frame to the next (the last frame reuses the previous flow, as in the flow cache).
  The network was trained on the priors of the prior stage, so give it priors of that kind
  (e.g. the prior stage's model applied to the flow); a crude stand-in lowers the quality.
  A model with ``magnitude_channel`` also reads a flow-magnitude map per frame: pass
  ``magnitudes`` (as ``priors``), or they are computed from the flows with the default
  ``baseline`` settings (:func:`stan.baseline.flow_magnitude.flow_magnitude_saliency`).
* temporal_input 'flow': pass ``flows`` ((H, W, 2) per frame) or nothing (DIS is computed).

Returns one float32 (H, W) saliency map in [0, 1] per frame at the frames' original size.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import cv2
import numpy as np
import torch

from stan.inputs.frames import prior_input, resize_rgb
from stan.io import InputError, to_uint8, write_png
from stan.predict.stage import load_model
from stan.predict.windows import predict_frames
from stan.runtime import resolve_device


def dis_flows(
    frames: Sequence[np.ndarray], preset: int = cv2.DISOPTICAL_FLOW_PRESET_MEDIUM
) -> list[np.ndarray]:
    """OpenCV DIS flow from each frame to the next; the last frame repeats the previous field."""
    engine = cv2.DISOpticalFlow_create(preset)
    gray = [cv2.cvtColor(f, cv2.COLOR_RGB2GRAY) for f in frames]
    flows = [engine.calc(a, b, None) for a, b in zip(gray[:-1], gray[1:], strict=True)]
    if not flows:
        return [np.zeros((*frames[0].shape[:2], 2), np.float32)]
    return flows + [flows[-1]]


def motion_prior_function(
    prior_checkpoint: str | Path, device: str = "auto"
) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    """``prior_fn`` that applies a trained motion prior (rule ``train_motion_prior``) to a flow.

    This gives a raw clip the same kind of prior the network was trained with.
    """
    from stan.prior.model import load_checkpoint as load_prior
    from stan.prior.model import prior_map

    model, cfg, _ = load_prior(prior_checkpoint, {"device": device}, resolve_device(device))

    def prior_fn(frame: np.ndarray, flow: np.ndarray) -> np.ndarray:
        return prior_map(model, flow, cfg, cfg.batch_size)

    return prior_fn


def _as_uint8(prior: np.ndarray) -> np.ndarray:
    prior = np.asarray(prior)
    return prior if prior.dtype == np.uint8 else to_uint8(prior)


def predict_clip(
    model_or_checkpoint,
    frames: Sequence[np.ndarray],
    *,
    priors: Sequence[np.ndarray] | None = None,
    prior_fn: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None,
    flows: Sequence[np.ndarray] | None = None,
    magnitudes: Sequence[np.ndarray] | None = None,
    input_size: tuple[int, int] | None = None,
    batch_size: int = 8,
    device: str | torch.device = "auto",
) -> list[np.ndarray]:
    """Saliency maps of an in-memory clip (see the module docstring for the motion input).

    ``model_or_checkpoint``: a checkpoint path, or a STAN model (then ``input_size`` is needed).
    """
    if isinstance(model_or_checkpoint, (str, Path)):
        model, ckpt = load_model(model_or_checkpoint, device)
        input_size = tuple(ckpt["input_size"])
        frame_step = int(ckpt.get("train_config", {}).get("frame_step", 1))
    else:
        model, frame_step = model_or_checkpoint, 1
        if input_size is None:
            raise ValueError("predict_clip with a model object needs input_size=(H, W)")
    if not frames:
        return []
    cfg = model.cfg
    motion: list[np.ndarray] | None = None
    if cfg.spec.temporal and cfg.temporal_input == "prior":
        if priors is None:
            if prior_fn is None:
                raise InputError("this model needs motion priors: pass priors=... or prior_fn=...")
            flows = flows if flows is not None else dis_flows(frames)
            priors = [prior_fn(f, fl) for f, fl in zip(frames, flows, strict=True)]
        if len(priors) != len(frames):
            raise InputError(f"{len(priors)} priors for {len(frames)} frames")
        if cfg.magnitude_channel and magnitudes is None:
            from stan.baseline.flow_magnitude import flow_magnitude_saliency

            flows = flows if flows is not None else dis_flows(frames)
            magnitudes = [flow_magnitude_saliency(f) for f in flows]
        if cfg.magnitude_channel and len(magnitudes) != len(frames):
            raise InputError(f"{len(magnitudes)} flow-magnitude maps for {len(frames)} frames")
        # the motion input exactly as the predict stage builds it (stan.inputs.frames)
        motion = [
            prior_input(
                _as_uint8(prior),
                input_size,
                _as_uint8(magnitudes[i]) if cfg.magnitude_channel else None,
            )
            for i, prior in enumerate(priors)
        ]
    elif cfg.spec.temporal:
        from stan.flow.visualize import flow_to_color

        flows = flows if flows is not None else dis_flows(frames)
        motion = [resize_rgb(flow_to_color(f), input_size) for f in flows]

    def load(i: int) -> dict:
        return {
            "rgb": resize_rgb(frames[i], input_size),
            "motion": None if motion is None else motion[i],
        }

    out = []
    for i, prob in predict_frames(
        model, len(frames), load, input_size, batch_size=batch_size, frame_step=frame_step
    ):
        h, w = frames[i].shape[:2]
        out.append(cv2.resize(prob, (w, h), interpolation=cv2.INTER_LINEAR))
    return out


def read_video(path: str | Path) -> list[np.ndarray]:
    """All frames of a video file as RGB uint8 arrays (OpenCV)."""
    capture = cv2.VideoCapture(str(path))
    if not capture.isOpened():
        raise InputError(f"{path}: cannot open the video file")
    frames = []
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        frames.append(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
    capture.release()
    if not frames:
        raise InputError(f"{path}: no frames could be decoded")
    return frames


def predict_video_file(
    checkpoint: str | Path,
    video_path: str | Path,
    *,
    out_dir: str | Path | None = None,
    **kwargs,
) -> list[np.ndarray]:
    """:func:`predict_clip` on a video file; with ``out_dir`` also writes ``<out_dir>/00000.png``..."""
    maps = predict_clip(checkpoint, read_video(video_path), **kwargs)
    if out_dir is not None:
        for i, prob in enumerate(maps):
            write_png(Path(out_dir) / f"{i:05d}.png", to_uint8(prob))
    return maps
