"""The ``stan`` command: apply a model bundle to videos, score maps, describe a bundle.

stan predict [MODEL] INPUT... --out DIR [--crf] [--overlay] [--device auto|cpu|cuda:N]
stan score GT PRED [--out DIR] [--method NAME]
stan info [MODEL]
"""

from __future__ import annotations

import argparse
import glob
import logging
import sys
import tempfile
from importlib.resources import files
from pathlib import Path

import cv2
import numpy as np
import pandas as pd
import yaml
from tqdm import tqdm

from stan.io import InputError, atomic_dir, atomic_path, read_image, write_png
from stan.predict.api import read_video

log = logging.getLogger("stan")

#: the pretrained bundle used when MODEL is omitted (package data)
DEFAULT_MODEL = Path(str(files("stan"))) / "assets" / "stan-davis.pt"
VIDEO_SUFFIXES = {".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg"}
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp"}

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_INPUT, EXIT_SHORT, EXIT_MODEL = 0, 1, 2, 3, 4, 5
EXIT_CODES = f"""exit codes:
  {EXIT_OK}  success
  {EXIT_ERROR}  unexpected error (a bug: please report it with the traceback)
  {EXIT_USAGE}  bad command line (unknown option, missing argument, device not present)
  {EXIT_INPUT}  an input cannot be read (no such file, unreadable video or image, frames of
     different sizes; for score: missing or mis-sized maps, no ground truth)
  {EXIT_SHORT}  a clip has fewer than 2 frames (flow needs a pair)
  {EXIT_MODEL}  the model file is missing, damaged or of the wrong kind, or its backbone
     weights are missing"""


class CommandError(Exception):
    def __init__(self, message: str, code: int):
        super().__init__(message)
        self.code = code


# --- inputs -------------------------------------------------------------------------------
class Clip:
    """One video to map: a name, frame names and a way to read its frames."""

    def __init__(self, name: str, source: str, paths: list[Path] | None = None):
        self.name, self.source, self.paths = name, source, paths

    def read(self) -> tuple[list[np.ndarray], list[str]]:
        if self.paths is not None:
            frames = [read_image(p) for p in self.paths]
            names = [Path(p).stem for p in self.paths]
        else:
            try:
                frames = read_video(self.source)
            except InputError as error:
                raise CommandError(
                    f"{error} (is it a video file OpenCV can decode?)", EXIT_INPUT
                ) from None
            names = [f"{i:05d}" for i in range(len(frames))]
        if len(frames) < 2:
            raise CommandError(
                f"{self.source}: {len(frames)} frame(s); a clip needs at least 2 frames "
                "(the motion input is the flow between consecutive frames)",
                EXIT_SHORT,
            )
        shapes = {f.shape for f in frames}
        if len(shapes) > 1:
            raise CommandError(
                f"{self.source}: frames of different sizes {sorted(shapes)}", EXIT_INPUT
            )
        return frames, names


def _images_in(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)


def collect_clips(inputs: list[str]) -> list[Clip]:
    """Video files, folders of frames and globs (images matched by one glob form one clip)."""
    clips = []
    for item in inputs:
        if any(c in item for c in "*?["):
            matched = sorted(glob.glob(item))
            if not matched:
                raise CommandError(f"{item}: the pattern matches no file", EXIT_INPUT)
            images = [Path(p) for p in matched if Path(p).suffix.lower() in IMAGE_SUFFIXES]
            rest = [p for p in matched if Path(p).suffix.lower() not in IMAGE_SUFFIXES]
            if images:
                clips.append(Clip(images[0].parent.name or "frames", item, images))
            clips += collect_clips(rest)
            continue
        path = Path(item)
        if path.is_dir():
            images = _images_in(path)
            if not images:
                raise CommandError(f"{path}: no image files in this folder", EXIT_INPUT)
            clips.append(Clip(path.resolve().name, str(path), images))
        elif path.is_file():
            clips.append(Clip(path.stem, str(path)))
        else:
            raise CommandError(f"{path}: no such file or folder", EXIT_INPUT)
    names = [c.name for c in clips]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise CommandError(f"several inputs are named {duplicates}; rename them", EXIT_USAGE)
    return clips


