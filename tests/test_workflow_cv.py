"""Cross-validation in the real DAG: 2 folds of the tiny synthetic set, a variant with 2 seeds.

Both runs are given to the background lane before the first test (tests/conftest.py)."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from conftest import REPO, Background, finished_run, queue_if_used, tiny_command

from stan.io import read_gray

OVERLAY = """
datasets: [synthetic-cv0, synthetic-cv1]
data:
  synthetic:
    generate: {n_train: 3, n_test: 1, n_frames: 6, height: 64, width: 96, seed: 1}
  synthetic-cv0: {adapter: fold, of: synthetic, folds: 2, fold: 0}
  synthetic-cv1: {adapter: fold, of: synthetic, folds: 2, fold: 1}
train: {steps: 2}
evaluate:
  methods: [flow-magnitude, OS, OS-s1, OS+crf, OS-ens2, OS-ens2+crf]
  threshold_videos: 1
"""


OOF_VIDEO = "synth-train-00"  # sorted first training video: sub-fold 0 of 2


def cv_command(tmp_path_factory) -> tuple[Path, Background]:
    workdir = tmp_path_factory.mktemp("cv")
    overlay = workdir / "cv.yaml"
    overlay.write_text(OVERLAY)
    cmd = tiny_command(workdir, REPO, "results/tables/synthetic_cv.csv", overlays=[overlay])
    return workdir, Background(cmd, workdir.with_suffix(".log"))


def oof_command(tmp_path_factory) -> tuple[Path, Background]:
    workdir = tmp_path_factory.mktemp("oof")
    overlay = workdir / "oof.yaml"
    overlay.write_text("prior: {out_of_fold: 2}\n")
    target = f"results/priors/synthetic/{OOF_VIDEO}"
    cmd = tiny_command(workdir, REPO, target, overlays=[overlay])
    return workdir, Background(cmd, workdir.with_suffix(".log"))


COMMANDS = {"cv_run": cv_command, "oof_run": oof_command}


def start_early(request, items) -> None:
    """Give the background lane the runs that the selected tests use (tests/conftest.py)."""
    tmp_path_factory = request.getfixturevalue("tmp_path_factory")
    for fixture, command in COMMANDS.items():
        queue_if_used(items, fixture, lambda command=command: command(tmp_path_factory))


def finished(fixture: str, tmp_path_factory, timeout: float) -> Path:
    """The working directory of a run of COMMANDS, once it completed."""
    return finished_run(fixture, lambda: COMMANDS[fixture](tmp_path_factory), timeout)


@pytest.fixture(scope="module")
def cv_run(tmp_path_factory):
    return finished("cv_run", tmp_path_factory, timeout=900) / "results"


@pytest.fixture(scope="module")
def oof_run(tmp_path_factory):
    return finished("oof_run", tmp_path_factory, timeout=600)


def test_cv_table_summarises_folds_and_seeds(cv_run):
    table = pd.read_csv(cv_run / "tables" / "synthetic_cv.csv").set_index("method")
    assert table.index.tolist() == ["flow-magnitude", "OS", "OS+crf", "OS-ens2", "OS-ens2+crf"]
    assert table.loc["flow-magnitude", ["n_runs", "n_folds", "n_seeds"]].tolist() == [2, 2, 1]
    assert table.loc["OS", ["n_runs", "n_folds", "n_seeds"]].tolist() == [4, 2, 2]
    assert (table["n_videos"] == 3).all()  # every training video of the base tested once
    folds = [pd.read_csv(cv_run / "tables" / f"synthetic-cv{k}.csv") for k in (0, 1)]
    os_maxf = pd.concat(f.set_index("method").loc[["OS", "OS-s1"], "maxF"] for f in folds)
    assert table.loc["OS", "maxF_mean"] == pytest.approx(os_maxf.mean())
    assert table.loc["OS", "maxF_std"] == pytest.approx(os_maxf.std())
    # the CRF row names its worst video: the largest per-video max F drop below its OS input
    drops = []
    for k in (0, 1):
        scores = cv_run / "scores" / f"synthetic-cv{k}"
        plain = pd.read_csv(scores / "OS.csv").set_index("video")["maxF"]
        refined = pd.read_csv(scores / "OS+crf.csv").set_index("video")["maxF"]
        drops += [(refined[v] - plain[v], f"synthetic-cv{k}/{v}, seed 0") for v in plain.index]
    crf = table.loc["OS+crf"]
    assert crf["crf_worst_delta"] == pytest.approx(min(drops)[0])
    assert crf["crf_worst_video"] == min(drops)[1]
    assert crf["crf_videos_down"] == sum(d < -0.02 for d, _ in drops)
    assert table["crf_worst_delta"].isna().sum() == 3  # the rows without a CRF
    # the seed ensemble is one run per fold, scored on the mean of its members' maps
    assert table.loc["OS-ens2", ["n_runs", "n_folds", "n_seeds"]].tolist() == [2, 2, 1]
    assert pd.notna(table.loc["OS-ens2+crf", "crf_worst_delta"])
    saliency = cv_run / "saliency" / "synthetic-cv0"
    video = sorted(p.name for p in (saliency / "OS-ens2").iterdir() if p.is_dir())[0]
    frame = sorted((saliency / "OS-ens2" / video).glob("*.png"))[0].name
    members = [read_gray(saliency / m / video / frame).astype(float) for m in ("OS", "OS-s1")]
    mean = np.rint((members[0] + members[1]) / 2)
    assert np.array_equal(read_gray(saliency / "OS-ens2" / video / frame), mean)


def test_folds_share_split_free_caches_and_keep_their_models(cv_run):
    # flow and flow-magnitude maps exist once, for the base dataset
    assert sorted(p.name for p in (cv_run / "flow").iterdir()) == ["synthetic"]
    assert sorted(p.name for p in (cv_run / "saliency").iterdir()) == [
        "synthetic",
        "synthetic-cv0",
        "synthetic-cv1",
    ]
    assert not (cv_run / "saliency" / "synthetic-cv0" / "flow-magnitude").exists()
    assert sorted(p.name for p in (cv_run / "features").iterdir()) == ["synthetic"]
    tests = set()
    for k in (0, 1):
        manifest = pd.read_csv(cv_run / "manifests" / f"synthetic-cv{k}.csv")
        tests |= set(manifest.loc[manifest["split"] == "test", "video"])
        seed0 = torch.load(cv_run / "models" / f"synthetic-cv{k}" / "OS.pt", weights_only=True)
        seed1 = torch.load(cv_run / "models" / f"synthetic-cv{k}" / "OS-s1.pt", weights_only=True)
        assert seed1["train_config"]["seed"] == seed0["train_config"]["seed"] + 1
    assert tests == {f"synth-train-{i:02d}" for i in range(3)}


def test_out_of_fold_prior_of_a_training_video_comes_from_a_model_without_it(oof_run):
    video = OOF_VIDEO
    models = oof_run / "results" / "models" / "prior"
    assert sorted(p.name for p in models.glob("*.pt")) == ["synthetic-oof0.pt"]
    metrics = torch.load(models / "synthetic-oof0.pt", weights_only=True)["metrics"]
    assert video not in metrics["train_videos"] + metrics["val_videos"]
    assert metrics["train_videos"] + metrics["val_videos"] == ["synth-train-01"]
    assert len(list((oof_run / "results" / "priors" / "synthetic" / video).glob("*.png"))) == 8
