"""The `stan` command and model bundles, on a tiny synthetic DAG run (STAN only, ~1 min).

The DAG trains STAN and its prior, predicts and CRF-refines the test video, scores it and writes
the bundle; the command must then reproduce the DAG's maps and table from the bundle alone.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pandas as pd
import pytest
import torch
import yaml

from stan.cli import main as cli
from stan.io import read_gray
from stan.predict.bundle import read_bundle, unpack_bundle, write_bundle
from stan.runtime import load_checkpoint

REPO = Path(__file__).resolve().parents[1]
SNAKEMAKE = str(Path(sys.executable).with_name("snakemake"))
METHODS = {"evaluate": {"methods": ["STAN", "STAN+crf"]}}


def snakemake(workdir: Path, *targets: str) -> None:
    overlay = workdir / "methods.yaml"
    overlay.write_text(yaml.safe_dump(METHODS))
    cmd = [
        SNAKEMAKE, *targets, "--snakefile", str(REPO / "Snakefile"), "--directory", str(workdir),
        "--cores", "2", "--configfile", str(REPO / "workflow/configs/tiny.yaml"), str(overlay),
    ]  # fmt: skip
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=1200)
    assert result.returncode == 0, result.stderr[-4000:]


@pytest.fixture(scope="module")
def dag(tmp_path_factory) -> dict:
    work = tmp_path_factory.mktemp("dag")
    snakemake(work, "results/tables/synthetic.csv")
    snakemake(work, "results/bundles/synthetic/STAN.pt")
    manifest = pd.read_csv(work / "results/manifests/synthetic.csv", dtype=str)
    video = sorted(manifest.loc[manifest["split"] == "test", "video"].unique())[0]
    results = work / "results"
    return {
        "work": work,
        "video": video,
        "frames": results / "datasets/synthetic/JPEGImages/480p" / video,
        "bundle": results / "bundles/synthetic/STAN.pt",
        "checkpoint": results / "models/synthetic/STAN.pt",
        "prior": results / "models/prior/synthetic.pt",
        "backbone": results / "models/backbone/hed_vgg16.pt",
        "maps": results / "saliency/synthetic/STAN" / video,
        "crf": results / "saliency/synthetic/STAN+crf" / video,
        "table": results / "tables/synthetic.csv",
    }


def max_difference(dir_a: Path, dir_b: Path) -> int:
    names = sorted(p.name for p in dir_b.glob("*.png"))
    assert names and names == sorted(p.name for p in dir_a.glob("*.png"))
    return max(
        int(np.abs(read_gray(dir_a / n).astype(int) - read_gray(dir_b / n).astype(int)).max())
        for n in names
    )


def test_bundle_reproduces_the_workflow_maps(dag, tmp_path):
    """Same model, same frames: the command's maps equal the DAG's to 1/255 (CRF maps too)."""
    argv = ["predict", str(dag["bundle"]), str(dag["frames"]), "--out", str(tmp_path)]
    assert cli.main([*argv, "--crf", "--backbone", str(dag["backbone"])]) == 0
    assert max_difference(tmp_path / "maps" / dag["video"], dag["maps"]) <= 1
    assert max_difference(tmp_path / "crf" / dag["video"], dag["crf"]) <= 1


def test_bundle_contents_and_unpacking(dag, tmp_path):
    bundle = read_bundle(dag["bundle"])
    assert bundle["format"] == "stan-bundle/1" and bundle["dataset"] == "synthetic"
    assert bundle["flow"]["method"] == "dis" and "device" not in bundle["flow"]
    assert not any(k.startswith("spatial_trunk.") for k in bundle["stan"]["model"])
    assert bundle["backbone"]["init"] == "hed" and not bundle["backbone"]["included"]
    assert set(bundle["scores"]) == {"STAN", "STAN+crf"}
    # 5.9 MB here, mostly the prior's AlexNet (2.5M parameters in float16); no VGG16 inside
    assert dag["bundle"].stat().st_size < 8e6
    unpack_bundle(
        dag["bundle"], tmp_path / "s.pt", tmp_path / "p.pt", backbone_weights=dag["backbone"]
    )
    for unpacked, original, kind in (
        (tmp_path / "s.pt", dag["checkpoint"], "stan-model"),
        (tmp_path / "p.pt", dag["prior"], "stan-prior"),
    ):
        got, want = load_checkpoint(unpacked, kind), load_checkpoint(original, kind)
        assert got["model_config"] == want["model_config"]
        assert set(got["model"]) == set(want["model"])
        for key, value in want["model"].items():
            assert got["model"][key].dtype == value.dtype
            torch.testing.assert_close(got["model"][key], value, atol=2e-3, rtol=1e-3)


def test_score_reproduces_the_workflow_table(dag, tmp_path, capsys):
    gt = dag["work"] / "results/datasets/synthetic"
    pred = dag["maps"].parent
    assert cli.main(["score", str(gt), str(pred), "--out", str(tmp_path)]) == 0
    assert "maxF" in capsys.readouterr().out
    got = pd.read_csv(tmp_path / "table.csv").set_index("method").loc["STAN"]
    want = pd.read_csv(dag["table"]).set_index("method").loc["STAN"]
    assert list(got.index) == list(want.index)
    np.testing.assert_allclose(got.to_numpy(float), want.to_numpy(float), atol=1e-6, rtol=0)


def test_predict_an_mp4_with_overlay(dag, tmp_path):
    frames = sorted(dag["frames"].glob("*.jpg"))
    first = cv2.imread(str(frames[0]))
    video = tmp_path / "clip.mp4"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"mp4v"), 8, first.shape[1::-1])
    for path in frames:
        writer.write(cv2.imread(str(path)))
    writer.release()
    out = tmp_path / "out"
    argv = ["predict", str(dag["bundle"]), str(video), "--out", str(out), "--overlay"]
    assert cli.main([*argv, "--backbone", str(dag["backbone"])]) == 0
    maps = sorted((out / "maps" / "clip").glob("*.png"))
    assert [p.name for p in maps] == [f"{i:05d}.png" for i in range(len(frames))]
    assert read_gray(maps[0]).shape == first.shape[:2]
    capture = cv2.VideoCapture(str(out / "overlay" / "clip.mp4"))
    count = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
    ok, panel = capture.read()
    capture.release()
    assert ok and count == len(frames) and panel.shape[1] == 3 * first.shape[1] // 2 * 2


def test_info(dag, capsys):
    assert cli.main(["info", str(dag["bundle"])]) == 0
    info = yaml.safe_load(capsys.readouterr().out)
    assert info["variant"] == "STAN" and info["dataset"] == "synthetic"
    assert info["scores"]["STAN"]["maxF"] == pytest.approx(
        pd.read_csv(dag["table"]).set_index("method").loc["STAN", "maxF"]
    )


def test_exit_codes(dag, tmp_path, monkeypatch, capsys):
    bundle, out = str(dag["bundle"]), str(tmp_path / "out")
    backbone = ["--backbone", str(dag["backbone"])]
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"\x00" * 1000)
    assert cli.main(["predict", bundle, str(broken), "--out", out, *backbone]) == cli.EXIT_INPUT
    assert f"{broken}: cannot open the video file" in capsys.readouterr().err
    one = tmp_path / "one"
    one.mkdir()
    shutil.copy(next(dag["frames"].glob("*.jpg")), one)
    assert cli.main(["predict", bundle, str(one), "--out", out, *backbone]) == cli.EXIT_SHORT
    frames = str(dag["frames"])
    assert cli.main(["predict", str(dag["checkpoint"]), frames, "--out", out]) == cli.EXIT_MODEL
    assert "not a STAN model bundle" in capsys.readouterr().err
    damaged = tmp_path / "damaged.pt"
    damaged.write_bytes(dag["bundle"].read_bytes()[:5000])
    assert cli.main(["predict", str(damaged), frames, "--out", out]) == cli.EXIT_MODEL
    err = capsys.readouterr().err
    assert str(damaged) in err and "damaged" in err and "delete it" in err
    monkeypatch.setattr(cli, "DEFAULT_MODEL", tmp_path / "assets" / "stan-davis.pt")
    assert cli.main(["predict", frames, "--out", out]) == cli.EXIT_MODEL
    assert "no bundled model at" in capsys.readouterr().err
    assert (
        cli.main(["predict", bundle, frames, "--out", out, "--device", "cuda:9"]) == cli.EXIT_USAGE
    )
    assert not (tmp_path / "out").exists()  # nothing written by a failed run
    with pytest.raises(SystemExit) as stop:
        cli.main(["predict", "--help"])
    assert stop.value.code == 0 and "exit codes" in capsys.readouterr().out


def test_half_precision_bundle_matches_full_precision(dag, tmp_path):
    """Float16 storage of the weights moves the 8-bit maps by at most one level here."""
    full = tmp_path / "full.pt"
    write_bundle(dag["checkpoint"], dag["prior"], full, dataset="synthetic", flow={"method": "dis"})
    for name, bundle in (("half", dag["bundle"]), ("full", full)):
        argv = ["predict", str(bundle), str(dag["frames"]), "--out", str(tmp_path / name)]
        assert cli.main([*argv, "--backbone", str(dag["backbone"])]) == 0
    assert (
        max_difference(tmp_path / "half/maps" / dag["video"], tmp_path / "full/maps" / dag["video"])
        <= 1
    )


def test_console_script_and_package_data_are_declared():
    import importlib
    import tomllib

    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    module, function = project["project"]["scripts"]["stan"].split(":")
    assert getattr(importlib.import_module(module), function) is cli.main
    assert "assets/*.pt" in project["tool"]["setuptools"]["package-data"]["stan"]
    assert cli.DEFAULT_MODEL == REPO / "stan" / "assets" / "stan-davis.pt"
