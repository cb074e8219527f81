"""The tiny synthetic workflow end to end with FlowNet2 as the flow backend."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import torch
import yaml

from stan.flow.cache import load_flow
from stan.flow.flownet2.registry import build_model

REPO = Path(__file__).resolve().parents[1]


def test_demo_with_flownet2(tmp_path):
    torch.manual_seed(0)
    model = build_model("FlowNet2")  # default initialisation: real weights are not needed here
    checkpoint = tmp_path / "FlowNet2_checkpoint.pth.tar"
    torch.save({"epoch": 0, "best_EPE": 0.0, "state_dict": model.state_dict()}, checkpoint)
    overrides = tmp_path / "flownet2.yaml"
    flow = {"method": "flownet2", "flownet2": {"checkpoint": str(checkpoint), "batch_size": 2}}
    overrides.write_text(yaml.safe_dump({"flow": flow}))
    snakemake = str(Path(sys.executable).with_name("snakemake"))
    cmd = [snakemake, "--snakefile", str(REPO / "Snakefile"), "--directory", str(tmp_path)]
    configs = [REPO / "workflow/configs/tiny.yaml", REPO / "workflow/configs/tiny-baseline.yaml"]
    cmd += ["--cores", "2", "--configfile", *map(str, configs), str(overrides)]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=1200)
    assert result.returncode == 0, result.stderr[-4000:]
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
