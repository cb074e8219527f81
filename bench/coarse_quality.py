"""How good are the coarse labels? Measured on DAVIS-2016 with FBMS-like sparse ground truth.

Setting (paper section 3.3 as this project reproduces it): ground truth is kept only on every
``--gt-every``-th frame of each video (positions 0, 20, 40, ...; FBMS labels every 20th frame);
fusion weights are fitted on those frames exactly as the pipeline's ``coarse`` stage does
(``stan.coarse.fusion``: up to ``--fit-frames`` of them, balanced pixel samples, non-negative
least squares); the remaining frames get coarse labels and are scored against their true masks.
To stay within about 15 minutes of a shared 2-core CPU, only every ``--eval-every``-th of the
frames that lack ground truth (per video) is scored.

Rows: each source alone, and uniform versus fitted fusion over several source sets. Besides the
four training-free image methods, a ``motion`` source is measured (unless ``--no-motion``): the
pipeline's ``flow-magnitude`` baseline (camera-compensated OpenCV DIS flow magnitude,
stan.baseline) computed here on the fly; in the pipeline it plugs in as a ``folder`` source on
``results/saliency/<dataset>/flow-magnitude`` once those maps exist for the training videos.
Columns:

- J and F of the binary label after Otsu's threshold (the paper's labels, before manual erasing:
  no erase files exist for DAVIS);
- J and F of the fused map thresholded at a fixed 0.5 instead of Otsu;
- J and F at one threshold per row fitted on the ground-truth frames (``coarse.threshold: fit``,
  the candidate of 0.02..0.98 with the best mean IoU there; the chosen value is listed);
- max F of the continuous fused map (best of 256 thresholds, one threshold per dataset).

J is the intersection over union (1 when both masks are empty, as in the DAVIS toolkit); F is the
F-measure with beta^2 = 0.3 (PySODMetrics conventions, stan.metrics: 0 when the ground truth is
empty). Scores are averaged over the frames of each video, then over videos. No manual erasing.

    .venv/bin/python bench/coarse_quality.py --out bench/out/coarse_quality.md
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import SHARED_DATA, machine, write_report  # noqa: E402

from stan.baseline.flow_magnitude import FlowMagnitudeConfig, flow_magnitude_saliency
from stan.coarse.fusion import binarise, fit_threshold, fit_weights, fuse, sample_pixels
from stan.coarse.resample import shrink, stretch
from stan.coarse.review import pick_evenly
from stan.coarse.sources import build_sources
from stan.coarse.stage import FIT_MAP_SIDE, plan_labels, source_maps
from stan.data.davis import index_davis
from stan.flow.opencv import dis
from stan.io import read_image, read_mask, to_uint8
from stan.metrics.davis import jaccard
from stan.metrics.fmeasure import pr_curves
from stan.metrics.prepare import prepare

DEFAULT_DAVIS = SHARED_DATA / "DAVIS"
ALL_SOURCES = ["mbd", "rbd", "ft", "sr"]
IMAGE_SOURCES = ["mbd", "rbd", "ft", "sr"]
# (row name, sources, weights): weights "fit", "uniform" or None for a single source
IMAGE_VARIANTS = [
    *[(name, [name], None) for name in IMAGE_SOURCES],
    ("uniform mbd+rbd+ft", ["mbd", "rbd", "ft"], "uniform"),
    ("fitted mbd+rbd+ft", ["mbd", "rbd", "ft"], "fit"),
    ("uniform mbd+rbd+ft+sr", IMAGE_SOURCES, "uniform"),
    ("fitted mbd+rbd+ft+sr", IMAGE_SOURCES, "fit"),
]
MOTION_VARIANTS = [
    ("motion", ["motion"], None),
    ("uniform mbd+rbd+motion", ["mbd", "rbd", "motion"], "uniform"),
    ("fitted mbd+rbd+motion", ["mbd", "rbd", "motion"], "fit"),
    ("fitted all five", [*IMAGE_SOURCES, "motion"], "fit"),
]


class MotionSource:
    """Flow-magnitude saliency of a frame from DIS flow to the next frame (the last frame uses
    the previous pair, the flow cache's convention)."""

    name = "motion"

    def __init__(self, manifest: pd.DataFrame):
        self.flow = dis("medium")
        self.pairs = {}
        for _, rows in manifest.groupby("video"):
            images = list(rows["image"])
            for i, (video, frame) in enumerate(zip(rows["video"], rows["frame"], strict=True)):
                j = i if i + 1 < len(images) else i - 1
                self.pairs[(video, frame)] = (images[j], images[j + 1]) if j >= 0 else None

    def __call__(self, image: np.ndarray, video: str, frame: str) -> np.ndarray:
        pair = self.pairs[(video, frame)]
        if pair is None:  # a one-frame video has no motion
            return np.zeros(image.shape[:2], np.float32)
        field = self.flow(read_image(pair[0]), read_image(pair[1]))
        return flow_magnitude_saliency(field, FlowMagnitudeConfig())


def progress(items: list, what: str, every: int = 25):
    """Yield ``items``, printing a progress line to stderr every ``every`` items."""
    start = time.perf_counter()
    for i, item in enumerate(items):
        if i % every == 0:
            elapsed = time.perf_counter() - start
            print(f"{what}: {i}/{len(items)} frames, {elapsed:.0f} s", file=sys.stderr, flush=True)
        yield item


def frame_scores(fused: np.ndarray, gt: np.ndarray, fitted: float) -> dict[str, object]:
    """J and F of the Otsu, fixed-0.5 and fitted-threshold labels, and the continuous F curve."""
    scores: dict[str, object] = {}
    for key, threshold in (("otsu", "otsu"), ("fixed", 0.5), ("fitted", fitted)):
        label = binarise(fused, threshold)
        scores[f"J {key}"] = jaccard(label, gt)
        # on a 0/255 map the strictest threshold of the curve is the label itself
        scores[f"F {key}"] = float(pr_curves(prepare(to_uint8(label), gt))[2][0])
    scores["curve"] = pr_curves(prepare(to_uint8(fused), gt))[2]
    return scores


def summarise(records: list[dict]) -> dict[str, float]:
    """Mean over frames of a video, then over videos; max F of the mean curve."""
    frame = pd.DataFrame(records)
    out = {}
    for key in ("J otsu", "F otsu", "J fixed", "F fixed", "J fitted", "F fitted"):
        out[key] = frame.groupby("video")[key].mean().mean()
    curves = [np.mean(np.stack(g["curve"].to_list()), axis=0) for _, g in frame.groupby("video")]
    out["maxF"] = float(np.mean(np.stack(curves), axis=0).max())
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--davis", type=Path, default=DEFAULT_DAVIS, help="DAVIS-2016 root")
    parser.add_argument("--gt-every", type=int, default=20, help="keep gt on every k-th frame")
    parser.add_argument("--eval-every", type=int, default=5, help="score every n-th coarse frame")
    parser.add_argument("--fit-frames", type=int, default=100, help="gt frames fitting weights")
    parser.add_argument("--fit-pixels", type=int, default=1000, help="pixels per class per frame")
    parser.add_argument("--videos", nargs="*", help="only these videos (default: all)")
    parser.add_argument("--no-motion", action="store_true", help="skip the motion source")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, required=True, help="Markdown file to write")
    args = parser.parse_args()

    if not (args.davis / "JPEGImages" / "480p").is_dir():
        sys.exit(f"{args.davis}: DAVIS-2016 not found; pass --davis or set STAN_SHARED_DATA")
    manifest = index_davis(args.davis, test_split=[])  # every video as training data
    if args.videos:
        manifest = manifest[manifest["video"].isin(args.videos)]
    plan = plan_labels(manifest, args.gt_every)
    sources = build_sources(IMAGE_SOURCES, "davis")
    variants = list(IMAGE_VARIANTS)
    if not args.no_motion:
        sources.append(MotionSource(manifest))
        variants += MOTION_VARIANTS
    all_sources = [s.name for s in sources]
    seconds = dict.fromkeys(all_sources, 0.0)
    n_computed = 0

    def maps_of(row) -> tuple[list[np.ndarray], np.ndarray]:
        nonlocal n_computed
        image = read_image(row.image)
        maps = []
        for source in sources:
            start = time.perf_counter()
            maps += source_maps([source], image, row.video, row.frame)
            seconds[source.name] += time.perf_counter() - start
        n_computed += 1
        return maps, read_mask(row.gt)

    # fusion weights, fitted on the frames that keep their ground truth (as the stage does)
    gt_rows = pick_evenly(
        list(plan[plan["source"] == "gt"].itertuples(index=False)), args.fit_frames
    )
    rng = np.random.default_rng(args.seed)
    xs, ys, small_maps, small_masks = [], [], [], []
    for row in progress(gt_rows, "fit"):
        maps, gt = maps_of(row)
        x, y = sample_pixels(maps, gt, args.fit_pixels, rng)
        xs.append(x)
        ys.append(y)
        small_maps.append([shrink(stretch(m), FIT_MAP_SIDE) for m in maps])
        small_masks.append(shrink(gt.astype(np.uint8) * 255, FIT_MAP_SIDE) > 127)
    x, y = np.concatenate(xs), np.concatenate(ys)
    weights, thresholds = {}, {}
    for name, names, mode in variants:
        columns = [all_sources.index(n) for n in names]
        if mode == "fit":
            weights[name] = fit_weights(x[:, columns], y)
        else:
            weights[name] = np.full(len(names), 1.0 / len(names))
        fused = [fuse([maps[c] for c in columns], weights[name]) for maps in small_maps]
        thresholds[name] = fit_threshold(fused, small_masks)

    # coarse labels of every eval-every-th frame without (kept) ground truth
    coarse = plan[plan["source"] == "coarse"].copy()
    coarse = coarse[coarse.groupby("video").cumcount() % args.eval_every == 0]
    records: dict[str, list[dict]] = {name: [] for name, _, _ in variants}
    for row in progress(list(coarse.itertuples(index=False)), "evaluate"):
        maps, gt = maps_of(row)
        for name, names, _ in variants:
            chosen = [maps[all_sources.index(n)] for n in names]
            scores = frame_scores(fuse(chosen, weights[name]), gt, thresholds[name])
            records[name].append({"video": row.video, **scores})

    lines = [
        "| labels | weights | J Otsu | F Otsu | J 0.5 | F 0.5 | fitted t | J fitted t "
        "| F fitted t | max F (continuous) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, names, _ in variants:
        s = summarise(records[name])
        w = ", ".join(f"{n} {v:.2f}" for n, v in zip(names, weights[name], strict=True))
        lines.append(
            f"| {name} | {w} | {s['J otsu']:.3f} | {s['F otsu']:.3f} | {s['J fixed']:.3f} "
            f"| {s['F fixed']:.3f} | {thresholds[name]:.2f} | {s['J fitted']:.3f} "
            f"| {s['F fitted']:.3f} | {s['maxF']:.3f} |"
        )
    timing = ", ".join(f"{n} {seconds[n] / n_computed:.3f}" for n in all_sources)
    header = [
        "# Coarse-label quality on DAVIS-2016 (sparse ground truth)",
        "",
        f"- command: `{' '.join([Path(sys.executable).name, *sys.argv])}`",
        f"- videos: {plan['video'].nunique()}; gt kept on every {args.gt_every}th frame "
        f"({len(plan) - len(plan[plan['source'] == 'coarse'])} frames); "
        f"weights fitted on {len(gt_rows)} of them ({len(y)} pixels); "
        f"{len(plan[plan['source'] == 'coarse'])} frames without gt, every {args.eval_every}th "
        f"scored: {len(coarse)} frames",
        "- J: IoU (1 if both empty); F: F-measure beta^2 = 0.3 (0 if gt empty); mean over frames "
        "of a video, then over videos; no manual erasing",
        "- J/F 0.5: fused map thresholded at 0.5 instead of Otsu; max F: the continuous fused "
        "map at its best single threshold (256 levels) over the dataset",
        f"- seconds per frame and source (854x480 frames): {timing}",
        f"- machine: {machine()} (shared with other jobs)",
        "",
    ]
    write_report(args.out, "\n".join(header + lines))


if __name__ == "__main__":
    main()
