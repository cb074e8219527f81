"""CPU speed and memory of FlowNet2, FlowNet2S and FlowNet2C against OpenCV DIS.

    .venv/bin/python bench/bench_flownet2.py --out results/bench/flownet2.md

Two DAVIS frames (bear 00000 and 00001 by default: blackswan, the golden-vector pair, is not
among the 30 training sequences in shared/data) are center-cropped to 448x832, the crop of the
golden reference, so no resize happens inside the estimator. Each method runs in its own
worker process (``--worker METHOD``) with ``--threads`` intra-op threads: the networks with the
synthetic weights of ``reference/flownet2/fill_weights.py`` (speed and memory do not depend on
the weight values) through ``FlowNet2Estimator.estimate`` with one pair, OpenCV DIS with
``DISOPTICAL_FLOW_PRESET_MEDIUM`` on the grey frames. One untimed warm-up run precedes
``--repeats`` timed runs; the table gives the median and the minimum in seconds per frame (one
flow field per frame pair).

Memory: the worker resets its peak resident set size (Linux ``/proc/self/clear_refs``) once the
method is ready and reads ``VmHWM`` after the runs, so "peak RSS" is the largest resident memory
of the whole process during estimation: interpreter, torch, weights and activations. "RSS ready"
is the resident memory just before (weights loaded), so peak minus ready approximates the working
memory of the forward pass. "RSS ready" also holds memory freed by the numpy weight filling but
not returned to the OS. Where clear_refs is not writable, the lifetime peak is reported.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("STAN_SHARED_DATA", REPO.parent / "shared" / "data"))
REFERENCE = REPO.parent / "shared" / "reference" / "flownet2"
NETWORKS = ("FlowNet2", "FlowNet2S", "FlowNet2C")
PAPER_NOTE = "Paper (STAN, sec. 4.6): FlowNet2 at 0.739 s/frame on a TITAN X GPU."


def _status_kb(field: str) -> int | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


def _reset_peak() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def load_frames(davis: Path, video: str, size: tuple[int, int]) -> list[np.ndarray]:
    """Frames 00000 and 00001 of ``video``, center-cropped (or resized when smaller) to ``size``."""
    import cv2

    from stan.io import read_image

    frames = []
    for name in ("00000", "00001"):
        image = read_image(davis / "JPEGImages" / "480p" / video / f"{name}.jpg")
        h, w = image.shape[:2]
        if h < size[0] or w < size[1]:
            image = cv2.resize(image, (size[1], size[0]), interpolation=cv2.INTER_AREA)
        else:
            top, left = (h - size[0]) // 2, (w - size[1]) // 2
            image = image[top : top + size[0], left : left + size[1]]
        frames.append(np.ascontiguousarray(image))
    return frames


def _prepare(method: str, threads: int, reference: Path):
    """A callable computing the flow of the frame pair with ``method``, and its weights in MB."""
    import cv2

    cv2.setNumThreads(threads)
    if method == "DIS":
        dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)

        def run(frames):
            grey = [cv2.cvtColor(f, cv2.COLOR_RGB2GRAY) for f in frames]
            return dis.calc(grey[0], grey[1], None)

        return run, 0.0
    import torch

    from stan.flow.flownet2 import FlowNet2Estimator, expected_shapes

    torch.set_num_threads(threads)
    sys.path.insert(0, str(reference))
    from fill_weights import fill_state_dict

    weights = fill_state_dict(expected_shapes(method))
    estimator = FlowNet2Estimator.from_state_dict(method, weights, device="cpu", batch_size=1)
    del weights
    size_mb = sum(p.numel() * p.element_size() for p in estimator.model.parameters()) / 2**20
    return estimator.estimate, size_mb


def worker(args: argparse.Namespace) -> None:
    frames = load_frames(args.davis, args.video, tuple(args.size))
    run, weights_mb = _prepare(args.worker, args.threads, args.reference)
    ready_kb = _status_kb("VmRSS")
    reset = _reset_peak()
    run(frames)  # warm-up
    times = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        run(frames)
        times.append(time.perf_counter() - start)
    peak_kb = _status_kb("VmHWM") if reset else None
    if peak_kb is None:
        import resource

        peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "method": args.worker,
                "times": times,
                "weights_mb": weights_mb,
                "ready_mb": (ready_kb or 0) / 1024,
                "peak_mb": peak_kb / 1024,
                "peak_is_lifetime": not reset,
            }
        )
    )


def table(results: list[dict], args: argparse.Namespace, load: str) -> str:
    dis = statistics.median(next(r for r in results if r["method"] == "DIS")["times"])
    lines = [
        f"FlowNet2 vs OpenCV DIS on CPU, {args.size[0]}x{args.size[1]}, {args.threads} threads, "
        f"DAVIS {args.video} 00000->00001; median of {args.repeats} runs after one warm-up.",
        "",
        "| method | s/frame (median) | s/frame (min) | x DIS | peak RSS MB | RSS ready MB "
        "| weights MB |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        med = statistics.median(r["times"])
        lines.append(
            f"| {r['method']} | {med:.3f} | {min(r['times']):.3f} | {med / dis:.1f} | "
            f"{r['peak_mb']:.0f}{' (lifetime)' if r['peak_is_lifetime'] else ''} | "
            f"{r['ready_mb']:.0f} | {r['weights_mb']:.0f} |"
        )
    lines += [
        "",
        f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"load average at start {load}; Python {platform.python_version()}.",
        "Synthetic (fill_weights.py) weights; float32; peak RSS is the whole worker process "
        "during the runs (interpreter + torch + weights + activations).",
        PAPER_NOTE,
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="write the Markdown table here")
    parser.add_argument("--models", nargs="+", default=list(NETWORKS), choices=list(NETWORKS))
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per network")
    parser.add_argument("--dis-repeats", type=int, default=20, help="timed runs of DIS")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--size", type=int, nargs=2, default=(448, 832), metavar=("H", "W"))
    parser.add_argument("--davis", type=Path, default=SHARED / "DAVIS")
    parser.add_argument("--video", default="bear")
    parser.add_argument("--reference", type=Path, default=REFERENCE)
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args)
        return
    if not (args.reference / "fill_weights.py").is_file():
        sys.exit(f"{args.reference}: fill_weights.py not found; pass --reference")
    if not (args.davis / "JPEGImages" / "480p" / args.video).is_dir():
        sys.exit(f"{args.davis}: DAVIS frames of {args.video!r} not found; pass --davis")
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    results = []
    for method in ["DIS", *args.models]:
        repeats = args.dis_repeats if method == "DIS" else args.repeats
        cmd = [sys.executable, __file__, "--worker", method, "--repeats", str(repeats)]
        cmd += ["--threads", str(args.threads), "--size", *map(str, args.size)]
        cmd += [
            "--davis",
            str(args.davis),
            "--video",
            args.video,
            "--reference",
            str(args.reference),
        ]
        print(f"running {method} ...", file=sys.stderr, flush=True)
        done = subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=REPO)
        results.append(json.loads(done.stdout.strip().splitlines()[-1]))
    report = table(results, args, load)
    print(report)
    if args.out:
        from stan.io import atomic_path

        with atomic_path(args.out) as tmp:
            tmp.write_text(report)


if __name__ == "__main__":
    main()
