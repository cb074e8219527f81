"""The `stan` command and model bundles, on the session's tiny synthetic DAG run (tiny_run).

The DAG trains STAN and its prior, predicts and CRF-refines the test video, scores it and writes
the bundle; the command must then reproduce the DAG's maps and table from the bundle alone.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import cv2
import numpy as np
import pandas as pd
import pytest
import torch
import yaml

from stan.cli import main as cli
from stan.cli.pipeline import EnsemblePredictor, VideoPredictor
from stan.io import read_gray, read_image
from stan.predict.bundle import read_bundle, table_scores, unpack_bundle, write_bundle
from stan.runtime import load_checkpoint, save_checkpoint

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def dag(tiny_run) -> dict:
    """The session's tiny DAG run (tests/conftest.py): its table, then the STAN bundle."""
    work = tiny_run
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


def mean_difference(dir_a: Path, dir_b: Path) -> float:
    names = sorted(p.name for p in dir_b.glob("*.png"))
    return float(
        np.mean([np.abs(read_gray(dir_a / n) / 255.0 - read_gray(dir_b / n) / 255.0).mean()
                 for n in names])
    )  # fmt: skip


def test_bundle_reproduces_the_workflow_maps(dag, tmp_path):
    """Same model, same frames: the command's maps equal the DAG's to 1/255.

    The bundle stores float16 weights, so a few pixels round the other way; the CRF (min-max
    normalised per frame) can widen such a 1/255 step to a few levels at object boundaries, so
    its end-to-end maps are held to a small mean difference (measured on this tiny run: 0.0097
    with crf.bilateral_compat 10, under 0.005 with 5: the stronger appearance term flips more
    boundary pixels), and the CRF stage itself is held to 1/255 when fed the DAG's own maps.
    """
    argv = ["predict", str(dag["bundle"]), str(dag["frames"]), "--out", str(tmp_path)]
    assert cli.main([*argv, "--crf", "--backbone", str(dag["backbone"])]) == 0
    assert max_difference(tmp_path / "maps" / dag["video"], dag["maps"]) <= 1
    assert mean_difference(tmp_path / "crf" / dag["video"], dag["crf"]) < 0.015

    predictor = VideoPredictor(read_bundle(dag["bundle"]), device="cpu",
                               backbone_weights=dag["backbone"])  # fmt: skip
    names = sorted(p.name for p in dag["maps"].glob("*.png"))
    frames = [read_image(dag["frames"] / n.replace(".png", ".jpg")) for n in names]
    refined = predictor.refine(frames, [read_gray(dag["maps"] / n) for n in names])
    for name, got in zip(names, refined, strict=True):
        assert np.abs(got.astype(int) - read_gray(dag["crf"] / name).astype(int)).max() <= 1


def test_bundle_contents_and_unpacking(dag, tmp_path):
    bundle = read_bundle(dag["bundle"])
    assert bundle["format"] == "stan-bundle/1" and bundle["dataset"] == "synthetic"
    assert bundle["flow"]["method"] == "dis" and "device" not in bundle["flow"]
    assert not any(k.startswith("spatial_trunk.") for k in bundle["stan"]["model"])
    assert bundle["backbone"]["init"] == "hed" and not bundle["backbone"]["included"]
    assert set(bundle["scores"]) == {"STAN", "STAN+crf"}
    # about 11 MB, mostly the prior's AlexNet (2.5M parameters, float32); no VGG16 inside
    assert dag["bundle"].stat().st_size < 12e6
    stan_weights = [v for v in bundle["stan"]["model"].values() if v.is_floating_point()]
    assert stan_weights and all(v.dtype == torch.float16 for v in stan_weights)
    assert all(v.dtype != torch.float16 for v in bundle["prior"]["model"].values())
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
    # the DAG's STAN folder also holds the threshold (training) videos' maps; score the test one
    pred = tmp_path / "pred" / "STAN"
    shutil.copytree(dag["maps"], pred / dag["video"])
    assert cli.main(["score", str(gt), str(pred), "--out", str(tmp_path / "out")]) == 0
    assert "maxF" in capsys.readouterr().out
    got = pd.read_csv(tmp_path / "out" / "table.csv").set_index("method").loc["STAN"]
    want = pd.read_csv(dag["table"]).set_index("method").loc["STAN"]
    # the command knows neither the training set nor training videos to pick a threshold on:
    # no trained_on column, empty trained-threshold columns; every other column is the DAG's
    assert list(got.index) == [c for c in want.index if c != "trained_on"]
    learned = ["trained_threshold", "J_mean_tt", "F_mean_tt"]
    assert got[learned].isna().all()
    got, want = got.drop(learned), want.drop(["trained_on", *learned])
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
    assert info["initialised_from"] == ""  # the demo trains without appearance pre-training
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
    write_bundle(
        dag["checkpoint"],
        dag["prior"],
        full,
        dataset="synthetic",
        flow={"method": "dis"},
        half=False,
    )
    for name, bundle in (("half", dag["bundle"]), ("full", full)):
        argv = ["predict", str(bundle), str(dag["frames"]), "--out", str(tmp_path / name)]
        assert cli.main([*argv, "--backbone", str(dag["backbone"])]) == 0
    assert (
        max_difference(tmp_path / "half/maps" / dag["video"], tmp_path / "full/maps" / dag["video"])
        <= 1
    )


