"""Runtime table: seconds per frame of each pipeline stage, from Snakemake benchmark files.

Every costly rule writes ``benchmark:`` files (``results/benchmarks/<stage>/.../<video>.tsv``, one
per video job; column ``s`` is the job's wall-clock seconds, ``cpu_time`` its CPU seconds). A
stage's seconds per frame are the summed seconds of its job files over the summed frame counts of
their videos (from the dataset manifest), so long videos weigh by their length, as an average run
time per frame does. Job wall time includes starting Python, importing libraries and loading
models, which the paper's per-frame figures do not; on short videos it dominates (the scripts
under ``bench/`` time the per-frame work alone). A file with several rows (``repeat()``) counts
with its median.

The table is written next to the paper's Table 4 (TITAN X GPU + i7-5820 CPU) with a description
of the machine that made the table; a stage with no benchmark file is reported as not run, never
as zero.
"""

from __future__ import annotations

import glob
import logging
from pathlib import Path

import numpy as np
import pandas as pd

from stan.data.manifest import load_manifest
from stan.io import InputError, atomic_path, reading
from stan.report.document import Document
from stan.report.machine import describe_machine
from stan.report.paper_numbers import PAPER_MACHINE, TABLE4, TABLE4_LABELS

log = logging.getLogger(__name__)

#: the stages of the paper's Table 4, in order
STAGES = ("flow", "prior", "network", "crf")
#: columns of runtime.csv, in order
RUNTIME_COLUMNS = (
    "dataset",
    "stage",
    "component",
    "paper_s_per_frame",
    "s_per_frame",
    "cpu_s_per_frame",
    "n_videos",
    "n_frames",
    "wall_s",
    "cpu_s",
    "status",
    "benchmarks",
)


