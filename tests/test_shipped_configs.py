"""Every shipped config, merged over config.yaml the way Snakemake merges `--configfile`s, builds
a DAG on small stand-in datasets, and the settings that matter reach the jobs."""

from __future__ import annotations

import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import cv2
import numpy as np
import pytest
from test_data_adapters import make_fbms, make_segtrack

REPO = Path(__file__).resolve().parents[1]
CONFIGS = REPO / "workflow" / "configs"
# Overlays meant to go on top of another one.
BASES = {
    "tiny-baseline.yaml": ["tiny.yaml"],
    "davis-192.yaml": ["davis-dev.yaml"],
    "davis-sparse.yaml": ["davis-dev.yaml"],
    "davis-cv-ablation.yaml": ["davis-cv.yaml"],
    "davis-cv-duts.yaml": ["davis-cv.yaml"],
    "davis-cv-magnitude.yaml": ["davis-cv.yaml"],
}
# Configs whose point is another target than `rule all`.
TARGETS = {
    "davis-all.yaml": ["shipped_bundle"],
    "davis-cv.yaml": ["results/tables/davis_cv.csv"],
    "davis-cv-ablation.yaml": ["results/tables/davis_cv.csv"],
    "davis-cv-duts.yaml": ["results/tables/davis_cv.csv"],
    "davis-cv-magnitude.yaml": ["results/tables/davis_cv.csv"],
}
DEV_TEST = [
    "bear",
    "bus",
    "drift-turn",
    "hockey",
    "mallard-fly",
    "paragliding",
    "soccerball",
    "tennis",
]
DAVIS_TRAIN = [*DEV_TEST, "camel", "car-shadow", "dog-agility", "train"]
DAVIS_VAL = ["blackswan", "cows", "dog"]


def make_davis(root: Path) -> None:
    """A DAVIS-2016 layout with a few 3-frame videos and the official split files."""
    rng = np.random.default_rng(0)
    for video in DAVIS_TRAIN + DAVIS_VAL:
        for i in range(3):
            frame = rng.integers(0, 255, (24, 32, 3), dtype=np.uint8)
            mask = np.zeros((24, 32), np.uint8)
            mask[5:15, 8 + i : 20 + i] = 255
            for sub, name, image in (("JPEGImages", "jpg", frame), ("Annotations", "png", mask)):
                path = root / sub / "480p" / video / f"{i:05d}.{name}"
                path.parent.mkdir(parents=True, exist_ok=True)
                assert cv2.imwrite(str(path), image)
    sets = root / "ImageSets" / "480p"
    sets.mkdir(parents=True)
    for split, videos in (("train", DAVIS_TRAIN), ("val", DAVIS_VAL)):
        lines = [
            f"/JPEGImages/480p/{v}/{i:05d}.jpg /Annotations/480p/{v}/{i:05d}.png"
            for v in videos
            for i in range(3)
        ]
        (sets / f"{split}.txt").write_text("\n".join(lines) + "\n")


@pytest.fixture(scope="module")
def stand_ins(tmp_path_factory) -> Path:
    """A folder holding work/ (the working directory) with data/DAVIS, data/FBMS,
    data/SegTrackV2 and data/checkpoints stand-ins, and shared/data/DAVIS beside it (where
    davis-dev.yaml looks, ../shared/data/DAVIS). Configs share the data: each one runs in a
    working directory beside work/ whose data/ is work/data (dag_of)."""
    top = tmp_path_factory.mktemp("stand-ins")
    make_davis(top / "shared" / "data" / "DAVIS")
    duts = top / "shared" / "data" / "DUTS-TR-part"  # davis-cv-duts.yaml's pretrain.root
    for sub, image in (
        ("Imgs", np.full((24, 32, 3), 90, np.uint8)),
        ("GT", np.full((24, 32), 255, np.uint8)),
    ):
        (duts / sub).mkdir(parents=True)
        for i in range(2):
            assert cv2.imwrite(
                str(duts / sub / f"img_{i}.{'jpg' if sub == 'Imgs' else 'png'}"), image
            )
    data = top / "work" / "data"
    data.mkdir(parents=True)
    (data / "DAVIS").symlink_to(top / "shared" / "data" / "DAVIS")
    make_fbms(data / "FBMS")
    make_segtrack(data / "SegTrackV2")
    checkpoints = data / "checkpoints"
    checkpoints.mkdir()
    for name in ("FlowNet2_checkpoint.pth.tar", "alexnet-owt-7be5be79.pth", "vgg16-397923af.pth"):
        (checkpoints / name).write_bytes(b"stand-in")  # a dry run only checks that they exist
    return top