def test_bundle_leaves_out_a_table_older_than_its_model(tmp_path, caplog):
    """A benchmark table written before the checkpoint scored an earlier model: not bundled."""
    checkpoint, table = tmp_path / "STAN.pt", tmp_path / "davis.csv"
    checkpoint.write_bytes(b"weights")
    table.write_text("method,trained_on,maxF\nST,davis,0.7\nSTAN,davis,0.8\nSTAN+crf,davis,0.85\n")
    assert set(table_scores(table, "STAN", checkpoint)) == {"STAN", "STAN+crf"}
    assert table_scores(table, "STAN", checkpoint)["STAN"] == {"trained_on": "davis", "maxF": 0.8}
    older = checkpoint.stat().st_mtime - 60
    os.utime(table, (older, older))
    assert table_scores(table, "STAN", checkpoint) == {}
    assert "older than" in caplog.text and str(table) in caplog.text
    assert set(table_scores(table, "STAN")) == {"STAN", "STAN+crf"}  # no model to compare with


def test_console_script_and_package_data_are_declared():
    import importlib
    import tomllib

    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    module, function = project["project"]["scripts"]["stan"].split(":")
    assert getattr(importlib.import_module(module), function) is cli.main
    assert "assets/*.pt" in project["tool"]["setuptools"]["package-data"]["stan"]
    assert cli.DEFAULT_MODEL == REPO / "stan" / "assets" / "stan-davis.pt"


def test_magnitude_channel_bundle_reads_the_workflow_flow_magnitude_maps(dag, tmp_path):
    """A bundle whose model has model.magnitude_channel: `stan predict` gives it the prior and,
    as second channel, the flow-magnitude map that rule flow_magnitude writes for the frame."""
    from stan.inputs.frames import prior_input
    from stan.model.build import build_model
    from stan.model.config import ModelConfig
    from stan.runtime import save_checkpoint

    ckpt = load_checkpoint(dag["checkpoint"], "stan-model")
    cfg = ModelConfig.from_dict({**ckpt["model_config"], "magnitude_channel": True})
    model = build_model(cfg, load_backbone=False)
    model.spatial_trunk.load_state_dict(
        {k.split(".", 1)[1]: v for k, v in ckpt["model"].items() if k.startswith("spatial_trunk.")}
    )
    checkpoint = tmp_path / "magnitude.pt"
    entries = {k: v for k, v in ckpt.items() if k != "format"}
    save_checkpoint(
        checkpoint,
        "stan-model",
        {**entries, "model": model.state_dict(), "model_config": cfg.to_dict()},
    )
    baseline = yaml.safe_load((REPO / "config.yaml").read_text())["baseline"]
    bundle = write_bundle(
        checkpoint, dag["prior"], tmp_path / "bundle.pt", dataset="synthetic",
        flow={"method": "dis"}, baseline=baseline,
    )  # fmt: skip
    assert bundle["baseline"] == baseline
    predictor = VideoPredictor(bundle, device="cpu", backbone_weights=dag["backbone"])
    names = sorted(p.name for p in dag["frames"].iterdir())
    frames = [read_image(dag["frames"] / n) for n in names]
    motion = predictor.motion(frames, predictor.flows(frames))
    workflow = dag["work"] / "results/saliency/synthetic/flow-magnitude" / dag["video"]
    for name, m in zip(names, motion, strict=True):
        assert m.shape == (*predictor.size, 2)
        expected = prior_input(read_gray(workflow / f"{Path(name).stem}.png"), predictor.size)
        np.testing.assert_array_equal(m[..., 1], expected[..., 0])
    assert cli.main(["predict", str(tmp_path / "bundle.pt"), str(dag["frames"]),
                     "--out", str(tmp_path / "out"), "--backbone", str(dag["backbone"])]) == 0  # fmt: skip
    assert len(list((tmp_path / "out/maps" / dag["video"]).glob("*.png"))) == len(names)