def read_benchmark(path: str | Path) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one Snakemake benchmark TSV (median over its rows).

    CPU seconds are NaN when Snakemake could not sample the process (``NA``).
    """
    path = Path(path)
    with reading(path, "Snakemake benchmark file"):
        table = pd.read_csv(path, sep="\t", na_values=["NA", "-"])
    if "s" not in table.columns or table.empty:
        raise InputError(
            f"{path}: not a Snakemake benchmark file (no column 's' or no rows); delete it and "
            "rerun the rule that writes it"
        )
    wall = float(np.median(table["s"].astype(float)))
    cpu = float(np.median(table["cpu_time"].astype(float))) if "cpu_time" in table else np.nan
    return wall, cpu


def stage_runtime(
    files: list[Path], frames_per_video: dict[str, int], extra: list[Path] = ()
) -> dict[str, float]:
    """Summed wall/CPU seconds and frames of the benchmark ``files`` (named ``<video>.tsv``).

    ``extra``: benchmark files of further jobs of the same stage (e.g. the frozen backbone's
    feature extraction before prediction); each counts only when ``files`` has its video.
    """
    wall = cpu = 0.0
    n_frames = n_videos = 0
    cpu_missing = False
    videos = set()
    for path in files:
        video = Path(path).stem
        if video not in frames_per_video:
            log.warning("%s: %r is not a video of the manifest; file skipped", path, video)
            continue
        videos.add(video)
        n_frames += frames_per_video[video]
        n_videos += 1
    for path in [*files, *extra]:
        if Path(path).stem in videos:
            seconds, cpu_seconds = read_benchmark(path)
            wall += seconds
            cpu_missing |= bool(np.isnan(cpu_seconds))
            cpu += 0.0 if np.isnan(cpu_seconds) else cpu_seconds
    return {
        "wall_s": wall,
        "cpu_s": np.nan if cpu_missing or n_videos == 0 else cpu,
        "n_frames": n_frames,
        "n_videos": n_videos,
    }


def runtime_rows(dataset: str, manifest: pd.DataFrame, patterns: dict) -> list[dict]:
    """Rows of one dataset: one per stage of ``STAGES`` (globs ``patterns[stage]``) and a total."""
    frames_per_video = manifest.groupby("video").size().astype(int).to_dict()
    rows = []
    for stage in STAGES:
        globs = patterns.get(stage) or []
        globs = [globs] if isinstance(globs, str) else list(globs)
        pattern = globs[0] if globs else None
        row = {
            "dataset": dataset,
            "stage": stage,
            "component": TABLE4_LABELS[stage],
            "paper_s_per_frame": float(TABLE4[stage][0]),
            "benchmarks": " + ".join(globs),
        }
        files = sorted(Path(p) for p in glob.glob(pattern)) if pattern else []
        extra = sorted(Path(p) for g in globs[1:] for p in glob.glob(g))
        measured = stage_runtime(files, frames_per_video, extra) if files else None
        if measured is None or measured["n_frames"] == 0:
            where = f"no benchmark file matches {pattern}" if pattern else "no pattern configured"
            row.update(status=f"not run ({where})", n_videos=0, n_frames=0)
        else:
            row.update(
                measured,
                s_per_frame=measured["wall_s"] / measured["n_frames"],
                cpu_s_per_frame=measured["cpu_s"] / measured["n_frames"],
                status="measured",
            )
        rows.append(row)
    missing = [r["stage"] for r in rows if r["status"] != "measured"]
    total = {
        "dataset": dataset,
        "stage": "total",
        "component": TABLE4_LABELS["total"],
        "paper_s_per_frame": float(TABLE4["total"][0]),
        "benchmarks": "",
    }
    if missing:
        total["status"] = f"incomplete: {', '.join(missing)} not measured"
    else:
        total.update(
            s_per_frame=sum(r["s_per_frame"] for r in rows),
            cpu_s_per_frame=sum(r["cpu_s_per_frame"] for r in rows),
            status="measured (sum of the stages)",
        )
    return [*rows, total]


def runtime_table(
    manifests: dict[str, str | Path],
    patterns: dict[str, dict[str, str | list[str]]],
    out_csv: str | Path,
    out_md: str | Path,
    out_html: str | Path | None = None,
    machine: dict[str, str] | None = None,
) -> pd.DataFrame:
    """Write ``runtime.csv`` (``RUNTIME_COLUMNS``) and its Markdown (and HTML) rendering.

    ``manifests``: dataset -> manifest CSV. ``patterns``: dataset -> stage -> glob of that stage's
    benchmark files (one ``<video>.tsv`` per job), or a list of globs: the first names the
    stage's videos, the others further jobs of those videos (see ``stage_runtime``).
    ``machine``: see ``describe_machine()``.
    """
    if not manifests:
        raise InputError("no dataset given for the runtime table; list datasets in config.yaml")
    rows = []
    for dataset, manifest_csv in manifests.items():
        rows += runtime_rows(dataset, load_manifest(manifest_csv), patterns.get(dataset, {}))
    table = pd.DataFrame(rows, columns=list(RUNTIME_COLUMNS))
    with atomic_path(out_csv) as tmp:
        table.to_csv(tmp, index=False)
    machine = machine or describe_machine()
    runtime_document(table, machine).write(out_md, out_html)
    log.info("wrote %s and %s (%d rows)", out_csv, out_md, len(table))
    return table


def _seconds(value: float) -> str:
    return "-" if value is None or pd.isna(value) else f"{value:.3f}"


def _count(value: float) -> str:
    return "" if pd.isna(value) else str(int(value))


def runtime_document(table: pd.DataFrame, machine: dict[str, str]) -> Document:
    doc = Document("Run time per frame of each stage")
    doc.paragraph(
        "Seconds per frame: the summed wall-clock time of a stage's Snakemake jobs "
        "(benchmark files) divided by the frames those jobs processed. Job time includes "
        "interpreter start-up, imports and model loading; the paper's figures are per-frame "
        "compute on a GPU workstation, so short videos and a CPU machine both inflate ours. "
        "CPU s/frame is the CPU time (all threads) of the same jobs. Below each table: the "
        "benchmark files of each stage (several globs: the first names the stage's videos, the "
        "others further jobs of those videos, e.g. the frozen backbone's feature extraction)."
    )
    doc.bullets(
        [
            f"this table made on: {machine.get('cpu', '?')}, {machine.get('cpus', '?')} "
            f"usable CPUs, GPU: {machine.get('gpu', '?')} (host {machine.get('host', '?')}); "
            "jobs run elsewhere (e.g. on a cluster) ran on their own nodes",
            f"paper (Table 4): {PAPER_MACHINE}",
        ]
    )
    for dataset, part in table.groupby("dataset", sort=False):
        doc.heading(f"Dataset {dataset}")
        view = pd.DataFrame(
            {
                "stage": part["component"],
                "paper s/frame (Table 4)": [TABLE4[s][0] for s in part["stage"]],
                "measured s/frame": part["s_per_frame"].map(_seconds),
                "measured CPU s/frame": part["cpu_s_per_frame"].map(_seconds),
                "videos": part["n_videos"].map(_count),
                "frames": part["n_frames"].map(_count),
                "status": part["status"],
            }
        )
        doc.table(view)
        doc.bullets(
            [
                f"{row.stage}: {row.benchmarks}"
                for row in part.itertuples()
                if isinstance(row.benchmarks, str) and row.benchmarks
            ]
        )
    return doc
