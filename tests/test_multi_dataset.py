"""One model trained on several datasets at once (train.datasets), through the DAG: the tiny
synthetic set, a short copy of two DAVIS sequences and of SegTrackV2's bmx (the team's data,
skipped when absent), each with its own label source. It runs in a copy of the session's tiny run
(tests/conftest.py): the synthetic member's data, flow, prior and coarse labels are reused from
there (same settings), its models are not copied; it runs in the background lane after the tiny
run."""

from __future__ import annotations

from pathlib import Path

import cv2
import pandas as pd
import pytest
import torch
import yaml
from conftest import (
    DAVIS_ROOT,
    SEGTRACK_ROOT,
    Background,
    finished_run,
    queue_if_used,
    tiny_copy_command,
)

FRAMES = 8


def shrink(src: Path, dst: Path) -> None:
    """A quarter-size copy (nearest neighbour for masks): the test's cost, not its logic."""
    image = cv2.imread(str(src), cv2.IMREAD_UNCHANGED)
    size = (image.shape[1] // 4, image.shape[0] // 4)
    mask = bool({"Annotations", "GroundTruth"} & set(src.parts))
    interp = cv2.INTER_NEAREST if mask else cv2.INTER_AREA
    assert cv2.imwrite(str(dst), cv2.resize(image, size, interpolation=interp))


def short_davis(root: Path, videos: list[str]) -> None:
    for video in videos:
        for sub, ext in (("JPEGImages", "jpg"), ("Annotations", "png")):
            src = sorted((DAVIS_ROOT / sub / "480p" / video).glob(f"*.{ext}"))[:FRAMES]
            dst = root / sub / "480p" / video
            dst.mkdir(parents=True)
            for path in src:
                shrink(path, dst / path.name)


def short_segtrack(root: Path) -> None:
    """The first FRAMES frames of bmx and their masks (object subfolders kept)."""
    frames = sorted((SEGTRACK_ROOT / "JPEGImages" / "bmx").iterdir())[:FRAMES]
    stems = {p.stem for p in frames}
    for src in frames + sorted((SEGTRACK_ROOT / "GroundTruth" / "bmx").rglob("*.png")):
        if src.stem in stems:
            dst = root / src.relative_to(SEGTRACK_ROOT)
            dst.parent.mkdir(parents=True, exist_ok=True)
            shrink(src, dst)


def have_data() -> bool:
    return (DAVIS_ROOT / "JPEGImages").is_dir() and (SEGTRACK_ROOT / "JPEGImages").is_dir()


def make_inputs(tmp_path: Path) -> None:
    """The short copies and the overlay that trains one model on all three datasets."""
    short_davis(tmp_path / "DAVIS", ["bear", "rhino"])
    short_segtrack(tmp_path / "SegTrackV2")
    overlay = {
        "datasets": ["synthetic", "davis"],
        "data": {
            "davis": {
                "root": str(tmp_path / "DAVIS"),
                "test_split": ["bear"],
                "training_labels": "gt",
            },
            "segtrackv2": {
                "root": str(tmp_path / "SegTrackV2"),
                "test_split": "none",
                "training_labels": "gt",
            },
        },
        "train": {"datasets": ["synthetic", "davis", "segtrackv2"]},
        "evaluate": {"methods": ["flow-magnitude", "ST"]},
        "report": {"ablation_methods": ["ST"]},
    }
    (tmp_path / "multi.yaml").write_text(yaml.safe_dump(overlay))


def multi_command(request) -> tuple[Path, Background]:
    """The run, in a copy of the tiny run without its models, made when it starts (the tiny
    run complete)."""
    targets = ["results/tables/synthetic.csv", "results/tables/davis.csv"]
    return tiny_copy_command(
        request,
        "multi-run",
        make_inputs,
        "multi.yaml",
        *targets,
        skip=("results/models/synthetic",),
    )


def start_early(request, items) -> None:
    """Give the background lane the run, if a selected test uses it (tests/conftest.py)."""
    if have_data():
        queue_if_used(items, "multi_run", lambda: multi_command(request))


@pytest.fixture(scope="module")
def multi_run(request) -> Path:
    if not have_data():
        pytest.skip(f"needs {DAVIS_ROOT} and {SEGTRACK_ROOT} (set STAN_SHARED_DATA)")
    request.getfixturevalue("tiny_run")
    return finished_run("multi_run", lambda: multi_command(request))


@pytest.mark.slow
@pytest.mark.davis
def test_one_model_on_synthetic_davis_and_segtrackv2(multi_run):
    work = multi_run
    name = "synthetic+davis+segtrackv2"
    ckpt = torch.load(work / f"results/models/{name}/ST.pt", weights_only=True)
    assert ckpt["metrics"]["training_sets"] == ["synthetic", "davis", "segtrackv2"]
    # one model, no per-dataset ones; each member dataset has its own prior and label source
    assert sorted(p.name for p in (work / "results/models").iterdir()) == [
        "backbone",
        "prior",
        name,
    ]
    assert sorted(p.name for p in (work / "results/models/prior").glob("*.pt")) == [
        "davis.pt",
        "segtrackv2.pt",
        "synthetic.pt",
    ]
    # synthetic trains on coarse labels (tiny.yaml), DAVIS and SegTrackV2 on ground truth
    assert sorted(p.name for p in (work / "results/coarse").iterdir()) == ["synthetic"]
    for dataset in ("synthetic", "davis"):
        table = pd.read_csv(work / f"results/tables/{dataset}.csv").set_index("method")
        assert table.loc["ST", "trained_on"] == name
        assert table.loc["flow-magnitude", "trained_on"] == "-"