def test_several_bundles_predict_as_a_seed_ensemble(dag, tmp_path):
    """`stan predict A.pt B.pt INPUT`: the rounded mean of each bundle's maps (as the workflow's
    <variant>-ens<n>), the CRF on the mean; a bundle with other flow settings is refused."""
    # a second model of the same training set: the heads moved as another seed would move them
    ckpt = load_checkpoint(dag["checkpoint"], "stan-model")
    generator = torch.Generator().manual_seed(1)
    ckpt["model"] = {
        k: v + 0.2 * torch.randn(v.shape, generator=generator) * v.std()
        if v.is_floating_point() and v.numel() > 1 and not k.startswith("spatial_trunk.")
        else v
        for k, v in ckpt["model"].items()
    }
    save_checkpoint(tmp_path / "seed1.pt", "stan-model", ckpt)
    other = tmp_path / "other.pt"
    shipped = read_bundle(dag["bundle"])
    table = tmp_path / "synthetic.csv"  # a seed's bundle packs its own rows of the table
    table.write_text("method,maxF\nSTAN,0.7\nSTAN-s1,0.6\nSTAN-s1+crf,0.65\n")
    bundle = write_bundle(tmp_path / "seed1.pt", dag["prior"], other, dataset="synthetic",
                          flow=shipped["flow"], crf=shipped["crf"], scores_table=table,
                          method="STAN-s1")  # fmt: skip
    assert bundle["scores"] == {"STAN-s1": {"maxF": 0.6}, "STAN-s1+crf": {"maxF": 0.65}}
    backbone = ["--backbone", str(dag["backbone"])]
    for name, models in (("a", [dag["bundle"]]), ("b", [other]), ("ens", [dag["bundle"], other])):
        argv = ["predict", *map(str, models), str(dag["frames"]), "--out", str(tmp_path / name)]
        assert cli.main([*argv, *backbone, *(["--crf"] if name == "ens" else [])]) == 0
    video = dag["video"]
    names = sorted(p.name for p in (tmp_path / "ens/maps" / video).glob("*.png"))
    assert names == sorted(p.name for p in dag["maps"].glob("*.png"))
    differ = 0
    for name in names:
        a, b = (read_gray(tmp_path / m / "maps" / video / name).astype(float) for m in "ab")
        differ += int((a != b).sum())
        mean = np.rint((a + b) / 2)
        assert np.array_equal(read_gray(tmp_path / "ens/maps" / video / name), mean)
    assert differ > 0  # the two members do disagree
    # the CRF refines the mean: the CRF stage applied to the ensemble's maps
    predictor = VideoPredictor(read_bundle(dag["bundle"]), device="cpu",
                               backbone_weights=dag["backbone"])  # fmt: skip
    frames = [read_image(dag["frames"] / n.replace(".png", ".jpg")) for n in names]
    refined = predictor.refine(
        frames, [read_gray(tmp_path / "ens/maps" / video / n) for n in names]
    )
    for name, got in zip(names, refined, strict=True):
        assert np.array_equal(got, read_gray(tmp_path / "ens/crf" / video / name))

    # the seeds share one frozen trunk and one prior: features and motion input are computed
    # once for the ensemble; a member with another trunk computes its own features
    members = [VideoPredictor(read_bundle(b), device="cpu", backbone_weights=dag["backbone"])
               for b in (dag["bundle"], other)]  # fmt: skip
    calls = []
    for i, member in enumerate(members):
        run = member.trunk_features
        member.trunk_features = lambda fr, i=i, run=run: calls.append(i) or run(fr)
    ensemble = EnsemblePredictor(members)
    assert ensemble.trunk_source == [0, 0] and ensemble.motion_source == [0, 0]
    maps = ensemble.predict(frames).maps
    assert calls == [0]
    for name, got in zip(names, maps, strict=True):
        assert np.array_equal(got, read_gray(tmp_path / "ens/maps" / video / name))
    with torch.no_grad():
        next(members[1].model.spatial_trunk.parameters()).mul_(1.01)
    assert EnsemblePredictor(members).trunk_source == [0, 1]

    farneback = tmp_path / "farneback.pt"
    write_bundle(tmp_path / "seed1.pt", dag["prior"], farneback, dataset="synthetic",
                 flow={**shipped["flow"], "method": "farneback"})  # fmt: skip
    argv = ["predict", str(dag["bundle"]), str(farneback), str(dag["frames"]), "--out", "x"]
    assert cli.main([*argv, *backbone]) == cli.EXIT_MODEL
