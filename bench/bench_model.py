"""Benchmark of the STAN variants: training seconds per step, inference seconds per frame, peak memory.

Two settings:
  cpu   - the CPU configuration of davis-dev.yaml: frozen HED trunks with cached features
          (random tensors of the cached shape here), 128x224 input, batch 4 windows of T = 4,
          fusion at 1/4 resolution;
  paper - the paper's configuration: full fine-tuning of both VGG16 streams at 512x512, T = 4,
          fusion at full resolution (batch 1 window here).
Each (setting, variant, phase) runs in its own subprocess so that its peak resident memory
(ru_maxrss; on CUDA torch.cuda.max_memory_allocated) is its own. Timings are the median over
``--repeats`` runs after one warm-up. Weights are random (speed does not depend on them).

    .venv/bin/python bench/bench_model.py --settings cpu --repeats 5
    .venv/bin/python bench/bench_model.py --settings paper --repeats 3 \\
        --out bench/results/bench_model_paper.md
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine, markdown_table, write_report  # noqa: E402

VARIANTS = ["OS", "ST", "STC", "STL", "STLC", "STAN"]
SETTINGS = {
    "cpu": {
        "model": dict(
            frozen_backbone=True,
            branch_width=64,
            branch_channels=16,
            lstm_hidden=16,
            conv3d_channels=16,
            motion_encoder_channels=32,
            fusion_stride=4,
        ),
        "size": (128, 224),
        "batch": 4,
    },
    "paper": {"model": dict(frozen_backbone=False), "size": (512, 512), "batch": 1},
}


def measure(setting: str, variant: str, phase: str, repeats: int, threads: int) -> dict:
    import torch
    import torch.nn.functional as F

    from stan.model.build import build_model

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    spec = SETTINGS[setting]
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    model = build_model(dict(spec["model"], variant=variant, window=4, backbone_init="random")).to(
        device
    )
    h, w = spec["size"]
    t = model.cfg.frames_used
    n = spec["batch"] if phase == "train" else 1
    motion = torch.rand(n, t, 1, h, w, device=device)
    if model.cfg.frozen_backbone:
        frames = None
        feats = {
            k: torch.randn(n, t, 512, h // 8, w // 8, device=device).half()
            for k in ("pool4", "conv5")
        }
    else:
        frames = torch.rand(n, t, 3, h, w, device=device) * 255
        feats = None
    label = (torch.rand(n, 1, h, w, device=device) > 0.5).float()
    optimizer = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=1e-3)

    def train_step():
        loss = F.binary_cross_entropy_with_logits(model(frames, motion, feats), label)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    def infer_frame():
        # Steady-state sliding window: one new frame's maps plus one window head.
        with torch.no_grad():
            f1 = None if frames is None else frames[:, -1]
            x1 = {k: v[:, -1] for k, v in feats.items()} if feats is not None else None
            x = model.frame_maps(f1, motion[:, -1], x1)
            model.head(x[:, None].expand(-1, t, -1, -1, -1).contiguous(), (h, w))

    run = train_step if phase == "train" else infer_frame
    run()  # warm-up
    times = []
    for _ in range(repeats):
        if device.type == "cuda":
            torch.cuda.synchronize()
        start = time.perf_counter()
        run()
        if device.type == "cuda":
            torch.cuda.synchronize()
        times.append(time.perf_counter() - start)
    peak = (
        torch.cuda.max_memory_allocated() / 2**20
        if device.type == "cuda"
        else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    )
    per = "s/step" if phase == "train" else "s/frame"
    return {
        "setting": setting,
        "variant": variant,
        "phase": phase,
        "median": statistics.median(times),
        "unit": per,
        "runs": repeats,
        "batch_windows": n,
        "peak_mb": round(peak),
        "device": str(device),
        "threads": threads,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--settings", nargs="+", default=["cpu"], choices=sorted(SETTINGS))
    parser.add_argument("--variants", nargs="+", default=VARIANTS, choices=VARIANTS)
    parser.add_argument(
        "--phases", nargs="+", default=["train", "infer"], choices=["train", "infer"]
    )
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", default=None, help="Markdown report path")
    parser.add_argument(
        "--one", nargs=3, metavar=("SETTING", "VARIANT", "PHASE"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(*args.one, args.repeats, args.threads)))
        return
    print(
        f"# {platform.processor() or platform.machine()}, python {platform.python_version()}, {args.threads} threads",
        flush=True,
    )
    results = []
    for setting in args.settings:
        for variant in args.variants:
            for phase in args.phases:
                cmd = [
                    sys.executable,
                    __file__,
                    "--one",
                    setting,
                    variant,
                    phase,
                    "--repeats",
                    str(args.repeats),
                    "--threads",
                    str(args.threads),
                ]
                out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
                last = out.strip().splitlines()[-1]
                print(last, flush=True)
                results.append(json.loads(last))
    rows = {}
    for r in results:
        row = rows.setdefault(
            (r["setting"], r["variant"]), [r["setting"], r["variant"], r["device"]]
        )
        row += [f"{r['median']:.3f}", str(r["peak_mb"])]
    header = ["setting", "variant", "device"]
    for phase in args.phases:
        unit = "s/step" if phase == "train" else "s/frame"
        header += [f"{phase} {unit}", f"{phase} peak MB"]
    import torch

    torch.set_num_threads(args.threads)  # so that machine() names the threads the runs used
    lines = [
        "# STAN variants: training and inference speed",
        "",
        f"Machine: {machine()}. Command: `{' '.join(sys.argv)}`. Medians of {args.repeats} "
        "runs after one warm-up; peak MB is the resident set on CPU, allocated memory on CUDA.",
        "",
        markdown_table(header, list(rows.values())),
    ]
    write_report(args.out, "\n".join(lines))


if __name__ == "__main__":
    main()
