"""Seconds per frame of the motion prior at 854x480 for the ``patch`` and ``pooled`` feature modes.

Timed per mode, median of ``--repeats`` runs after a warm-up, flow excluded (computed once with
OpenCV DIS on two DAVIS frames, ``bear`` 00000 -> 00001, or on a synthetic pair resized to 854x480
when DAVIS is absent), with ``--threads`` torch threads:

- ``superpixels``: resize the flow, colour image, SLIC, camera fit, handcrafted statistics
  (``stan.prior.frame.prepare_frame``);
- ``network``: AlexNet features and the scorer for every superpixel;
- ``total``: ``stan.prior.model.prior_map`` (all of the above plus the full-size 8-bit map).

A third row times ``patch`` with ref. 48's 227-pixel crops (once). The weights do not change the
cost, so untrained networks are timed. On a 2-core machine shared with other jobs, two torch
threads can be far slower than one (threads spin while the other waits for a core): the process
CPU time is reported next to the wall time for that reason. Quality is not measured here: the
prior's scores on unseen videos are the ``motion-prior`` row of the cross-validation table (DAG
target ``results/tables/davis_cv.csv``; ``prior.feature_mode: patch`` in an overlay compares the
modes there).

    .venv/bin/python bench/bench_prior.py --out bench/results/bench_prior.md
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import davis_frames, machine, markdown_table, write_report  # noqa: E402

from stan.data.synthetic import SyntheticConfig, render_video
from stan.flow.stage import pair_estimator
from stan.prior.config import PriorConfig
from stan.prior.frame import prepare_frame
from stan.prior.model import build_model, prior_map


def test_flow() -> tuple[np.ndarray, str]:
    frames = davis_frames(2)
    source = "DAVIS bear 00000->00001"
    if frames is None:
        video, _ = render_video(SyntheticConfig(n_frames=2), 0)
        frames = [cv2.resize(f, (854, 480), interpolation=cv2.INTER_LINEAR) for f in video]
        source = "synthetic pair resized to 854x480"
    return pair_estimator("dis", {})(frames)[0], source


def timed(fn, repeats: int) -> tuple[float, float]:
    """Median (wall, process CPU) seconds of ``fn()`` over ``repeats`` runs after a warm-up.

    CPU time counts every thread of this process; on a machine shared with other jobs it is a
    steadier measure of the work than wall time, which includes waiting for a core.
    """
    fn()
    wall, cpu = [], []
    for _ in range(repeats):
        w, c = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - w)
        cpu.append(time.process_time() - c)
    return statistics.median(wall), statistics.median(cpu)


def time_mode(flow: np.ndarray, params: dict, repeats: int) -> dict:
    cfg = PriorConfig.from_params(params)
    model = build_model(cfg).eval()
    frame = prepare_frame(flow, cfg)

    @torch.no_grad()
    def network():
        return model(frame, batch_size=cfg.batch_size)

    return {
        "superpixels": timed(lambda: prepare_frame(flow, cfg), repeats),
        "network": timed(network, repeats),
        "total": timed(lambda: prior_map(model, flow, cfg, cfg.batch_size), repeats),
        "n": frame.n,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=None)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--params", default="{}", help="JSON overrides of the prior config")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    params = json.loads(args.params)
    flow, source = test_flow()
    variants = {
        "patch": {"feature_mode": "patch"},
        "pooled": {"feature_mode": "pooled"},
        "patch, 227 px crops (ref. 48's input size)": {"feature_mode": "patch", "patch_size": 227},
    }
    results = {
        name: time_mode(flow, {**params, **v}, args.repeats if name in ("patch", "pooled") else 1)
        for name, v in variants.items()
    }

    def cell(pair):
        return f"{pair[0]:.3f} / {pair[1]:.3f}"

    rows = [
        [m, r["n"], cell(r["superpixels"]), cell(r["network"]), cell(r["total"])]
        for m, r in results.items()
    ]

    def ratio(part, i):
        return results["patch"][part][i] / results["pooled"][part][i]

    lines = [
        "# Motion prior: seconds per frame at 854x480",
        "",
        f"Machine: {machine()}. The machine is shared with other jobs, so these are upper bounds.",
        f"Command: `{' '.join(sys.argv)}`. Flow (excluded): {source}. "
        f"Median of {args.repeats} runs. Config overrides: `{json.dumps(params)}`.",
        "",
        "Each cell: wall seconds / process CPU seconds per frame (median).",
        "",
        markdown_table(["mode", "superpixels", "superpixels", "network", "total"], rows),
        "",
        f"pooled versus patch, network part: {ratio('network', 0):.1f}x faster in wall time, "
        f"{ratio('network', 1):.1f}x in CPU time; whole prior: {ratio('total', 0):.1f}x wall, "
        f"{ratio('total', 1):.1f}x CPU. The 227-pixel patch row is timed once (no repeats).",
    ]
    write_report(args.out, "\n".join(lines))


if __name__ == "__main__":
    start = time.perf_counter()
    main()
    print(f"bench_prior: {time.perf_counter() - start:.0f} s")
