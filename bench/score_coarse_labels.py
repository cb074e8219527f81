"""How close are the coarse labels the workflow wrote to the true masks?

Reads ``results/coarse/<dataset>/label_sources.csv`` (rule ``coarse``) and the dataset's manifest;
every frame labelled ``coarse`` whose true mask is in the manifest (the sparse-label setting drops
ground truth that exists) is scored: J = IoU (1 when both are empty), F = F-measure with
beta^2 = 0.3 (0 when the mask is empty). Frames are averaged within a video, then videos.

    python bench/score_coarse_labels.py --dataset davis --out bench/results/coarse_labels_davis.md
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import REPO, markdown_table, write_report  # noqa: E402

from stan.data.manifest import load_manifest  # noqa: E402
from stan.io import read_mask  # noqa: E402
from stan.metrics.davis import jaccard  # noqa: E402
from stan.metrics.fmeasure import BETA2  # noqa: E402


def jf(label: np.ndarray, truth: np.ndarray) -> tuple[float, float]:
    """(J, F) of a binary label against a binary mask."""
    j = jaccard(label, truth)
    inter = float((label & truth).sum())
    if not truth.any():
        return j, 0.0
    precision = inter / label.sum() if label.any() else 0.0
    recall = inter / truth.sum()
    f = (1 + BETA2) * precision * recall / (BETA2 * precision + recall) if inter else 0.0
    return j, f


def score(dataset: str, results: Path) -> tuple[pd.DataFrame, dict]:
    table = pd.read_csv(results / "coarse" / dataset / "label_sources.csv", dtype=str)
    manifest = load_manifest(results / "manifests" / f"{dataset}.csv")
    truth = manifest.set_index(["video", "frame"])["gt"]
    coarse = table[table["source"] == "coarse"]
    rows = []
    for video, frames in coarse.groupby("video", sort=True):
        scores = [
            jf(read_mask(r.label_path), read_mask(truth[(video, r.frame)]))
            for r in frames.itertuples()
            if truth.get((video, r.frame), "")
        ]
        if scores:
            j, f = np.mean(scores, axis=0)
            rows.append({"video": video, "frames": len(scores), "J": j, "F": f})
    per_video = pd.DataFrame(rows)
    counts = table["source"].value_counts().to_dict()
    return per_video, counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dataset", default="davis")
    parser.add_argument("--results", default=str(REPO / "results"))
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    per_video, counts = score(args.dataset, Path(args.results))
    if per_video.empty:
        raise SystemExit("no coarse-labelled frame has a true mask to compare with")
    rows = [[r.video, r.frames, f"{r.J:.3f}", f"{r.F:.3f}"] for r in per_video.itertuples()]
    rows.append(
        [
            "mean over videos",
            int(per_video["frames"].sum()),
            f"{per_video['J'].mean():.3f}",
            f"{per_video['F'].mean():.3f}",
        ]
    )
    text = "\n".join(
        [
            f"Coarse labels written by the workflow for {args.dataset} "
            f"(label sources: {counts}), against the true masks:",
            "",
            markdown_table(["video", "frames scored", "J", "F"], rows),
        ]
    )
    write_report(args.out, text)


if __name__ == "__main__":
    main()
