"""Seconds per frame of `stan predict --crf` on an 854x480 clip, per stage, and its peak memory.

Usage: python bench/bench_predict_cli.py [--model BUNDLE] [--video bear] [--frames 80]
       [--repeats 3] [--threads 2] [--settings exact fast bf16 ens3 ens3-unshared]
       [--members A.pt B.pt C.pt] [--out bench/results/predict_cli.md]
       [--quality-videos bus drift-turn] [--quality-frames 40]

Each setting runs the command's own pipeline (``stan.cli.pipeline.VideoPredictor``, what
``stan predict`` calls) on the first ``--frames`` frames of a DAVIS-2016 sequence, in a fresh
child process per run, so that every run's peak resident memory (the process and its CRF
worker processes) is its own. Frames are decoded before timing; PNG writing is not included.

* ``exact``: the workflow's numerics (float32 VGG16 trunk, the bundle's CRF settings, by
  default full resolution);
* ``fast``: ``--crf-scale 0.5`` (CRF on a half-size grid);
* ``bf16``: ``--crf-scale 0.5 --precision bfloat16`` (and the VGG16 trunk in bfloat16 with
  channels-last memory: faster only on CPUs with bfloat16 instructions, e.g. AVX512-BF16/AMX);
* ``ens3``: ``stan predict A.pt B.pt C.pt`` (``stan.cli.pipeline.EnsemblePredictor``), a seed
  ensemble of the ``--members`` bundles (default: ``--model`` three times), exact numerics: one
  flow, one prior, one pass of the shared frozen trunk, three passes of the heads;
* ``ens3-unshared``: the same ensemble with each member running the frozen trunk itself (the
  command before the trunk was shared), the comparison for ``ens3``.

Without ``--model`` the bundle is built here from networks with random weights in
config.yaml's CPU configuration (STAN at 128x224 on the frozen HED VGG16,
the default motion prior, DIS flow, config.yaml's CRF): run time does not depend on the weights
(same layers, same sizes, fixed CRF iterations), the maps are meaningless. Needs the HED weights
(``--backbone``; default ``results/models/backbone/hed_vgg16.pt``, rule hed_weights).

``--quality-videos``: on the first ``--quality-frames`` frames of those sequences, the max F (mean over videos of each video's best-threshold F, the table's
``maxF``) of the CRF maps of ``exact`` and ``fast`` on those DAVIS sequences. With a random
model the CRF refines the flow-magnitude baseline's maps instead (the motion baseline of the
workflow, ``stan.baseline``), which isolates the CRF-scale lever; the bfloat16 lever is then
reported as the largest 8-bit difference between the two settings' network maps.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import REPO, SHARED_DATA, machine, markdown_table, merged_config, write_report  # noqa: E402

SETTINGS = {
    "exact": {"precision": "float32", "crf": None},
    "fast": {"precision": "float32", "crf": {"scale": 0.5}},
    "bf16": {"precision": "bfloat16", "crf": {"scale": 0.5}},
    "ens3": {"precision": "float32", "crf": None, "members": 3, "share_trunk": True},
    "ens3-unshared": {"precision": "float32", "crf": None, "members": 3, "share_trunk": False},
}
STAGES = ("flow", "prior", "network", "crf")


def frames_of(video: str, n: int):
    from stan.io import read_image

    files = sorted((SHARED_DATA / "DAVIS" / "JPEGImages" / "480p" / video).glob("*.jpg"))[:n]
    if len(files) < 2:
        raise SystemExit(f"DAVIS sequence {video!r} not found under {SHARED_DATA / 'DAVIS'}")
    return [read_image(f) for f in files], [f.stem for f in files]


def random_bundle(path: Path, backbone: str) -> None:
    """A bundle of randomly initialised networks in config.yaml's CPU configuration (timing only)."""
    import torch

    from stan.inputs.features import trunk_fingerprint
    from stan.model.build import build_model
    from stan.predict.bundle import write_bundle
    from stan.prior.config import PriorConfig
    from stan.prior.model import build_model as build_prior
    from stan.prior.model import save_checkpoint as save_prior
    from stan.runtime import save_checkpoint

    config = merged_config([])
    model_cfg = {**config["model"], "variant": "STAN", "backbone_weights": backbone}
    torch.manual_seed(0)
    model = build_model(model_cfg)
    stan = {
        "model": model.state_dict(), "model_config": model.cfg.to_dict(), "step": 0,
        "input_size": list(config["train"]["input_size"]), "train_config": {"frame_step": 1},
        "fingerprint": trunk_fingerprint(model.spatial_trunk), "metrics": {},
    }  # fmt: skip
    save_checkpoint(path.with_suffix(".stan.pt"), "stan-model", stan)
    prior_cfg = PriorConfig.from_params(dict(config["prior"], alexnet_weights=""))
    save_prior(path.with_suffix(".prior.pt"), build_prior(prior_cfg), prior_cfg, 0, {})
    write_bundle(
        path.with_suffix(".stan.pt"), path.with_suffix(".prior.pt"), path,
        dataset="random weights", flow=config["flow"], crf=config["crf"],
    )  # fmt: skip


