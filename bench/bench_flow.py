"""Seconds per frame of each OpenCV flow backend at 854x480, and the flow cache's disk cost.

Usage: python bench/bench_flow.py [--repeats 5] [--threads 2] [--out bench/out/flow.md]
Frames: DAVIS ``bear`` when ../shared/data/DAVIS exists, else synthetic frames at 854x480.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import cv2

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import davis_frames, machine, markdown_table, median_time, write_report  # noqa: E402

from stan.flow import opencv  # noqa: E402
from stan.flow.cache import complete_last_frame, save_flow  # noqa: E402
from stan.flow.stage import pair_estimator  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--frames", type=int, default=11)
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    cv2.setNumThreads(args.threads)
    import torch

    torch.set_num_threads(args.threads)

    frames = davis_frames(args.frames)
    source = "DAVIS bear"
    if frames is None:
        from stan.data.synthetic import SyntheticConfig, render_video

        frames = list(
            render_video(SyntheticConfig(n_frames=args.frames, height=480, width=854), 0)[0]
        )
        source = "synthetic"
    methods = ["dis", "farneback"] + (["tvl1"] if opencv.tvl1_available() else [])
    rows, flows = [], None
    for method in methods:
        estimate = pair_estimator(method, {"dis_preset": "medium"})
        seconds = median_time(lambda e=estimate: e(frames), repeats=args.repeats)
        per_frame = seconds / (len(frames) - 1)
        rows.append([method, f"{per_frame:.3f}"])
        if method == "dis":
            flows = complete_last_frame(estimate(frames), frames[0].shape[:2])
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "v.npz"
        save_flow(path, flows, [f"{i:05d}" for i in range(len(flows))])
        cache_mb = path.stat().st_size / len(flows) / 1e6
    text = "\n".join(
        [
            f"Flow backends at {frames[0].shape[1]}x{frames[0].shape[0]} ({source}, "
            f"{len(frames) - 1} pairs, median of {args.repeats} runs)",
            f"Machine: {machine()}; OpenCV threads {args.threads}",
            "",
            markdown_table(["method", "s/frame"], rows),
            "",
            f"Flow cache (DIS, int16 1/16 px, zlib): {cache_mb:.2f} MB/frame "
            f"(float32 would be {flows[0].nbytes / 1e6:.2f} MB/frame)",
            f"OpenCV TV-L1 available: {opencv.tvl1_available()}",
        ]
    )
    write_report(args.out, text)


if __name__ == "__main__":
    main()
