"""The tiny synthetic workflow end to end with FlowNet2 as the flow backend (the run is given to
the background lane before the first test, tests/conftest.py)."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import REPO, Background, finished_run, queue_if_used, tiny_command

from stan.flow.cache import load_flow

# In a process of its own: the background lane must not touch torch's global seed.
MAKE_CHECKPOINT = """
import sys, torch
from stan.flow.flownet2.registry import build_model
torch.manual_seed(0)
model = build_model("FlowNet2")  # default initialisation: real weights are not needed here
torch.save({"epoch": 0, "best_EPE": 0.0, "state_dict": model.state_dict()}, sys.argv[1])
"""


def flownet2_command(request) -> tuple[Path, Background]:
    tmp_path = request.getfixturevalue("tmp_path_factory").mktemp("flownet2-run")
    checkpoint = tmp_path / "FlowNet2_checkpoint.pth.tar"
    overrides = tmp_path / "flownet2.yaml"
    flow = {"method": "flownet2", "flownet2": {"checkpoint": str(checkpoint), "batch_size": 2}}
    overrides.write_text(yaml.safe_dump({"flow": flow}))
    baseline_only = REPO / "workflow/configs/tiny-baseline.yaml"
    cmd = tiny_command(tmp_path, REPO, overlays=[baseline_only, overrides])

    def prepare() -> None:
        make = [sys.executable, "-c", MAKE_CHECKPOINT, str(checkpoint)]
        made = subprocess.run(make, capture_output=True, text=True, timeout=600)
        assert made.returncode == 0, made.stderr[-3000:]

    return tmp_path, Background(cmd, tmp_path.with_suffix(".log"), prepare=prepare)


def start_early(request, items) -> None:
    """Give the background lane the run, if a selected test uses it (tests/conftest.py)."""
    queue_if_used(items, "flownet2_run", lambda: flownet2_command(request))


@pytest.fixture(scope="module")
def flownet2_run(request) -> Path:
    return finished_run("flownet2_run", lambda: flownet2_command(request))


def test_demo_with_flownet2(flownet2_run):
    tmp_path = flownet2_run
    flows = sorted((tmp_path / "results/flow/synthetic/flownet2").glob("*.npz"))
    assert len(flows) == 1  # the baseline needs the flow of the one test video only
    field = load_flow(flows[0])
    assert field.shape == (8, 64, 96, 2) and np.isfinite(field).all()
    table = pd.read_csv(tmp_path / "results/tables/synthetic.csv")
    assert table["method"].tolist() == ["flow-magnitude"]
    # tiny-baseline.yaml has no threshold videos: the trained-threshold columns stay empty
    scores = table.select_dtypes("number").drop(
        columns=["trained_threshold", "J_mean_tt", "F_mean_tt"]
    )
    assert np.isfinite(scores.to_numpy()).all()