def child(args) -> None:
    """One timed run in this process; prints a JSON line (seconds per stage, peak RSS MB)."""
    import cv2
    import numpy as np
    import torch

    from stan.cli.pipeline import EnsemblePredictor, VideoPredictor
    from stan.predict.bundle import read_bundle

    torch.set_num_threads(args.threads)
    cv2.setNumThreads(args.threads)
    setting = SETTINGS[args.child]
    frames, names = frames_of(args.video, args.frames)
    n = setting.get("members", 1)
    models = (args.members or [args.model] * n)[:n] if n > 1 else [args.model]
    members = [
        VideoPredictor(
            read_bundle(model),
            device="cpu",
            backbone_weights=args.backbone,
            crf=setting["crf"],
            precision=setting["precision"],
            workers=args.threads,
        )
        for model in models
    ]
    predictor = members[0] if n == 1 else EnsemblePredictor(members)
    if n > 1 and not setting["share_trunk"]:
        predictor.trunk_source = list(range(n))
    predictor.predict(frames[: members[0].batch_size], crf=True)  # warm-up: lazy init, kernels
    result = predictor.predict(frames, crf=True)
    peak = max(
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
    )
    if args.save_maps:
        np.savez_compressed(args.save_maps, maps=np.stack(result.maps), crf=np.stack(result.crf))
    print(json.dumps({"seconds": result.seconds, "frames": len(frames), "peak_mb": peak / 1024}))


def run_child(args, setting: str, save_maps: str = "", video: str = "", frames: int = 0) -> dict:
    cmd = [
        sys.executable, __file__, "--child", setting, "--model", args.model,
        "--backbone", args.backbone, "--video", video or args.video, "--frames", str(frames or args.frames),
        "--threads", str(args.threads), "--save-maps", save_maps,
        *(["--members", *args.members] if args.members else []),
    ]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(REPO), "TQDM_DISABLE": "1"}
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    if done.returncode:
        raise SystemExit(done.stderr[-3000:])
    result = json.loads(done.stdout.strip().splitlines()[-1])
    print(setting, video or args.video, json.dumps(result), file=sys.stderr, flush=True)
    return result


def max_f(maps, gt_paths) -> float:
    """The table's maxF of one video: best threshold of the mean-over-frames F curve."""
    from stan.io import read_mask
    from stan.metrics import frame_scores, mean_curves

    curves = mean_curves(
        [frame_scores(m, read_mask(p)) for m, p in zip(maps, gt_paths, strict=True)]
    )
    return float(curves["fmeasure"].max())


