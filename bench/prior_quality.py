"""How good is the motion prior? Max F-measure and MAE of its maps next to the ``flow-magnitude``
baseline, on (a) the built-in synthetic set and (b) a held-out part of DAVIS-2016.

Protocol. Flow is OpenCV DIS (``stan.flow.stage.pair_estimator("dis", {})``) from each scored
frame to the next. The prior is trained with the pipeline's own entry point
(``stan.prior.train.train_motion_prior``, default config unless ``--params`` overrides keys) on
the training videos, then scored on the held-out videos:

- synthetic: ``SyntheticConfig()`` (4 train videos, 2 val videos, 24 frames of 320x180); every
  frame is used.
- DAVIS: the 30 DAVIS-2016 training sequences; ``--holdout`` of them (every 5th in name order)
  are held out; to keep CPU time reasonable, training uses every ``--train-step``-th frame of the
  other sequences and scoring uses every ``--test-step``-th frame of the held-out ones.

Scores (stan.metrics, PySODMetrics conventions: 8-bit maps min-max stretched per frame, gt > 128):
max F (beta^2 = 0.3, 256 thresholds) of the per-video mean F curve, MAE per frame; both averaged
over frames within a video, then over videos. The baseline's maps are the lead's
``flow_magnitude_saliency(flow, FlowMagnitudeConfig())`` quantised to 8 bits.

    .venv/bin/python bench/prior_quality.py --out bench/results/prior_quality.md
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import SHARED_DATA, machine, markdown_table, write_report  # noqa: E402

from stan.baseline.flow_magnitude import FlowMagnitudeConfig, flow_magnitude_saliency
from stan.data.davis import index_davis
from stan.data.manifest import write_manifest
from stan.data.synthetic import SyntheticConfig, generate
from stan.flow.cache import load_flow, load_frames, save_flow
from stan.flow.stage import pair_estimator
from stan.io import read_image, read_mask, to_uint8
from stan.metrics.fmeasure import pr_curves
from stan.metrics.prepare import prepare
from stan.prior.model import load_checkpoint, prior_map
from stan.prior.train import train_motion_prior

log = logging.getLogger("prior_quality")


def subsample(manifest: pd.DataFrame, test_videos, train_step: int, test_step: int):
    """Manifest rows kept for the bench: every n-th frame, test videos marked ``test``."""
    parts = []
    for video, rows in manifest.groupby("video", sort=True):
        test = video in test_videos
        rows = rows.iloc[:: test_step if test else train_step].copy()
        rows["split"] = "test" if test else "train"
        parts.append(rows)
    return pd.concat(parts, ignore_index=True)


def cache_flows(full: pd.DataFrame, kept: pd.DataFrame, flow_root: Path) -> None:
    """DIS flow from each kept frame to the next frame of its video, one npz per video."""
    estimate = pair_estimator("dis", {})
    for video, rows in kept.groupby("video", sort=True):
        out = flow_root / f"{video}.npz"
        if out.is_file() and load_frames(out) == list(rows["frame"]):
            continue
        images = list(full.loc[full["video"] == video, "image"])
        ids = list(full.loc[full["video"] == video, "frame"])
        flows = []
        for frame in rows["frame"]:
            i = ids.index(frame)
            j = i + 1 if i + 1 < len(ids) else i - 1  # last frame: the previous pair's flow
            a, b = (i, j) if j > i else (j, i)
            flows.append(estimate([read_image(images[a]), read_image(images[b])])[0])
        save_flow(out, np.stack(flows), list(rows["frame"]))
        log.info("flow cached: %s (%d frames)", video, len(flows))


def video_scores(maps: list[np.ndarray], gts: list[np.ndarray]) -> tuple[float, float]:
    """(max F of the mean F curve, mean MAE) of one video's 8-bit maps."""
    curves, maes = [], []
    for pred, gt in zip(maps, gts, strict=True):
        pair = prepare(pred, gt)
        curves.append(pr_curves(pair)[2])
        maes.append(float(np.mean(np.abs(pair.pred - pair.gt))))
    return float(np.mean(curves, axis=0).max()), float(np.mean(maes))


def score_methods(kept: pd.DataFrame, flow_root: Path, methods: dict) -> dict:
    """{method: (maxF, MAE, seconds per frame)} over the test videos, averaged per video."""
    per_video = {name: [] for name in methods}
    seconds = dict.fromkeys(methods, 0.0)
    n_frames = 0
    for video, rows in kept[kept["split"] == "test"].groupby("video", sort=True):
        flow = load_flow(flow_root / f"{video}.npz")
        gts = [read_mask(p) for p in rows["gt"]]
        n_frames += len(gts)
        for name, fn in methods.items():
            start = time.perf_counter()
            maps = [fn(f) for f in flow]
            seconds[name] += time.perf_counter() - start
            per_video[name].append(video_scores(maps, gts))
    return {
        name: (*np.mean(per_video[name], axis=0), seconds[name] / max(n_frames, 1))
        for name in methods
    }


