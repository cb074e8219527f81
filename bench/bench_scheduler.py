"""CPU that Snakemake's own scheduler takes while jobs wait for cores, by job-rate setting.

Usage: python bench/bench_scheduler.py [--rate 300/30s] [--jobs 10] [--files 3000] [--sleep 10]
                                       [--repeats 3] [--out bench/out/scheduler.md]

Snakemake re-runs its job selection once per ``--max-jobs-per-timespan`` window for as long as
the run lasts, and every selection stats the inputs of every ready job. A DAVIS training job has
about 3000 inputs (the frames and masks of its videos), so while one training holds both cores
and the other trainings wait, Snakemake's default (``100/1s``) spends a large share of a core
on this (a whole core in the cross-validation run). A longer window (``--rate``) cuts that,
but Snakemake then also waits up to one window after the last job before it exits (its timer
thread is not a daemon), which short runs and the test suite would feel.

The benchmark builds a throw-away workflow of ``--jobs`` jobs that each hold the one core for
``--sleep`` seconds and each read ``--files`` small files, and runs it once with Snakemake's
default and once with ``--rate`` (both with ``--workflow-profile none`` and nothing else
changed), ``--repeats`` times each, interleaved. Reported: wall time (exit delay included) and
the CPU seconds of the Snakemake process and its children (the jobs only sleep), medians.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine, markdown_table, write_report  # noqa: E402

SNAKEFILE = """
JOBS = range(config["jobs"])

rule all:
    input: expand("out/{i}.txt", i=JOBS)

rule hold_core:
    input: lambda wc: [f"in/{wc.i}/{k}.txt" for k in range(config["files"])]
    output: "out/{i}.txt"
    threads: 1
    shell: "sleep {config[sleep]} && touch {output}"
"""


def make_workflow(root: Path, jobs: int, files: int) -> None:
    (root / "Snakefile").write_text(SNAKEFILE)
    for i in range(jobs):
        folder = root / "in" / str(i)
        folder.mkdir(parents=True)
        for k in range(files):
            (folder / f"{k}.txt").write_text("x")


def run_once(root: Path, rate: str, args) -> tuple[float, float]:
    """Wall and CPU seconds of one complete run from scratch."""
    subprocess.run(["rm", "-rf", str(root / "out"), str(root / ".snakemake")], check=True)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(
        [
            sys.executable, "-m", "snakemake", "--cores", "1", "--quiet", "all",
            "--workflow-profile", "none", "--max-jobs-per-timespan", rate,
            "--config", f"jobs={args.jobs}", f"files={args.files}", f"sleep={args.sleep}",
        ],
        cwd=root, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", default="300/30s", help="the --max-jobs-per-timespan to test")
    parser.add_argument("--jobs", type=int, default=10)
    parser.add_argument("--files", type=int, default=3000)
    parser.add_argument("--sleep", type=float, default=10.0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", default="")
    args = parser.parse_args()
    rates = {"Snakemake's default": "100/1s", "longer window": args.rate}
    times = {name: [] for name in rates}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        make_workflow(root, args.jobs, args.files)
        for _ in range(args.repeats):
            for name, rate in rates.items():
                times[name].append(run_once(root, rate, args))
    held = args.jobs * args.sleep
    medians = {  # name: (wall, cpu)
        name: tuple(statistics.median(column) for column in zip(*runs, strict=True))
        for name, runs in times.items()
    }
    rows = [
        [name, rate, f"{wall:.1f}", f"{cpu:.1f}", f"{100 * cpu / wall:.0f}%"]
        for (name, rate), (wall, cpu) in zip(rates.items(), medians.values(), strict=True)
    ]
    base_cpu, new_cpu = medians["Snakemake's default"][1], medians["longer window"][1]
    text = "\n".join(
        [
            f"# Scheduler CPU while jobs wait: {args.jobs} jobs x {args.files} inputs, "
            f"each holding the only core for {args.sleep:g} s ({held:g} s in all)",
            "",
            markdown_table(
                ["setting", "--max-jobs-per-timespan", "wall s", "CPU s", "CPU / wall"], rows
            ),
            "",
            f"CPU ratio default / longer window: {base_cpu / new_cpu:.1f}x. Median of {args.repeats} "
            f"interleaved runs; load average {os.getloadavg()[0]:.1f}; {machine()}",
        ]
    )
    write_report(args.out, text)


if __name__ == "__main__":
    main()
