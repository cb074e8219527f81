"""Seconds per frame of the whole inference pipeline at 854x480, stage by stage (paper Table 4).

Usage: python bench/bench_pipeline.py [--frames 8] [--threads 2] [--out bench/out/pipeline.md]
       [--prior-checkpoint results/models/prior/davis.pt] [--stan-checkpoint <STAN .pt>]
       [--configfile workflow/configs/davis-dev.yaml] [--crf-scales 1 0.5]

The CPU configuration, each stage through the function its pipeline stage calls per frame:

1. optical flow: OpenCV DIS (preset medium), ``stan.flow.stage.pair_estimator`` (flow stage);
2. motion prior: SLIC superpixels + AlexNet features + scorer, ``stan.prior.model.prior_map``
   (prior stage, default ``PriorConfig``);
3. network: STAN built from the config's ``model`` section at ``train.input_size`` (frozen HED
   trunks run on the frames here: in the workflow that forward pass is the feature-cache job),
   sliding windows of T = 4 through ``stan.predict.predict_clip`` (the predict stage's
   ``predict_frames``);
4. dense CRF: ``stan.crf.refine_map`` with the config's ``crf`` section, once per
   ``--crf-scales`` value (1 = full resolution as in the literature, 0.5 = the faster setting).

The configuration is config.yaml with ``--configfile`` files merged over it, as Snakemake does
(default: none, i.e. config.yaml, the CPU configuration for DAVIS); the ``prior``
section is used as well.

Without checkpoints the prior and STAN networks have random weights: their run time is the same
as trained ones (same layers, same sizes), their maps are meaningless, which does not matter
for timing. Frames: DAVIS ``bear`` when ../shared/data/DAVIS exists, else synthetic frames. One
warm-up pass on the first two frames; then every stage runs on all frames and its wall and CPU
seconds are divided by the number of frames. File reading and writing are not included.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import cv2

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (  # noqa: E402
    davis_frames,
    machine,
    markdown_table,
    merged_config,
    write_report,
)

PAPER = {"flow": 0.739, "prior": 0.823, "network": 0.102, "crf": 0.480}


def timed(fn):
    """(result, wall seconds, CPU seconds of this process)."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def build_stages(args, config: dict):
    import torch

    from stan.crf import CRFConfig, refine_map
    from stan.flow.cache import complete_last_frame
    from stan.flow.stage import pair_estimator
    from stan.io import to_uint8
    from stan.predict import predict_clip
    from stan.prior.config import PriorConfig
    from stan.prior.model import build_model as build_prior
    from stan.prior.model import load_checkpoint as load_prior
    from stan.prior.model import prior_map

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    estimate_flow = pair_estimator("dis", {"dis_preset": "medium"})
    if args.prior_checkpoint:
        prior_net, prior_cfg, _ = load_prior(args.prior_checkpoint, config["prior"], device)
    else:
        prior_cfg = PriorConfig.from_params(dict(config["prior"], alexnet_weights=""))
        prior_net = build_prior(prior_cfg).to(device).eval()
    if args.stan_checkpoint:
        stan, input_size = args.stan_checkpoint, None
    else:
        from stan.model.build import build_model

        model = dict(config["model"], variant="STAN")
        stan = build_model(model, load_backbone=False).to(device).eval()
        input_size = tuple(config["train"]["input_size"])

    def flow(frames):
        return complete_last_frame(estimate_flow(frames), frames[0].shape[:2])

    def prior(flows):
        return [prior_map(prior_net, f, prior_cfg, prior_cfg.batch_size) for f in flows]

    def network(frames, priors):
        return predict_clip(stan, frames, priors=priors, input_size=input_size, device=device)

    def crf(frames, maps, scale):
        cfg = CRFConfig.from_dict(dict(config["crf"], scale=scale))
        return [refine_map(f, to_uint8(m), cfg) for f, m in zip(frames, maps, strict=True)]

    return flow, prior, network, crf


def run_pipeline(stages, frames, crf_scales):
    """Run the stages on ``frames`` (the CRF once per scale); returns {stage: (wall s, CPU s)}."""
    flow, prior, network, crf = stages
    flows, *t_flow = timed(lambda: flow(frames))
    priors, *t_prior = timed(lambda: prior(flows))
    maps, *t_net = timed(lambda: network(frames, priors))
    times = {"flow": t_flow, "prior": t_prior, "network": t_net}
    for scale in crf_scales:
        times[f"crf scale {scale:g}"] = timed(lambda s=scale: crf(frames, maps, s))[1:]
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--frames", type=int, default=8)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--prior-checkpoint", default="")
    parser.add_argument("--stan-checkpoint", default="")
    parser.add_argument("--crf-scales", type=float, nargs="+", default=[1.0, 0.5])
    parser.add_argument("--configfile", nargs="*", default=[])
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    import torch

    torch.set_num_threads(args.threads)
    cv2.setNumThreads(args.threads)
    frames = davis_frames(args.frames)
    source = "DAVIS bear"
    if frames is None:
        from stan.data.synthetic import SyntheticConfig, render_video

        config = SyntheticConfig(n_frames=args.frames, height=480, width=854)
        frames, source = list(render_video(config, 0)[0]), "synthetic"
    config = merged_config(args.configfile)
    stages = build_stages(args, config)
    run_pipeline(stages, frames[:2], args.crf_scales)  # warm-up: allocations, lazy init
    load_before = os.getloadavg()[0]
    times = run_pipeline(stages, frames, args.crf_scales)
    load_after = os.getloadavg()[0]
    n = len(frames)
    rows = []
    for stage, (wall, cpu) in times.items():
        paper = PAPER["crf"] if stage.startswith("crf") else PAPER[stage]
        rows.append([stage, f"{wall / n:.3f}", f"{cpu / n:.3f}", f"{paper:.3f}"])
    for scale in args.crf_scales:
        used = [times[s] for s in ("flow", "prior", "network", f"crf scale {scale:g}")]
        wall_total, cpu_total = (sum(t[i] for t in used) / n for i in (0, 1))
        rows.append(
            [f"total, crf scale {scale:g}", f"{wall_total:.3f}", f"{cpu_total:.3f}", "2.144"]
        )
    height, width = frames[0].shape[:2]
    weights = (
        f"prior {'checkpoint ' + args.prior_checkpoint if args.prior_checkpoint else 'random'}, "
        f"STAN {'checkpoint ' + args.stan_checkpoint if args.stan_checkpoint else 'random'}"
    )
    text = "\n".join(
        [
            f"Inference pipeline at {width}x{height} ({source}, {n} frames; weights: {weights})",
            f"Configuration: config.yaml + {', '.join(args.configfile) or 'nothing'}; STAN input "
            f"{config['train']['input_size']}, model {config['model']}",
            f"Machine: {machine()}; load average {load_before:.1f} before, {load_after:.1f} "
            f"after (CPUs: {os.cpu_count()})",
            "",
            markdown_table(
                ["stage", "wall s/frame", "CPU s/frame", "paper s/frame (TITAN X GPU)"], rows
            ),
            "",
            "CPU s/frame counts every thread of this process; wall s/frame is what a user waits.",
        ]
    )
    write_report(args.out, text)


if __name__ == "__main__":
    main()
