"""Helpers shared by the benchmark scripts: machine description, frames, timing, Markdown."""

from __future__ import annotations

import os
import statistics
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("TQDM_DISABLE", "1")  # progress bars would garble the reports

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("STAN_SHARED_DATA", REPO.parent / "shared" / "data"))


def machine() -> str:
    """CPU model, logical cores, torch threads and GPU (or none), for the report."""
    from stan.report.machine import cpu_model

    cpu = cpu_model()
    try:
        import torch

        gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no GPU"
        threads = torch.get_num_threads()
    except ImportError:
        gpu, threads = "no GPU", "?"
    return f"{cpu}, {os.cpu_count()} logical cores, torch threads {threads}, {gpu}"


def davis_frames(n: int, video: str = "bear") -> list[np.ndarray] | None:
    """The first ``n`` RGB frames of a DAVIS sequence (854x480), or None when absent."""
    from stan.io import read_image

    folder = SHARED_DATA / "DAVIS" / "JPEGImages" / "480p" / video
    files = sorted(folder.glob("*.jpg"))[:n]
    return [read_image(f) for f in files] if len(files) == n else None


def merged_config(files: list[str]) -> dict:
    """config.yaml with ``files`` merged over it, by Snakemake's own merge (``--configfile``)."""
    import yaml
    from snakemake.utils import update_config

    config = yaml.safe_load((REPO / "config.yaml").read_text())
    for path in files:
        update_config(config, yaml.safe_load(Path(path).read_text()) or {})
    return config


def median_time(fn, repeats: int = 5, warmup: int = 1) -> float:
    """Median wall time of ``fn()`` in seconds over ``repeats`` runs after ``warmup`` runs."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def markdown_table(header: list[str], rows: list[list]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def write_report(path: str | Path | None, text: str) -> None:
    print(text)
    if path:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(text + "\n")
