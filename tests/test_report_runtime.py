"""The runtime table is built from benchmark files; missing stages are reported, not zero."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from stan.io import InputError
from stan.report.runtime import RUNTIME_COLUMNS, read_benchmark, runtime_table

HEADER = "s\th:m:s\tmax_rss\tmax_vms\tmax_uss\tmax_pss\tio_in\tio_out\tmean_load\tcpu_time\n"
MACHINE = {"cpu": "Test CPU 9000", "cpus": "2", "gpu": "none", "host": "testhost", "os": "Linux"}


def bench(path: Path, *rows: tuple[float, float | str]) -> Path:
    """A benchmark TSV as Snakemake writes it, one row per (seconds, cpu seconds)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [f"{s:.2f}\t0:00:00\t100\t200\t50\t60\t0.1\t0.2\t90\t{cpu}\n" for s, cpu in rows]
    path.write_text(HEADER + "".join(lines))
    return path


def manifest(path: Path, frames: dict[str, int]) -> Path:
    rows = [
        (video, f"{i:05d}", f"{video}/{i:05d}.jpg", "", "test")
        for video, n in frames.items()
        for i in range(n)
    ]
    pd.DataFrame(rows, columns=["video", "frame", "image", "gt", "split"]).to_csv(path, index=False)
    return path


def patterns(root: Path) -> dict[str, str]:
    return {
        "flow": f"{root}/flow/d/dis/*.tsv",
        "prior": f"{root}/prior/maps/d/*.tsv",
        "network": f"{root}/predict/d/STAN/*.tsv",
        "crf": f"{root}/crf/d/*/*.tsv",
    }


def test_runtime_from_benchmarks_with_missing_stages(tmp_path):
    b = tmp_path / "benchmarks"
    bench(b / "flow/d/dis/a.tsv", (10.0, 15.0))
    bench(b / "flow/d/dis/b.tsv", (30.0, 45.0))
    bench(b / "crf/d/STAN/a.tsv", (4.0, 3.0), (6.0, 5.0), (100.0, 7.0))  # repeat(): median
    bench(b / "crf/d/flow-magnitude/b.tsv", (2.0, 1.0))
    table = runtime_table(
        {"d": manifest(tmp_path / "m.csv", {"a": 10, "b": 30})},
        {"d": patterns(b)},
        tmp_path / "runtime.csv",
        tmp_path / "runtime.md",
        tmp_path / "runtime.html",
        machine=MACHINE,
    )
    assert list(table.columns) == list(RUNTIME_COLUMNS)
    rows = pd.read_csv(tmp_path / "runtime.csv").set_index("stage")
    assert rows.loc["flow", "s_per_frame"] == pytest.approx(40.0 / 40)
    assert rows.loc["flow", "cpu_s_per_frame"] == pytest.approx(60.0 / 40)
    assert rows.loc["flow", "n_videos"] == 2 and rows.loc["flow", "n_frames"] == 40
    assert rows.loc["crf", "s_per_frame"] == pytest.approx((6.0 + 2.0) / 40)
    assert rows.loc["crf", "paper_s_per_frame"] == 0.48
    for stage in ("prior", "network"):
        assert rows.loc[stage, "status"].startswith("not run")
        assert pd.isna(rows.loc[stage, "s_per_frame"])  # never reported as zero
    assert pd.isna(rows.loc["total", "s_per_frame"])
    assert rows.loc["total", "status"] == "incomplete: prior, network not measured"
    md = (tmp_path / "runtime.md").read_text()
    assert "Test CPU 9000, 2 usable CPUs, GPU: none" in md
    assert "| Optical flow computation | 0.739 | 1.000 | 1.500 | 2 | 40 | measured |" in md
    assert "not run (no benchmark file matches" in md and "TITAN X" in md
    assert "<table" in (tmp_path / "runtime.html").read_text()


def test_total_is_the_sum_when_every_stage_ran(tmp_path):
    b = tmp_path / "benchmarks"
    for stage, seconds in (("flow/d/dis", 1.0), ("prior/maps/d", 2.0), ("predict/d/STAN", 3.0)):
        bench(b / stage / "a.tsv", (seconds * 4, "NA"))
    bench(b / "crf/d/STAN/a.tsv", (4.0 * 4, 1.0))
    runtime_table(
        {"d": manifest(tmp_path / "m.csv", {"a": 4, "unused": 3})},
        {"d": patterns(b)},
        tmp_path / "r.csv",
        tmp_path / "r.md",
        machine=MACHINE,
    )
    rows = pd.read_csv(tmp_path / "r.csv").set_index("stage")
    assert rows.loc["total", "s_per_frame"] == pytest.approx(1 + 2 + 3 + 4)
    assert rows.loc["total", "status"].startswith("measured")
    assert pd.isna(rows.loc["flow", "cpu_s_per_frame"])  # Snakemake wrote NA
    assert pd.isna(rows.loc["total", "cpu_s_per_frame"])


def test_bad_benchmark_files(tmp_path):
    bad = tmp_path / "bad.tsv"
    bad.write_text("wall\n1.0\n")
    with pytest.raises(InputError, match="no column 's'"):
        read_benchmark(bad)
    assert read_benchmark(bench(tmp_path / "ok.tsv", (1.5, "NA")))[0] == 1.5
    with pytest.raises(InputError, match="no dataset"):
        runtime_table({}, {}, tmp_path / "r.csv", tmp_path / "r.md")


def test_further_jobs_of_a_stage_count_only_for_its_videos(tmp_path):
    """Network = predict jobs + the feature-cache jobs of the same (test) videos."""
    b = tmp_path / "benchmarks"
    bench(b / "predict/d/STAN/a.tsv", (2.0, 3.0))
    bench(b / "features/d/a.tsv", (6.0, 9.0))
    bench(b / "features/d/train-video.tsv", (100.0, 100.0))  # training only: not inference
    stages = dict(patterns(b), network=[f"{b}/predict/d/STAN/*.tsv", f"{b}/features/d/*.tsv"])
    runtime_table(
        {"d": manifest(tmp_path / "m.csv", {"a": 4, "train-video": 50})},
        {"d": stages},
        tmp_path / "r.csv",
        tmp_path / "r.md",
        machine=MACHINE,
    )
    network = pd.read_csv(tmp_path / "r.csv").set_index("stage").loc["network"]
    assert network["s_per_frame"] == pytest.approx((2.0 + 6.0) / 4)
    assert network["cpu_s_per_frame"] == pytest.approx((3.0 + 9.0) / 4)
    assert network["n_videos"] == 1 and " + " in network["benchmarks"]