def dag_jobs(workdir: Path, configs: list[str], *targets: str) -> list[dict]:
    cmd = [sys.executable, str(REPO / "tests" / "dag_jobs.py"), str(workdir)]
    cmd += [str(CONFIGS / c) for c in configs]
    for target in targets:
        cmd += ["--target", target]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=600, cwd=workdir)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return [json.loads(line[4:]) for line in result.stdout.splitlines() if line.startswith("JOB ")]


def jobs_of(jobs: list[dict], rule: str) -> list[dict]:
    return [j for j in jobs if j["rule"] == rule]


SHIPPED = sorted(p.name for p in CONFIGS.glob("*.yaml"))


@pytest.fixture(scope="module")
def dag_of(stand_ins):
    """The jobs of `rule all` under one shipped config (on its base overlays), computed once.
    Every config's jobs are computed when the fixture starts, two configs at a time (the 2-core
    CI runner), each in a working directory of its own that sees the stand-ins as work/ does."""

    def compute(name: str) -> list[dict]:
        workdir = stand_ins / f"work-{name}"
        workdir.mkdir()
        (workdir / "data").symlink_to(stand_ins / "work" / "data")
        configs = [] if name == "config.yaml" else [*BASES.get(name, []), name]
        return dag_jobs(workdir, configs, *TARGETS.get(name, []))

    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {name: pool.submit(compute, name) for name in ["config.yaml", *SHIPPED]}
        yield lambda name: futures[name].result()  # a config's failure fails its tests only


@pytest.mark.parametrize("name", ["config.yaml", *SHIPPED])
def test_every_shipped_config_builds_its_dag(dag_of, name):
    rules = {j["rule"] for j in dag_of(name)}
    expected = {"cv_table", "table"} if name in TARGETS else {"all", "table"}
    if name == "davis-all.yaml":
        expected = {"shipped_bundle", "bundle", "train_model"}
    assert expected <= rules, sorted(rules)


def test_default_config_is_the_davis_cpu_setting(dag_of):
    jobs = dag_of("config.yaml")
    train = jobs_of(jobs, "train_model")
    variants = {j["wildcards"]["variant"] for j in train}
    assert variants == {"OS", "ST", "STC", "STL", "STLC", "STAN", "STAN-s1", "STAN-s2"}
    # the seed ensemble and its CRF: the mean of the three STAN seeds' maps
    ensembles = jobs_of(jobs, "ensemble")
    assert {(j["wildcards"]["method"], j["wildcards"]["size"]) for j in ensembles} == {
        ("STAN", "3")
    }
    crf = {j["wildcards"]["method"] for j in jobs_of(jobs, "video_crf")}
    assert crf == {"STAN", "STAN-ens3"}
    for job in train:
        assert job["wildcards"]["trainset"] == "davis"
        assert job["params"]["train"]["input_size"] == [128, 224]
        assert job["params"]["train"]["steps"] == 300
        # chosen on the cross-validation folds (README "Cross-validation")
        assert job["params"]["model"]["prior_norm"] == "frame"
        assert job["params"]["model"]["prior_residual"] is True
        assert job["params"]["train"]["hflip"] is False  # frozen features are not mirrored
        assert [s["label_table"] for s in job["params"]["sources"]] == [""]  # all ground truth
    assert not jobs_of(jobs, "coarse_labels")
    (prior,) = jobs_of(jobs, "train_motion_prior")
    assert prior["params"]["sparse_gt_every"] == 0
    assert prior["params"]["prior"]["n_segments"] == 300
    # every test video is predicted (and a few training videos: their maps choose the trained
    # J/F threshold, evaluate.threshold_videos)
    predicted = {j["wildcards"]["video"] for j in jobs_of(jobs, "predict")}
    assert set(DAVIS_VAL) <= predicted
    assert len(predicted - set(DAVIS_VAL)) == 3