# --- model --------------------------------------------------------------------------------
def open_bundle(model: str | None) -> dict:
    from stan.predict.bundle import read_bundle

    path = Path(model) if model else DEFAULT_MODEL
    if model is None and not path.is_file():
        raise CommandError(
            f"no bundled model at {path}: build one with `snakemake --cores 2 "
            "results/bundles/<dataset>/<variant>.pt` (rule bundle) and pass it as MODEL",
            EXIT_MODEL,
        )
    try:
        return read_bundle(path)
    except InputError as error:
        hint = ""
        if "not a STAN model bundle" in str(error) or "this is a" in str(error):
            hint = (
                "; `stan predict` takes a model bundle: build one from a trained model with "
                "`snakemake results/bundles/<dataset>/<variant>.pt`"
            )
        raise CommandError(f"{error}{hint}", EXIT_MODEL) from None


# --- outputs ------------------------------------------------------------------------------
def write_folder(out_dir: Path, names: list[str], maps: list[np.ndarray]) -> None:
    """Write ``<out_dir>/<name>.png`` for every map, through a temporary folder and a rename."""
    with atomic_dir(out_dir) as tmp:
        for name, saliency in zip(names, maps, strict=True):
            write_png(tmp / f"{name}.png", saliency)


def write_overlay(out_mp4: Path, frames: list[np.ndarray], maps: list[np.ndarray], fps: float):
    """An mp4 of frame | map | overlay panels (:func:`stan.report.movie.compose_panels`)."""
    from stan.report.movie import compose_panels

    writer = None
    with atomic_path(out_mp4) as tmp:
        try:
            for frame, saliency in zip(frames, maps, strict=True):
                panel = compose_panels(frame, saliency)
                size = (panel.shape[1] // 2 * 2, panel.shape[0] // 2 * 2)
                if writer is None:
                    writer = cv2.VideoWriter(str(tmp), cv2.VideoWriter_fourcc(*"mp4v"), fps, size)
                    if not writer.isOpened():
                        raise OSError(f"{out_mp4}: OpenCV cannot open an mp4v video writer")
                writer.write(cv2.cvtColor(panel[: size[1], : size[0]], cv2.COLOR_RGB2BGR))
        finally:
            if writer is not None:
                writer.release()


def video_fps(clip: Clip, default: float = 10.0) -> float:
    if clip.paths is not None:
        return default
    capture = cv2.VideoCapture(clip.source)
    fps = capture.get(cv2.CAP_PROP_FPS)
    capture.release()
    return fps if fps and 0 < fps < 1000 else default


# --- commands -----------------------------------------------------------------------------
def cmd_predict(args) -> int:
    from stan.cli.pipeline import EnsemblePredictor, VideoPredictor

    positional = list(args.paths)
    models = []
    while positional and positional[0].endswith(".pt"):
        models.append(positional.pop(0))
    if not positional:
        raise CommandError(
            "give at least one INPUT (video file, folder of frames or glob)", EXIT_USAGE
        )
    clips = collect_clips(positional)
    bundles = [open_bundle(model) for model in models] or [open_bundle(None)]
    crf = {"scale": args.crf_scale} if args.crf_scale is not None else None
    try:
        predictors = [
            VideoPredictor(
                bundle,
                device=args.device,
                backbone_weights=args.backbone,
                crf=crf,
                precision=args.precision,
                batch_size=args.batch_size,
                workers=args.workers,
            )
            for bundle in bundles
        ]
        predictor = predictors[0] if len(predictors) == 1 else EnsemblePredictor(predictors)
    except InputError as error:
        code = EXIT_USAGE if "device" in str(error) else EXIT_MODEL
        raise CommandError(str(error), code) from None
    out = Path(args.out)
    for clip in clips:
        frames, names = clip.read()
        stages = 3 + bool(args.crf) + bool(args.overlay)
        with tqdm(total=stages, desc=f"{clip.name} ({len(frames)} frames)", unit="stage") as bar:

            def on_stage(stage, bar=bar):
                bar.set_postfix_str(stage)
                if stage != "flow":
                    bar.update()

            result = predictor.predict(frames, crf=args.crf, on_stage=on_stage)
            bar.update()
            write_folder(out / "maps" / clip.name, names, result.maps)
            if result.crf is not None:
                write_folder(out / "crf" / clip.name, names, result.crf)
            if args.overlay:
                bar.set_postfix_str("overlay")
                shown = result.crf if result.crf is not None else result.maps
                write_overlay(out / "overlay" / f"{clip.name}.mp4", frames, shown, video_fps(clip))
                bar.update()
        per_frame = {k: round(v / len(frames), 4) for k, v in result.seconds.items()}
        log.info("%s: %d maps in %s; seconds per frame %s", clip.name, len(frames), out, per_frame)
    return EXIT_OK


def gt_layout(gt: Path) -> Path:
    """The folder holding ``<video>/<frame>.png`` masks: DAVIS ``Annotations/480p`` or ``gt``."""
    for candidate in (gt / "Annotations" / "480p", gt / "Annotations", gt):
        if candidate.is_dir() and any(p.is_dir() for p in candidate.iterdir()):
            return candidate
    raise CommandError(
        f"{gt}: expected a DAVIS root (Annotations/480p/<video>/) or a folder of <video>/ "
        "folders of masks",
        EXIT_INPUT,
    )


def score_manifest(gt_root: Path, pred_root: Path) -> pd.DataFrame:
    """A manifest of the videos present in ``pred_root``: every frame with a mask is scored."""
    videos = sorted(p.name for p in pred_root.iterdir() if p.is_dir())
    if not videos:
        raise CommandError(f"{pred_root}: no <video>/ folders of maps", EXIT_INPUT)
    rows = []
    for video in videos:
        masks = _images_in(gt_root / video) if (gt_root / video).is_dir() else []
        if not masks:
            raise CommandError(
                f"{gt_root / video}: no ground truth for video {video!r}", EXIT_INPUT
            )
        rows += [
            {"video": video, "frame": m.stem, "image": "", "gt": str(m), "split": "test"}
            for m in masks
        ]
    return pd.DataFrame(rows)


def cmd_score(args) -> int:
    from stan.evaluate import make_table, score_method

    pred = Path(args.pred)
    if not pred.is_dir():
        raise CommandError(f"{pred}: no such folder of maps", EXIT_INPUT)
    manifest = score_manifest(gt_layout(Path(args.gt)), pred)
    method = args.method or pred.name
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(args.out) if args.out else Path(scratch)
        scores, curves = out / f"{method}.csv", out / f"{method}_curves.npz"
        try:
            score_method(manifest, pred, method, scores, curves, binarize_threshold=args.threshold)
            table = make_table({method: scores}, out / "table.csv", curves={method: curves})
        except InputError as error:
            raise CommandError(str(error), EXIT_INPUT) from None
        print(table.to_string(index=False, float_format=lambda v: f"{v:.4f}"))
        if args.out:
            print(f"wrote {out / 'table.csv'} (per video: {scores})", file=sys.stderr)
    return EXIT_OK


def cmd_info(args) -> int:
    from stan.predict.bundle import bundle_summary

    path = Path(args.model) if args.model else DEFAULT_MODEL
    summary = {"file": str(path), "size_mb": None, **bundle_summary(open_bundle(args.model))}
    summary["size_mb"] = round(path.stat().st_size / 2**20, 2)
    print(yaml.safe_dump(summary, sort_keys=False, default_flow_style=None), end="")
    return EXIT_OK


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse's own exit code is also 2: keep it, with our epilog
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def parser() -> argparse.ArgumentParser:
    fmt = argparse.RawDescriptionHelpFormatter
    top = _Parser(
        prog="stan",
        description="STAN video salient object detection: apply a model, score maps.",
        epilog=EXIT_CODES,
        formatter_class=fmt,
    )
    sub = top.add_subparsers(dest="command", required=True, parser_class=_Parser)
    p = sub.add_parser(
        "predict",
        help="saliency maps of videos",
        formatter_class=fmt,
        description=(
            "Saliency maps of videos. INPUT: a video file, a folder of frames or a glob "
            "(quote it). Writes DIR/maps/<name>/<frame>.png (8-bit, named like the frames; "
            "00000.png... for a video file), with --crf DIR/crf/<name>/, with --overlay "
            "DIR/overlay/<name>.mp4. Flow and motion prior are computed from the frames."
        ),
        epilog=EXIT_CODES,
    )
    p.add_argument(
        "paths",
        nargs="+",
        metavar="[MODEL ...] INPUT",
        help=f"MODEL: a model bundle (*.pt; default: the shipped {DEFAULT_MODEL.name}); "
        "several bundles (e.g. the seeds of one training set) predict as an ensemble: the "
        "mean of their maps, the CRF on the mean",
    )
    p.add_argument("--out", required=True, metavar="DIR", help="output folder")
    p.add_argument("--crf", action="store_true", help="also write dense-CRF refined maps")
    p.add_argument("--overlay", action="store_true", help="also write an overlay video per input")
    p.add_argument("--device", default="auto", help="auto (GPU when present), cpu, cuda, cuda:N")
    p.add_argument("--backbone", metavar="FILE", help="VGG16 weights the bundle refers to")
    p.add_argument(
        "--crf-scale", type=float, metavar="S",
        help="run the CRF on frames resized by S in (0, 1] (default: the bundle's crf.scale)",
    )  # fmt: skip
    p.add_argument(
        "--precision", choices=("float32", "bfloat16"), default="float32",
        help="VGG16 trunk precision: float32 = the workflow's maps; bfloat16 is faster only "
        "on GPUs and CPUs with native bfloat16 (AVX512-BF16, AMX)",
    )  # fmt: skip
    p.add_argument("--batch-size", type=int, default=8, help="frames per network batch")
    p.add_argument("--workers", type=int, default=2, help="CRF processes (default 2)")
    p.set_defaults(run=cmd_predict)

    s = sub.add_parser(
        "score",
        help="score saliency maps against ground truth",
        formatter_class=fmt,
        description=(
            "Score PRED/<video>/<frame>.png against the masks of GT (a DAVIS root with "
            "Annotations/480p/<video>/, or a folder of <video>/ mask folders): the workflow's "
            "evaluate stage (per-frame metrics averaged per video, then over videos). Scores "
            "the videos present in PRED; every frame with a mask must have a map."
        ),
        epilog=EXIT_CODES,
    )
    s.add_argument("gt", metavar="GT")
    s.add_argument("pred", metavar="PRED")
    s.add_argument("--method", help="row name (default: PRED's folder name)")
    s.add_argument("--out", metavar="DIR", help="write table.csv, per-video scores and curves")
    s.add_argument("--threshold", type=int, default=128, help="binarisation for J/F (1..255)")
    s.set_defaults(run=cmd_score)

    i = sub.add_parser(
        "info", help="what a model bundle holds", epilog=EXIT_CODES, formatter_class=fmt
    )
    i.add_argument("model", nargs="?", metavar="MODEL", help="bundle (default: the shipped one)")
    i.set_defaults(run=cmd_info)
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        return args.run(args)
    except CommandError as error:
        print(f"stan {args.command}: error: {error}", file=sys.stderr)
        return error.code
    except InputError as error:
        print(f"stan {args.command}: error: {error}", file=sys.stderr)
        return EXIT_INPUT


if __name__ == "__main__":
    sys.exit(main())
