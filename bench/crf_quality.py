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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--manifest", required=True)
    parser.add_argument("--maps", required=True, help="folder of <video>/<frame>.png maps")
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
    videos = args.videos or sorted(
        v for v in manifest["video"].unique() if Path(args.maps, v).is_dir()
    )
    jobs = []
    for video in videos:
        rows = manifest[manifest["video"] == video].iloc[:: args.frame_step]
        frames = list(zip(rows["frame"], rows["image"], rows["gt"], strict=True))
        jobs.append((video, frames, args.maps, settings))
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
    print(f"{len(videos)} videos, every {args.frame_step}th annotated frame, maps {args.maps}")
    print(markdown_table(headers, summary))


if __name__ == "__main__":
    main()