def test_paper_recipe_reaches_the_jobs(dag_of):
    jobs = dag_of("paper.yaml")
    train = jobs_of(jobs, "train_model")
    assert train and {j["wildcards"]["trainset"] for j in train} == {"davis+fbms+segtrackv2"}
    for job in train:
        params = job["params"]
        assert params["train"]["input_size"] == [512, 512]
        assert params["model"]["frozen_backbone"] is False
        assert params["model"]["backbone_init"] == "torchvision"
        # the paper's architecture: the prior read as it is, no residual (config.yaml has both)
        assert params["model"]["prior_residual"] is False
        assert params["model"]["prior_norm"] == "none"
        labels = {s["name"]: s["label_table"] for s in params["sources"]}
        assert labels == {
            "davis": "",
            "fbms": "results/coarse/fbms/label_sources.csv",
            "segtrackv2": "",
        }
    # no sparse labels on DAVIS: every annotated frame of every dataset trains the prior
    priors = {j["wildcards"]["dataset"]: j for j in jobs_of(jobs, "train_motion_prior")}
    assert set(priors) == {"davis", "fbms", "segtrackv2"}
    assert all(j["params"]["sparse_gt_every"] == 0 for j in priors.values())
    coarse = jobs_of(jobs, "coarse_labels")
    assert coarse and {j["wildcards"]["dataset"] for j in coarse} == {"fbms"}
    assert all(j["params"]["coarse"]["threshold"] == "otsu" for j in coarse)
    assert {j["params"]["flow"]["method"] for j in jobs_of(jobs, "video_flow")} == {"flownet2"}
    # tested on DAVIS val and the FBMS test set, with the one model
    tables = {j["wildcards"]["dataset"] for j in jobs_of(jobs, "table")}
    assert tables == {"davis", "fbms"}
    for job in jobs_of(jobs, "table"):
        assert job["params"]["trained_on"]["STAN"] == "davis+fbms+segtrackv2"


def test_cross_validation_configs_train_every_fold_and_seed(dag_of):
    """davis-cv.yaml: 3 folds, 3 seeds of STAN and ST in the README's setting, and their seed
    ensembles; the ablation overlay adds the other four variants with two seeds; one cv_table
    over the folds."""
    seeded = {f"{v}{s}" for v in ("ST", "STAN") for s in ("", "-s1", "-s2")}
    others = {f"{v}{s}" for v in ("OS", "STC", "STL", "STLC") for s in ("", "-s1")}
    for name, variants in (
        ("davis-cv.yaml", seeded),
        ("davis-cv-ablation.yaml", seeded | others),
    ):
        jobs = dag_of(name)
        train = jobs_of(jobs, "train_model")
        assert {j["wildcards"]["trainset"] for j in train} == {f"davis-cv{k}" for k in range(3)}
        assert {j["wildcards"]["variant"] for j in train} == variants
        assert len(train) == 3 * len(variants)
        for job in train:
            assert job["params"]["model"]["prior_norm"] == "frame"
            assert job["params"]["model"]["prior_residual"] is True
        assert len(jobs_of(jobs, "cv_table")) == 1
        # the seed ensembles of ST and STAN average the seeds' maps: no training of their own
        ensembles = jobs_of(jobs, "ensemble")
        assert {(j["wildcards"]["method"], j["wildcards"]["size"]) for j in ensembles} == {
            ("ST", "3"),
            ("STAN", "3"),
        }
        for base in ("ST", "STAN"):  # every video a member maps (test and threshold videos)
            mapped = {
                (j["wildcards"]["dataset"], j["wildcards"]["video"])
                for j in jobs_of(jobs, "predict")
                if j["wildcards"]["variant"] == base
            }
            averaged = [
                (j["wildcards"]["dataset"], j["wildcards"]["video"])
                for j in ensembles
                if j["wildcards"]["method"] == base
            ]
            assert sorted(averaged) == sorted(mapped)
        assert {j["wildcards"]["dataset"] for j in jobs_of(jobs, "train_motion_prior")} == {
            f"davis-cv{k}" for k in range(3)
        }


