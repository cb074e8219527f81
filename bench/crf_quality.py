"""Per-video max F and MAE of existing saliency maps before and after the dense CRF.

Usage:
    python bench/crf_quality.py --manifest results/manifests/davis.csv \\
        --maps results/saliency/davis/flow-magnitude [--videos bear dog] [--frame-step 4] \\
        [--setting NAME='{"normalize": "frame"}' ...] [--workers 2] [--out bench/out/crf_q.csv]

Trains nothing: it reads the maps a DAG run wrote (``<maps>/<video>/<frame>.png``) and the
frames and masks named by the manifest, refines every ``--frame-step``-th annotated frame of each
video with ``stan.crf.refine_map`` under each ``--setting`` (a JSON object of ``crf`` keys over
config.yaml's ``crf`` section; ``default`` is always run) and scores the maps with the project's
metrics (``stan.metrics``, PySODMetrics conventions: per-video max F is the best threshold of the
video's mean F curve). The video peak of ``normalize: video`` is taken over all maps of the video.
Printed: per setting, the mean over videos of max F and MAE, the largest per-video drop of max F
and the number of videos whose max F drops by more than 0.02; the CSV has one row per video and
setting. Use it on training (validation) videos to choose the ``crf`` section, never on test ones.

Nested choice on cross-validation folds: ``--fold-maps DIR_0 ... DIR_{K-1}`` (instead of
``--maps``) reads fold k's test videos (``stan.data.folds.fold_videos`` of the base manifest's
training videos) from DIR_k, e.g. ``results/saliency/davis-cv<k>/STAN``: maps of models that
never saw those videos. For each fold it then chooses a setting on the other folds' videos
(that fold's training sequences) and prints the choice with its score on the fold's own videos.
Rule: the highest mean max F among the settings that lower no video's max F by more than
``--max-drop``; settings within ``--tie`` of it are ranked by mean MAE.
"""

from __future__ import annotations

import argparse
import json
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import cv2
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import markdown_table, merged_config  # noqa: E402

from stan.crf import CRFConfig, refine_map, video_peak  # noqa: E402
from stan.data.folds import fold_videos  # noqa: E402
from stan.io import read_gray, read_image, read_mask, to_uint8  # noqa: E402
from stan.metrics import frame_scores, summarize_frames  # noqa: E402


def video_rows(job: tuple) -> list[dict]:
    video, frames, maps_dir, settings = job
    all_maps = sorted(Path(maps_dir, video).glob("*.png"))
    maps = {p.stem: p for p in all_maps}
    pairs = [
        (read_image(image), read_gray(maps[frame]), read_mask(gt)) for frame, image, gt in frames
    ]
    rows = []
    before = summarize_frames([frame_scores(m, gt) for _, m, gt in pairs])
    peak_cache: dict[float, float] = {}
    for name, cfg in settings.items():
        peak = None
        if cfg.normalize == "video":
            if cfg.peak_percentile not in peak_cache:
                peak_cache[cfg.peak_percentile] = video_peak(
                    [read_gray(p) for p in all_maps], cfg.peak_percentile
                )
            peak = peak_cache[cfg.peak_percentile]
        scores = []
        for image, saliency, gt in pairs:
            if image.shape[:2] != saliency.shape:
                image = cv2.resize(image, saliency.shape[::-1], interpolation=cv2.INTER_AREA)
            scores.append(frame_scores(to_uint8(refine_map(image, saliency, cfg, peak)), gt))
        after = summarize_frames(scores)
        rows.append(
            {
                "video": video,
                "setting": name,
                "n_frames": len(pairs),
                "maxF_before": before["maxF"],
                "maxF_after": after["maxF"],
                "MAE_before": before["MAE"],
                "MAE_after": after["MAE"],
            }
        )
    return rows


def choose(table: pd.DataFrame, max_drop: float, tie: float) -> str:
    """The setting chosen on ``table``'s videos (rule in the module docstring)."""
    means = table.groupby("setting", sort=False)[["maxF_after", "MAE_after", "drop"]].agg(
        {"maxF_after": "mean", "MAE_after": "mean", "drop": "max"}
    )
    safe = means[means["drop"] <= max_drop]
    if safe.empty:
        raise SystemExit(f"every setting lowers some video's max F by more than {max_drop}")
    near = safe[safe["maxF_after"] >= safe["maxF_after"].max() - tie]
    return str(near["MAE_after"].idxmin())