def run_dataset(name, full, test_videos, work: Path, args, params: dict) -> list[list]:
    kept = subsample(
        full,
        set(test_videos),
        args.train_step if name == "davis" else 1,
        args.test_step if name == "davis" else 1,
    )
    flow_root = work / name / "flow"
    cache_flows(full, kept, flow_root)
    manifest_csv = work / name / "manifest.csv"
    write_manifest(kept, manifest_csv)
    methods = {
        "flow-magnitude": lambda f: to_uint8(flow_magnitude_saliency(f, FlowMagnitudeConfig()))
    }
    train_info = {}
    for mode in args.modes:
        run_params = {**params, "feature_mode": mode}
        ckpt = work / name / f"prior-{mode}.pt"
        start = time.perf_counter()
        metrics = train_motion_prior(
            manifest_csv, flow_root, ckpt, work / name / f"prior-{mode}.jsonl", run_params
        )
        train_info[mode] = (time.perf_counter() - start, metrics["best_epoch"])
        for refine in ("none", "motion"):
            model, cfg, _ = load_checkpoint(ckpt, {**run_params, "refine": refine})
            methods[f"prior ({mode}, refine {refine})"] = lambda f, model=model, cfg=cfg: prior_map(
                model, f, cfg, cfg.batch_size
            )
    scores = score_methods(kept, flow_root, methods)
    n_train = int((kept["split"] == "train").sum())
    n_test = int((kept["split"] == "test").sum())
    rows = []
    for method, (maxf, mae, spf) in scores.items():
        mode = method[len("prior (") :].split(",")[0] if method.startswith("prior") else None
        trained = f"{train_info[mode][0]:.0f} s, best epoch {train_info[mode][1]}" if mode else "-"
        rows.append(
            [
                name,
                method,
                f"{maxf:.3f}",
                f"{mae:.3f}",
                f"{spf:.3f}",
                trained,
                f"{n_train} / {n_test}",
            ]
        )
    return rows


def dataset_frames(name: str, work: Path, holdout: int):
    """(full manifest, held-out videos) of ``synthetic`` or ``davis``; None when absent."""
    if name == "synthetic":
        root = work / "synthetic" / "data"
        if not root.is_dir():
            generate(SyntheticConfig(), root)
        full = index_davis(root, "val")
        return full, sorted(full.loc[full["split"] == "test", "video"].unique())
    root = SHARED_DATA / "DAVIS"
    if not root.is_dir():
        log.warning("%s absent: skipping DAVIS", root)
        return None
    videos = sorted(p.name for p in (root / "JPEGImages" / "480p").iterdir())
    full = index_davis(root, videos[:1])  # the split is reassigned by subsample()
    return full, videos[:: max(1, len(videos) // holdout)][:holdout]


HEADER = [
    "dataset",
    "method",
    "max F",
    "MAE",
    "s/frame (map only)",
    "training",
    "frames train / scored",
]


def quality_rows(
    params: dict, work: Path, modes, datasets=("davis",), holdout=6, train_step=3, test_step=5
) -> str:
    """The quality table (Markdown) of the given prior modes and the baseline."""
    args = argparse.Namespace(modes=list(modes), train_step=train_step, test_step=test_step)
    rows = []
    for name in datasets:
        found = dataset_frames(name, work, holdout)
        if found is None and name == "davis" and "synthetic" not in datasets:
            found, name = dataset_frames("synthetic", work, holdout), "synthetic"
        if found is None:
            continue
        full, test_videos = found
        log.info("%s: held out %s", name, test_videos)
        rows += run_dataset(name, full, test_videos, work, args, params)
    return markdown_table(HEADER, rows)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=None, help="Markdown report path")
    parser.add_argument("--work", default="/tmp/stan-prior-bench", help="flows, checkpoints")
    parser.add_argument("--datasets", nargs="+", default=["synthetic", "davis"])
    parser.add_argument("--modes", nargs="+", default=["pooled", "patch"])
    parser.add_argument("--holdout", type=int, default=6, help="DAVIS sequences held out")
    parser.add_argument("--train-step", type=int, default=3, help="DAVIS training frame step")
    parser.add_argument("--test-step", type=int, default=5, help="DAVIS scored frame step")
    parser.add_argument("--params", default="{}", help="JSON overrides of the prior config")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    torch.set_num_threads(args.threads)
    params = json.loads(args.params)
    t0 = time.perf_counter()
    table = quality_rows(
        params,
        Path(args.work),
        args.modes,
        args.datasets,
        args.holdout,
        args.train_step,
        args.test_step,
    )
    text = "\n".join(
        [
            "# Motion prior quality versus the flow-magnitude baseline",
            "",
            f"Machine: {machine()} (shared with other jobs: timings are indicative).",
            f"Command: `{' '.join(sys.argv)}`; prior config overrides: `{json.dumps(params)}`.",
            f"DAVIS: {args.holdout} sequences held out, training frame step {args.train_step}, "
            f"scored frame step {args.test_step}. Total wall time {time.perf_counter() - t0:.0f} s.",
            "",
            table,
        ]
    )
    write_report(args.out, text)


if __name__ == "__main__":
    main()
