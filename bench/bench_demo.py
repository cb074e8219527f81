"""The synthetic demo (`make demo`: `snakemake --cores 2 --configfile workflow/configs/demo.yaml`)
from an empty working directory, once per seed: wall time and the demo table's key rows.

Usage: python bench/bench_demo.py [--seeds 0 1 2] [--cores 2] [--out bench/out/demo.md]

Each run starts from scratch in a new temporary directory. Seed k sets train.seed and prior.seed
(the networks' initialisation, sampling and augmentation); the synthetic videos stay those of
demo.yaml. The report gives, per seed, the wall time and max F / MAE of the flow-magnitude
baseline, the motion prior, STAN and STAN+crf on the held-out synthetic videos, and whether both
STAN rows are above the baseline in max F and below it in MAE (the demo's promise).
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

import pandas as pd
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import REPO, machine, markdown_table, write_report  # noqa: E402

ROWS = ["flow-magnitude", "motion-prior", "ST", "STAN", "STAN+crf"]


def run_demo(cores: int, seed: int, extra: list[str]) -> tuple[float, pd.DataFrame]:
    snakemake = str(Path(sys.executable).with_name("snakemake"))
    with tempfile.TemporaryDirectory() as workdir:
        seeds = Path(workdir) / "seed.yaml"
        seeds.write_text(yaml.safe_dump({"train": {"seed": seed}, "prior": {"seed": seed}}))
        cmd = [snakemake, "--snakefile", str(REPO / "Snakefile"), "--directory", workdir]
        cmd += ["--cores", str(cores), "--quiet", "all", *extra]
        cmd += ["--configfile", str(REPO / "workflow/configs/demo.yaml"), str(seeds)]
        start = time.perf_counter()
        run = subprocess.run(cmd, capture_output=True, text=True)
        if run.returncode != 0:
            sys.exit(f"seed {seed}: the demo failed (exit {run.returncode}):\n{run.stderr[-4000:]}")
        seconds = time.perf_counter() - start
        table = pd.read_csv(Path(workdir) / "results/tables/synthetic.csv").set_index("method")
    return seconds, table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--out", default=None)
    parser.add_argument("extra", nargs="*", help="extra snakemake arguments")
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    rows, times, held = [], [], []
    for seed in args.seeds:
        seconds, table = run_demo(args.cores, seed, args.extra)
        times.append(seconds)
        base = table.loc["flow-magnitude"]
        ok = all(
            table.loc[m, "maxF"] > base["maxF"] and table.loc[m, "MAE"] < base["MAE"]
            for m in ("STAN", "STAN+crf")
        )
        held.append(ok)
        cells = [f"{table.loc[m, 'maxF']:.3f} / {table.loc[m, 'MAE']:.3f}" for m in ROWS]
        rows.append([seed, f"{seconds:.0f}", *cells, "yes" if ok else "NO"])
        print(rows[-1], flush=True)
    load_after = os.getloadavg()[0]
    text = "\n".join(
        [
            f"Synthetic demo (`make demo`), `snakemake --cores {args.cores}` from scratch, per seed",
            f"Machine: {machine()}; load average {load_before:.1f} before, {load_after:.1f} after "
            f"(CPUs: {os.cpu_count()}; a shared machine inflates wall times)",
            "",
            markdown_table(
                [
                    "seed",
                    "wall (s)",
                    *[f"{m} max F / MAE" for m in ROWS],
                    "STAN rows beat baseline",
                ],
                rows,
            ),
            "",
            f"Median wall time {statistics.median(times):.0f} s; the demo's promise held for "
            f"{sum(held)} of {len(held)} seeds.",
        ]
    )
    write_report(args.out, text)


if __name__ == "__main__":
    main()
