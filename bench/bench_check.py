"""Cost of the data stage's checks on the team's 30 DAVIS-2016 sequences.

Usage: python bench/bench_check.py [--threads 1] [--repeats 3] [--out bench/out/check.md]

Timed (median of ``--repeats`` runs, wall seconds): indexing the dataset (``index_davis``, what
the manifest rule does besides writing the CSV, split files included), and the full decode of
every frame and mask that the ``check_frames`` and ``check_masks`` jobs do (over all videos, with
``--threads`` decoding threads, as one job per video gets from its rule). The start-up of each
check job (a Python process importing the package, about a second) comes on top.
The load average is printed because a shared machine inflates wall times.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import SHARED_DATA, machine, markdown_table, median_time, write_report  # noqa: E402

from stan.data.check import check_frames, check_masks  # noqa: E402
from stan.data.davis import index_davis  # noqa: E402


def check_video(rows, threads: int) -> None:
    sizes = check_frames(rows, "data.davis.root", threads=threads)
    check_masks(rows, dict(zip(rows["frame"], sizes, strict=True)), "data.davis.root", threads)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", default="")
    args = parser.parse_args()
    root = SHARED_DATA / "DAVIS"
    if not (root / "JPEGImages" / "480p").is_dir():
        sys.exit(f"{root}: DAVIS not found (set STAN_SHARED_DATA)")
    videos = sorted(p.name for p in (root / "JPEGImages" / "480p").iterdir() if p.is_dir())
    df = index_davis(root, videos[:1])
    index_s = median_time(lambda: index_davis(root, videos[:1]), args.repeats)
    check_s = median_time(
        lambda: [check_video(rows, args.threads) for _, rows in df.groupby("video")],
        args.repeats,
    )
    n_files = len(df) + int((df["gt"] != "").sum())
    rows = [
        ["index (manifest)", f"{index_s:.2f}", "-"],
        [
            f"decode and check every frame and mask ({n_files} files)",
            f"{check_s:.1f}",
            f"{1000 * check_s / n_files:.1f}",
        ],
    ]
    text = "\n".join(
        [
            f"# Data-stage checks: {df['video'].nunique()} DAVIS sequences, {len(df)} frames",
            "",
            markdown_table(["step", "wall s (median)", "ms per file"], rows),
            "",
            f"{args.threads} decoding thread(s), median of {args.repeats} runs; "
            f"load average {os.getloadavg()[0]:.1f}; {machine()}",
        ]
    )
    write_report(args.out, text)


if __name__ == "__main__":
    main()
