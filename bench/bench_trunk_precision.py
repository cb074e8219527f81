"""Frozen VGG16 trunk forward (what rule feature_cache runs) in float32 against bfloat16.

Usage: python bench/bench_trunk_precision.py [--sizes 128x224 192x336] [--batch 4]
                                             [--threads 2] [--repeats 3] [--out FILE]

The feature cache is the largest CPU cost of the frozen setting before training (about half an
hour for the 30 DAVIS training sequences at 128x224). bfloat16 autocast with channels_last
tensors is much faster on CPUs with native bfloat16 arithmetic (AVX512-BF16 or AMX); on others
oneDNN emulates it. This script times one batch of frames through the trunk both ways, with
``stan.inputs.features.trunk_features`` (the feature cache's float32 path and ``stan predict
--precision bfloat16``), on the machine it runs on (medians over ``--repeats`` after a
warm-up) and reports the relative error of the bfloat16 features (||bf16 - fp32|| / ||fp32|| per level), so that the cache's precision
is chosen by measurement on the machine at hand. Random weights are used when the converted
HED weights are absent: the time does not depend on the weights' values, the error barely does.
"""

from __future__ import annotations

import argparse
import copy
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import REPO, davis_frames, machine, markdown_table, median_time, write_report  # noqa: E402

from stan.inputs.features import TrunkSettings, build_trunk, trunk_features  # noqa: E402
from stan.inputs.frames import resize_rgb  # noqa: E402
from stan.model.vgg import VGG16Trunk  # noqa: E402
from stan.report.machine import cpu_flags  # noqa: E402

BF16_FLAGS = ("avx512_bf16", "amx_bf16", "amx_tile", "avx512f", "avx2")

HED_WEIGHTS = REPO / "results" / "models" / "backbone" / "hed_vgg16.pt"


def build(weights: Path) -> tuple[VGG16Trunk, str]:
    """The trunk the feature cache builds, or a random one when the HED weights are absent."""
    if weights.is_file():
        return build_trunk(TrunkSettings(backbone_weights=str(weights))), f"HED ({weights})"
    trunk = VGG16Trunk(in_channels=3).eval().requires_grad_(False)
    return trunk, "random (converted HED weights absent)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", nargs="+", default=["128x224", "192x336"])
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--weights", default=str(HED_WEIGHTS))
    parser.add_argument("--out", default=None, help="Markdown report path")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    trunk, source = build(Path(args.weights))
    trunk_cl = copy.deepcopy(trunk).to(memory_format=torch.channels_last)  # as stan predict does
    norm = TrunkSettings().norm
    frames = davis_frames(args.batch)
    rows = []
    for size in args.sizes:
        h, w = (int(v) for v in size.split("x"))
        if frames is not None:
            batch = torch.stack(
                [torch.from_numpy(resize_rgb(f, (h, w))).permute(2, 0, 1) for f in frames]
            ).float()
        else:
            batch = torch.rand(args.batch, 3, h, w, generator=torch.Generator().manual_seed(0))
            batch = batch * 255.0

        def fp32(batch=batch):
            return trunk_features(trunk, batch, norm)

        def bf16(batch=batch):
            return trunk_features(trunk_cl, batch, norm, bfloat16=True)

        t32 = median_time(fp32, repeats=args.repeats)
        t16 = median_time(bf16, repeats=args.repeats)
        ref, low = fp32(), bf16()
        err = {k: float((low[k].float() - ref[k]).norm() / ref[k].norm()) for k in ref}
        rows.append(
            [
                size,
                f"{t32 / args.batch:.3f}",
                f"{t16 / args.batch:.3f}",
                f"{t32 / t16:.2f}x",
                ", ".join(f"{k} {v:.4f}" for k, v in err.items()),
            ]
        )
    header = ["input", "fp32 s/frame", "bf16 s/frame", "fp32 / bf16", "bf16 relative error"]
    text = "\n".join(
        [
            "# Frozen VGG16 trunk: float32 against bfloat16 + channels_last",
            "",
            f"Machine: {machine()}; bfloat16-related CPU flags: "
            f"{' '.join(cpu_flags(BF16_FLAGS)) or 'none'}.",
            f"Weights: {source}; frames: {'DAVIS bear' if frames is not None else 'random'}, "
            f"batch {args.batch}; medians of {args.repeats} runs after one warm-up.",
            "",
            markdown_table(header, rows),
        ]
    )
    write_report(args.out, text)


if __name__ == "__main__":
    main()
