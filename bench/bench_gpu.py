"""Timing of the paper's setting on a GPU: STAN training with full fine-tuning, FlowNet2 flow,
prediction. Run it on the GPU machine you plan to use and keep its Markdown report:

    .venv/bin/python bench/bench_gpu.py --out bench/results/gpu.md
    .venv/bin/python bench/bench_gpu.py --backbone hed \\
        --backbone-weights results/models/backbone/hed_vgg16.pt --amp --out bench/results/gpu_amp.md
    .venv/bin/python bench/bench_gpu.py --smoke          # seconds on a CPU: checks the script

Settings come from config.yaml with workflow/configs/paper.yaml merged over it (as
`--configfile` merges them): STAN with both VGG16 streams trained (model.frozen_backbone false)
at train.input_size (512x512), train.batch_size windows of model.window frames, Adam at train.lr.
Inputs are random tensors of the right shapes and the backbone starts from random weights (or
the converted HED VGG16 with --backbone hed): speed does not depend on the values.

- training: ``--steps`` optimisation steps after ``--warmup`` untimed ones; median seconds per step.
- FlowNet2: the full FlowNet2 stack with random weights on pairs of DAVIS-size frames (854x480,
  network input 448x832 as in the flow stage), flow.flownet2.batch_size pairs per forward;
  median seconds per frame over ``--repeats`` batches.
- prediction: steady-state sliding window as in stan.predict (one new frame through both streams,
  then the window head), predict.batch_size frames at once; median seconds per frame.

Projections (marked as such) multiply the measured rates by the paper's workload: train.steps
steps, the 3,455 DAVIS-2016 frames for flow, the 1,376 DAVIS val frames for prediction.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import REPO, machine, markdown_table, merged_config, write_report  # noqa: E402

DAVIS_FRAMES, DAVIS_VAL_FRAMES, DAVIS_SIZE = 3455, 1376, (480, 854)


def settings(smoke: bool) -> dict:
    config = merged_config([str(REPO / "workflow" / "configs" / "paper.yaml")])
    s = {
        "model": dict(config["model"], variant="STAN"),
        "size": tuple(config["train"]["input_size"]),
        "batch": config["train"]["batch_size"],
        "lr": config["train"]["lr"],
        "train_steps": config["train"]["steps"],
        "flow_batch": config["flow"]["flownet2"]["batch_size"],
        "flow_size": DAVIS_SIZE,
        "predict_batch": config["predict"]["batch_size"],
    }
    if smoke:  # the same code at sizes a CPU runs in seconds
        s.update(size=(32, 32), batch=1, flow_size=(64, 64), flow_batch=1, predict_batch=1)
    return s


class Timer:
    """Wall time of a block, waiting for queued CUDA work at both ends."""

    def __init__(self, device):
        self.device = device

    def sync(self):
        import torch

        if self.device.type == "cuda":
            torch.cuda.synchronize()

    def __call__(self, fn, repeats: int, warmup: int) -> list[float]:
        for _ in range(warmup):
            fn()
        times = []
        for _ in range(repeats):
            self.sync()
            start = time.perf_counter()
            fn()
            self.sync()
            times.append(time.perf_counter() - start)
        return times


def peak_memory(device) -> str:
    import torch

    if device.type != "cuda":
        return "-"
    peak = torch.cuda.max_memory_allocated(device) / 2**30
    torch.cuda.reset_peak_memory_stats(device)
    return f"{peak:.1f} GiB"


def stan_model(s: dict, args, device):
    from stan.model.build import build_model

    init = {"backbone_init": args.backbone, "backbone_weights": args.backbone_weights}
    if args.backbone == "random":
        init["backbone_weights"] = None
    return build_model({**s["model"], **init}).to(device)


def bench_training(s: dict, args, device, timer: Timer) -> dict:
    import torch
    import torch.nn.functional as F

    torch.manual_seed(0)
    model = stan_model(s, args, device).train()
    t, (h, w), n = model.cfg.frames_used, s["size"], s["batch"]
    frames = torch.rand(n, t, 3, h, w, device=device) * 255
    motion = torch.rand(n, t, model.cfg.motion_channels, h, w, device=device)
    label = (torch.rand(n, 1, h, w, device=device) > 0.5).float()
    optimizer = torch.optim.Adam(model.parameters(), lr=s["lr"])
    trained = sum(p.numel() for p in model.parameters() if p.requires_grad)

    def step():
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=args.amp):
            loss = F.binary_cross_entropy_with_logits(model(frames, motion), label)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    times = timer(step, args.steps, args.warmup)
    per_step = statistics.median(times)
    return {
        "stage": "STAN training, full fine-tuning",
        "setting": f"{h}x{w}, {n} windows x {t} frames, {trained / 1e6:.1f}M trained parameters",
        "median": per_step,
        "unit": "s/step",
        "runs": len(times),
        "memory": peak_memory(device),
        "projection": f"{s['train_steps']} steps (train.steps): {per_step * s['train_steps'] / 3600:.2f} h",
    }


def bench_flownet2(s: dict, args, device, timer: Timer) -> dict:
    import numpy as np

    from stan.flow.flownet2.estimator import FlowNet2Estimator
    from stan.flow.flownet2.registry import build_model

    weights = build_model("FlowNet2").state_dict()  # random weights, same speed
    estimator = FlowNet2Estimator.from_state_dict(
        "FlowNet2", weights, device=str(device), batch_size=s["flow_batch"]
    )
    rng = np.random.default_rng(0)
    frames = list(rng.integers(0, 256, (s["flow_batch"] + 1, *s["flow_size"], 3), np.uint8))
    times = timer(lambda: estimator.estimate(frames), args.repeats, args.warmup)
    per_frame = statistics.median(times) / s["flow_batch"]
    h, w = s["flow_size"]
    return {
        "stage": "FlowNet2 flow (random weights)",
        "setting": f"{w}x{h} frames, {s['flow_batch']} pairs per forward",
        "median": per_frame,
        "unit": "s/frame",
        "runs": len(times),
        "memory": peak_memory(device),
        "projection": f"{DAVIS_FRAMES} DAVIS frames: {per_frame * DAVIS_FRAMES / 60:.1f} min",
    }


def bench_prediction(s: dict, args, device, timer: Timer) -> dict:
    import torch

    torch.manual_seed(0)
    model = stan_model(s, args, device).eval()
    t, (h, w), n = model.cfg.frames_used, s["size"], s["predict_batch"]
    rgb = torch.rand(n, 3, h, w, device=device) * 255
    motion = torch.rand(n, model.cfg.motion_channels, h, w, device=device)

    def frames():
        with (
            torch.inference_mode(),
            torch.autocast(device.type, dtype=torch.bfloat16, enabled=args.amp),
        ):
            x = model.frame_maps(rgb, motion)
            model.head(x[:, None].expand(-1, t, -1, -1, -1).contiguous(), (h, w))

    times = timer(frames, args.repeats, args.warmup)
    per_frame = statistics.median(times) / n
    return {
        "stage": "STAN prediction",
        "setting": f"{h}x{w}, {n} frames per batch, sliding window of {t}",
        "median": per_frame,
        "unit": "s/frame",
        "runs": len(times),
        "memory": peak_memory(device),
        "projection": f"{DAVIS_VAL_FRAMES} DAVIS val frames: {per_frame * DAVIS_VAL_FRAMES / 60:.1f} min",
    }


def report(rows: list[dict], args, device) -> str:
    import torch

    cuda = torch.version.cuda or "none"
    table = markdown_table(
        ["stage", "setting", "median", "runs", "peak GPU memory", "projection (measured rate x workload)"],
        [
            [r["stage"], r["setting"], f"{r['median']:.4f} {r['unit']}", r["runs"], r["memory"],
             r["projection"]]
            for r in rows
        ],
    )  # fmt: skip
    mode = "SMOKE RUN at toy sizes: not the paper's setting, numbers mean nothing" if args.smoke else (
        "paper setting (config.yaml + workflow/configs/paper.yaml)"
    )  # fmt: skip
    lines = [
        "# GPU benchmark: bench/bench_gpu.py",
        "",
        f"- machine: {machine()}",
        f"- device: {device}; torch {torch.__version__}, CUDA {cuda}",
        f"- {mode}; backbone init {args.backbone}; bfloat16 autocast {'on' if args.amp else 'off'}",
        f"- command: `python bench/bench_gpu.py {' '.join(sys.argv[1:])}`",
        "",
        table,
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--steps", type=int, default=300, help="timed training steps")
    parser.add_argument("--repeats", type=int, default=20, help="timed flow / prediction batches")
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--backbone", choices=["random", "hed"], default="random")
    parser.add_argument("--backbone-weights", default="results/models/backbone/hed_vgg16.pt",
                        help="converted HED VGG16 (rule hed_weights) for --backbone hed")  # fmt: skip
    parser.add_argument("--amp", action="store_true", help="bfloat16 autocast (train.amp)")
    parser.add_argument("--device", default="auto", help="auto (CUDA when present), cuda or cpu")
    parser.add_argument("--stages", nargs="+", default=["train", "flow", "predict"],
                        choices=["train", "flow", "predict"])  # fmt: skip
    parser.add_argument("--smoke", action="store_true",
                        help="toy sizes, one run each, no warm-up: checks the script on a CPU")  # fmt: skip
    parser.add_argument("--out", default=None, help="Markdown report path")
    args = parser.parse_args()
    if args.smoke:
        args.steps, args.repeats, args.warmup = 1, 1, 0

    import torch

    cuda = torch.cuda.is_available()
    device = torch.device(
        "cuda" if args.device == "auto" and cuda else args.device.replace("auto", "cpu")
    )
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True
    elif not args.smoke:
        print("warning: no GPU; timing the paper setting on the CPU takes hours", file=sys.stderr)
    s, timer = settings(args.smoke), Timer(device)
    benches = {"train": bench_training, "flow": bench_flownet2, "predict": bench_prediction}
    rows = [benches[stage](s, args, device, timer) for stage in args.stages]
    write_report(args.out, report(rows, args, device))


if __name__ == "__main__":
    main()