def quality(args, random_model: bool, work: Path) -> list[str]:
    import numpy as np

    lines, rows, worst = [], [], 0
    per_setting = {s: [] for s in args.settings}
    for video in args.quality_videos:
        frames, names = frames_of(video, args.quality_frames)
        gt = [SHARED_DATA / "DAVIS" / "Annotations" / "480p" / video / f"{n}.png" for n in names]
        maps = {}
        for setting in args.settings:
            out = work / f"{video}-{setting}.npz"
            run_child(args, setting, str(out), video, args.quality_frames)
            maps[setting] = np.load(out)
        if random_model:  # refine the motion baseline's maps with each setting's CRF
            from stan.baseline.flow_magnitude import FlowMagnitudeConfig, flow_magnitude_saliency
            from stan.cli.pipeline import _refine
            from stan.crf.config import CRFConfig
            from stan.flow.cache import complete_last_frame
            from stan.flow.stage import pair_estimator
            from stan.io import to_uint8

            config = merged_config([])
            flows = complete_last_frame(
                pair_estimator("dis", config["flow"])(frames), frames[0].shape[:2]
            )
            baseline = FlowMagnitudeConfig(**config["baseline"])
            base = [to_uint8(flow_magnitude_saliency(f, baseline)) for f in flows]
            for setting in args.settings:
                cfg = CRFConfig.from_dict({**config["crf"], **(SETTINGS[setting]["crf"] or {})})
                refined = [_refine((f, m, cfg)) for f, m in zip(frames, base, strict=True)]
                per_setting[setting].append(max_f(refined, gt))
            diff = np.abs(
                maps[args.settings[0]]["maps"].astype(int)
                - maps[args.settings[-1]]["maps"].astype(int)
            ).max()
            worst = max(worst, int(diff))
        else:
            for setting in args.settings:
                per_setting[setting].append(max_f(list(maps[setting]["crf"]), gt))
        rows.append([video, *(f"{per_setting[s][-1]:.4f}" for s in args.settings)])
    rows.append(["mean", *(f"{statistics.mean(per_setting[s]):.4f}" for s in args.settings)])
    what = "flow-magnitude baseline + CRF" if random_model else "STAN + CRF"
    lines += [
        "",
        f"Max F of {what} maps (first {args.quality_frames} frames of each sequence):",
        "",
    ]
    lines.append(markdown_table(["sequence", *args.settings], rows))
    if random_model:
        lines += ["", f"Largest 8-bit difference between the settings' network maps (random "
                  f"weights; {args.settings[0]} against {args.settings[-1]}): {worst}"]  # fmt: skip
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", default="")
    parser.add_argument("--backbone", default=str(REPO / "results/models/backbone/hed_vgg16.pt"))
    parser.add_argument("--video", default="bear")
    parser.add_argument("--frames", type=int, default=80)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--settings", nargs="+", default=["exact", "fast", "bf16"],
                        choices=list(SETTINGS))  # fmt: skip
    parser.add_argument("--members", nargs="*", default=[],
                        help="bundles of the ens3 settings (default: --model three times)")  # fmt: skip
    parser.add_argument("--quality-videos", nargs="*", default=[])
    parser.add_argument("--quality-frames", type=int, default=40)
    parser.add_argument("--out", default=None)
    parser.add_argument("--child", default="", help=argparse.SUPPRESS)
    parser.add_argument("--save-maps", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.members and len(args.members) != SETTINGS["ens3"]["members"]:
        parser.error(f"--members takes {SETTINGS['ens3']['members']} bundles (the ens3 settings' "
                     f"ensemble), got {len(args.members)}")  # fmt: skip
    if args.child:
        child(args)
        return
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        random_model = not args.model
        if random_model:
            args.model = str(work / "random.pt")
            random_bundle(Path(args.model), args.backbone)
        size_mb = Path(args.model).stat().st_size / 2**20
        load_before = os.getloadavg()[0]
        runs = {s: [run_child(args, s) for _ in range(args.repeats)] for s in args.settings}
        load_after = os.getloadavg()[0]
        rows = []
        for setting, results in runs.items():
            n = results[0]["frames"]
            per = {st: statistics.median(r["seconds"][st] / n for r in results) for st in STAGES}
            total = statistics.median(sum(r["seconds"].values()) / n for r in results)
            peak = max(r["peak_mb"] for r in results)
            rows.append(
                [setting, *(f"{per[st]:.3f}" for st in STAGES), f"{total:.3f}", f"{peak:.0f}"]
            )
        quality_lines = quality(args, random_model, work) if args.quality_videos else []
    text = "\n".join(
        [
            f"`stan predict --crf` pipeline on DAVIS {args.video}, first {args.frames} frames at "
            f"854x480; model: {'random weights, config.yaml CPU configuration' if random_model else args.model}",
            f"Machine: {machine()}; {args.threads} threads; load average {load_before:.1f} before, "
            f"{load_after:.1f} after (CPUs: {os.cpu_count()}); medians of {args.repeats} runs",
            f"Bundle size: {size_mb:.1f} MB",
            "",
            markdown_table(
                ["setting", *(f"{s} s/frame" for s in STAGES), "total s/frame", "peak RSS MB"], rows
            ),
            *quality_lines,
        ]
    )
    write_report(args.out, text)


if __name__ == "__main__":
    main()