def test_pre_training_overlay_starts_every_fold_model_from_one_appearance_model(dag_of):
    """davis-cv-duts.yaml: one pretrain_appearance job on the team's DUTS images; every training
    of the folds starts from its checkpoint, and davis-cv.yaml alone pre-trains nothing."""
    jobs = dag_of("davis-cv-duts.yaml")
    (pretrain,) = jobs_of(jobs, "pretrain_appearance")
    assert pretrain["params"]["pretrain"]["root"] == "../shared/data/DUTS-TR-part"
    assert pretrain["params"]["input_size"] == [128, 224]
    train = jobs_of(jobs, "train_model")
    assert len(train) == 18
    assert {j["params"]["init"] for j in train} == {"results/models/pretrain/appearance.pt"}
    plain = dag_of("davis-cv.yaml")
    assert not jobs_of(plain, "pretrain_appearance")
    assert {j["params"]["init"] for j in jobs_of(plain, "train_model")} == {""}


def test_shipped_bundle_config_trains_stan_from_the_appearance_pre_training(dag_of):
    """davis-all.yaml (rule shipped_bundle): one STAN on all DAVIS training sequences with
    config.yaml's training recipe, its branches starting from the DUTS pre-training."""
    jobs = dag_of("davis-all.yaml")
    (pretrain,) = jobs_of(jobs, "pretrain_appearance")
    assert pretrain["params"]["pretrain"]["root"] == "../shared/data/DUTS-TR-part"
    (train,) = jobs_of(jobs, "train_model")
    assert train["wildcards"] == {"trainset": "davis", "variant": "STAN"}
    assert train["params"]["init"] == "results/models/pretrain/appearance.pt"
    assert train["params"]["train"]["steps"] == 300


def test_magnitude_overlay_feeds_the_base_flow_magnitude_maps_to_training_and_prediction(dag_of):
    """davis-cv-magnitude.yaml: every temporal model trains and predicts with the base dataset's
    flow-magnitude maps as its second motion channel; davis-cv.yaml alone reads none."""
    root = "results/saliency/davis/flow-magnitude"
    jobs = dag_of("davis-cv-magnitude.yaml")
    train = jobs_of(jobs, "train_model")
    assert len(train) == 18
    for job in train:
        assert job["params"]["model"]["magnitude_channel"] is True
        assert [s["magnitude_root"] for s in job["params"]["sources"]] == [root]
    predict = jobs_of(jobs, "predict")
    assert predict and {j["params"]["magnitude_root"] for j in predict} == {root}
    plain = dag_of("davis-cv.yaml")
    assert {
        s["magnitude_root"] for j in jobs_of(plain, "train_model") for s in j["params"]["sources"]
    } == {""}
    assert {j["params"]["magnitude_root"] for j in jobs_of(plain, "predict")} == {""}


def test_demo_overlay_is_the_small_synthetic_run(dag_of):
    jobs = dag_of("demo.yaml")
    train = jobs_of(jobs, "train_model")
    assert {j["wildcards"]["trainset"] for j in train} == {"synthetic"}
    assert {j["wildcards"]["variant"] for j in train} == {"ST", "STAN"}
    assert all(j["params"]["model"]["prior_residual"] is True for j in train)
    assert jobs_of(jobs, "coarse_labels")  # the demo runs every stage
    # the caches' params are the trunk's settings only: a head option (prior_residual, the
    # ConvLSTM's width...) changed later must not rerun them
    caches = jobs_of(jobs, "feature_cache")
    assert caches
    for job in caches:
        keys = set(job["params"]["model"])
        assert {"backbone_init", "backbone_weights", "frozen_backbone"} <= keys
        assert keys <= {"backbone_init", "backbone_weights", "input_norm", "frozen_backbone"}
