"""The CRF and report rules in the real workflow, on a tiny synthetic run in a temp directory
(given to the background lane before the first test, tests/conftest.py)."""

from __future__ import annotations

import base64
import json
import subprocess
from pathlib import Path

import cv2
import numpy as np
import pandas as pd
import pytest
from conftest import REPO, Background, finished_run, queue_if_used, tiny_command


def command(workdir: Path, *args: str, configs: tuple[Path, ...] = ()) -> list[str]:
    """Snakemake running the repository's workflow in ``workdir`` on the tiny config, with
    '+crf' rows and the motion prior scored as a method."""
    (workdir / "crf.yaml").write_text(
        "evaluate:\n  methods: [flow-magnitude, flow-magnitude+crf, motion-prior, motion-prior+crf]\n"
    )
    return tiny_command(workdir, REPO, *args, overlays=[workdir / "crf.yaml", *configs])


def snakemake(
    workdir: Path, *args: str, configs: tuple[Path, ...] = ()
) -> subprocess.CompletedProcess:
    cmd = command(workdir, *args, configs=configs)
    return subprocess.run(cmd, capture_output=True, text=True, timeout=1200)


def run_command(tmp_path_factory) -> tuple[Path, Background]:
    workdir = tmp_path_factory.mktemp("report-run")
    return workdir, Background(command(workdir), workdir.with_suffix(".log"))


def start_early(request, items) -> None:
    """Give the background lane the run, if a selected test uses it (tests/conftest.py)."""
    tmp_path_factory = request.getfixturevalue("tmp_path_factory")
    queue_if_used(items, "run", lambda: run_command(tmp_path_factory))


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Path:
    return finished_run("run", lambda: run_command(tmp_path_factory))


@pytest.mark.slow
def test_crf_method_gets_a_table_row_and_refined_maps(run):
    table = pd.read_csv(run / "results" / "tables" / "synthetic.csv").set_index("method")
    assert list(table.index) == [
        "flow-magnitude",
        "flow-magnitude+crf",
        "motion-prior",
        "motion-prior+crf",
    ]
    scores = table.drop(columns="trained_on")  # the one text column: '-' for the baseline
    assert table.loc["flow-magnitude+crf", "trained_on"] == "-"
    assert np.isfinite(scores.loc["flow-magnitude+crf"].to_numpy(dtype=float)).all()
    raw = sorted((run / "results/saliency/synthetic/flow-magnitude").glob("*/*.png"))
    refined = sorted((run / "results/saliency/synthetic/flow-magnitude+crf").glob("*/*.png"))
    assert [p.relative_to(p.parents[1]) for p in raw] == [
        p.relative_to(p.parents[1]) for p in refined
    ]
    assert list((run / "results/benchmarks/crf/synthetic/flow-magnitude").glob("*.tsv"))


@pytest.mark.slow
def test_motion_prior_is_scored_from_the_prior_stage_output(run, monkeypatch):
    """'motion-prior' rows score the prior maps in place (no copy); '+crf' refines them."""
    from stan.data.manifest import load_manifest
    from stan.evaluate import score_method

    monkeypatch.chdir(run)  # the manifest's paths are relative to the workflow directory

    table = pd.read_csv(run / "results" / "tables" / "synthetic.csv").set_index("method")
    assert not (run / "results/saliency/synthetic/motion-prior").exists()
    priors = run / "results/priors/synthetic"
    direct = run / "direct.csv"
    score_method(
        load_manifest(run / "results/manifests/synthetic.csv"),
        priors,
        "motion-prior",
        direct,
        run / "direct.npz",
        binarize_threshold=128,
    )
    assert table.loc["motion-prior", "maxF"] == pytest.approx(pd.read_csv(direct)["maxF"].mean())
    refined = sorted((run / "results/saliency/synthetic/motion-prior+crf").glob("*/*.png"))
    assert refined and all((priors / p.parent.name / p.name).exists() for p in refined)


@pytest.mark.slow
def test_runtime_and_comparison_tables(run):
    runtime = pd.read_csv(run / "results" / "tables" / "runtime.csv").set_index("stage")
    assert (
        runtime.loc["flow", "status"] == "measured" and runtime.loc["crf", "status"] == "measured"
    )
    # the CRF row pools the jobs of both '+crf' methods on the test video and on the two
    # training videos whose maps choose the trained J/F threshold: 2 x 3 x 8 frames
    assert runtime.loc["flow", "s_per_frame"] > 0 and runtime.loc["crf", "n_frames"] == 48
    assert runtime.loc["network", "status"].startswith("not run")
    md = (run / "results" / "tables" / "synthetic_vs_paper.md").read_text()
    assert "flow-magnitude+crf" in md and "reports no numbers for this dataset" in md


@pytest.mark.slow
def test_report_html_embeds_the_figures(run):
    report = run / "report.html"
    result = snakemake(run, "--report", str(report))
    assert result.returncode == 0, result.stderr[-4000:]
    text = report.read_text()
    start = text.index('var results = {"results/') + len("var results = ")
    results, _ = json.JSONDecoder().raw_decode(text[start:])
    expected = {
        "results/plots/synthetic_qualitative.png",
        "results/plots/synthetic_ablation.png",
        "results/tables/synthetic_vs_paper.html",
        "results/tables/runtime.csv",
        "results/tables/runtime.html",
        "results/videos/synthetic/motion-prior+crf/synth-val-00.mp4",  # the last method's
    }
    assert expected <= set(results)
    for name in ("synthetic_qualitative", "synthetic_ablation"):
        entry = results[f"results/plots/{name}.png"]
        assert entry["mime_type"] == "image/png" and entry["caption"]
        png = base64.b64decode(entry["data_uri"].split("base64,", 1)[1])
        assert png == (run / "results" / "plots" / f"{name}.png").read_bytes()
        assert cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_COLOR) is not None


@pytest.mark.slow
def test_saliency_video_of_a_users_own_mp4(tmp_path):
    """A user's mp4 in a folder named by the config gets a saliency video (no ground truth)."""
    from stan.data.synthetic import SyntheticConfig, render_video

    frames = render_video(SyntheticConfig(n_frames=6, height=64, width=96, seed=2), 0)[0]
    videos = tmp_path / "my-videos"
    videos.mkdir()
    writer = cv2.VideoWriter(str(videos / "walk.mp4"), cv2.VideoWriter_fourcc(*"mp4v"), 6, (96, 64))
    for frame in frames:
        writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    writer.release()
    (tmp_path / "mine.yaml").write_text(
        f"datasets: [mine]\ndata:\n  mine: {{adapter: videos, root: {videos}, test_split: all}}\n"
    )
    target = "results/videos/mine/flow-magnitude/walk.mp4"
    result = snakemake(tmp_path, target, configs=(tmp_path / "mine.yaml",))
    assert result.returncode == 0, result.stderr[-4000:]
    capture = cv2.VideoCapture(str(tmp_path / target))
    assert int(capture.get(cv2.CAP_PROP_FRAME_COUNT)) == 6
    assert int(capture.get(cv2.CAP_PROP_FRAME_WIDTH)) == 3 * 96
    capture.release()