def nested_choice(table: pd.DataFrame, folds: list[list[str]], max_drop: float, tie: float):
    """Per fold: the setting chosen on the other folds' videos, scored on the fold's own."""
    rows = []
    for k, test in enumerate(folds):
        chosen = choose(table[~table["video"].isin(test)], max_drop, tie)
        own = table[table["video"].isin(test) & (table["setting"] == chosen)]
        rows.append(
            [
                str(k),
                chosen,
                f"{own['maxF_before'].mean():.3f}",
                f"{own['maxF_after'].mean():.3f}",
                f"{own['MAE_after'].mean():.3f}",
                f"{own['drop'].max():.3f}",
            ]
        )
    headers = ["fold", "chosen on the other folds", "maxF in", "maxF crf", "MAE crf", "worst drop"]
    print("Nested choice (each fold's setting chosen on its training sequences):")
    print(markdown_table(headers, rows))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--manifest", required=True)
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--maps", help="folder of <video>/<frame>.png maps")
    where.add_argument(
        "--fold-maps", nargs="+", help="one maps folder per fold, in fold order (nested choice)"
    )
    parser.add_argument("--max-drop", type=float, default=0.02)
    parser.add_argument("--tie", type=float, default=0.002)
    parser.add_argument("--videos", nargs="*", help="default: every video with a map folder")
    parser.add_argument("--frame-step", type=int, default=1)
    parser.add_argument("--setting", action="append", default=[], help="NAME='{\"key\": value}'")
    parser.add_argument("--configfile", nargs="*", default=[], help="overlays of config.yaml")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()

    base = merged_config(args.configfile)["crf"]
    settings = {"default": CRFConfig.from_dict(base)}
    for item in args.setting:
        name, _, values = item.partition("=")
        settings[name] = CRFConfig.from_dict({**base, **json.loads(values)})
    manifest = pd.read_csv(args.manifest, dtype=str, keep_default_na=False)
    manifest = manifest[manifest["gt"] != ""]
    folds = []
    if args.fold_maps:  # fold k's test videos, read from the k-th folder
        train = sorted(manifest.loc[manifest["split"] == "train", "video"].unique())
        folds = [fold_videos(train, len(args.fold_maps), k) for k in range(len(args.fold_maps))]
        maps_of = {v: d for d, test in zip(args.fold_maps, folds, strict=True) for v in test}
    else:
        maps_of = {v: args.maps for v in manifest["video"].unique()}
    videos = args.videos or sorted(v for v, d in maps_of.items() if Path(d, v).is_dir())
    missing = [v for v in videos if not Path(maps_of.get(v, ""), v).is_dir()]
    if missing:
        raise SystemExit(f"no maps for {missing} under {args.fold_maps or args.maps}")
    if folds and set(videos) != {v for test in folds for v in test}:
        raise SystemExit("--fold-maps needs every fold's videos (drop --videos)")
    jobs = []
    for video in videos:
        rows = manifest[manifest["video"] == video].iloc[:: args.frame_step]
        frames = list(zip(rows["frame"], rows["image"], rows["gt"], strict=True))
        jobs.append((video, frames, maps_of[video], settings))
    with ProcessPoolExecutor(args.workers) as pool:
        rows = [row for result in pool.map(video_rows, jobs) for row in result]
    table = pd.DataFrame(rows)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        table.to_csv(args.out, index=False)
    table["drop"] = table["maxF_before"] - table["maxF_after"]
    summary = []
    for name, group in table.groupby("setting", sort=False):
        summary.append(
            [
                name,
                f"{group['maxF_before'].mean():.3f}",
                f"{group['maxF_after'].mean():.3f}",
                f"{group['MAE_before'].mean():.3f}",
                f"{group['MAE_after'].mean():.3f}",
                f"{group['drop'].max():.3f} ({group.loc[group['drop'].idxmax(), 'video']})",
                str(int((group["drop"] > 0.02).sum())),
            ]
        )
    headers = ["setting", "maxF in", "maxF crf", "MAE in", "MAE crf", "worst drop", "> 0.02"]
    print(
        f"{len(videos)} videos, every {args.frame_step}th annotated frame, maps {args.maps or args.fold_maps}"
    )
    print(markdown_table(headers, summary))
    if folds:
        nested_choice(table, folds, args.max_drop, args.tie)


if __name__ == "__main__":
    main()
