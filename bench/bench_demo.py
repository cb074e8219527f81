"""Wall time of the whole synthetic demo (`snakemake --cores 2`) from an empty working directory.

Usage: python bench/bench_demo.py [--repeats 3] [--cores 2] [--out bench/out/demo.md]
Each run starts from scratch in a new temporary directory, with the repository's config.yaml.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import REPO, machine, markdown_table, write_report  # noqa: E402


def run_demo(cores: int, extra: list[str]) -> float:
    snakemake = str(Path(sys.executable).with_name("snakemake"))
    with tempfile.TemporaryDirectory() as workdir:
        cmd = [snakemake, "--snakefile", str(REPO / "Snakefile"), "--directory", workdir]
        cmd += ["--cores", str(cores), "--quiet", "all", *extra]
        start = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--out", default=None)
    parser.add_argument("extra", nargs="*", help="extra snakemake arguments")
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    times = [run_demo(args.cores, args.extra) for _ in range(args.repeats)]
    load_after = os.getloadavg()[0]
    rows = [[f"run {i + 1}", f"{t:.1f}"] for i, t in enumerate(times)]
    rows.append(["median", f"{statistics.median(times):.1f}"])
    text = "\n".join(
        [
            f"Synthetic demo, `snakemake --cores {args.cores}` from scratch",
            f"Machine: {machine()}; load average {load_before:.1f} before, {load_after:.1f} after "
            f"(CPUs: {os.cpu_count()}; a shared machine inflates wall times)",
            "",
            markdown_table(["run", "wall time (s)"], rows),
        ]
    )
    write_report(args.out, text)


if __name__ == "__main__":
    main()
