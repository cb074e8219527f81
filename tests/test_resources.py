"""Job resources in a dry run: GPU requests follow the device settings, runtimes scale with the
frames of each video and with the training steps."""

import re
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
SNAKEMAKE = str(Path(sys.executable).with_name("snakemake"))
FRAMES = {"short": 40, "long": 200}


def make_davis(root: Path) -> None:
    """A DAVIS-2016 layout with two videos of different lengths."""
    for video, n in FRAMES.items():
        for i in range(n):
            image = np.full((16, 24, 3), i % 250, np.uint8)
            mask = np.zeros((16, 24), np.uint8)
            mask[4:12, 6:18] = 255
            for folder, array, ext in (("JPEGImages", image, "jpg"), ("Annotations", mask, "png")):
                path = root / folder / "480p" / video / f"{i:05d}.{ext}"
                path.parent.mkdir(parents=True, exist_ok=True)
                cv2.imwrite(str(path), array)


def snakemake(workdir: Path, overlay: dict, *args: str) -> str:
    config = workdir / f"overlay{len(list(workdir.glob('overlay*')))}.yaml"
    config.write_text(yaml.safe_dump(overlay))
    cmd = [SNAKEMAKE, "--snakefile", str(REPO / "Snakefile"), "--directory", str(workdir)]
    cmd += ["--cores", "2", *args, "--configfile", str(REPO / "workflow/configs/tiny.yaml")]
    result = subprocess.run([*cmd, str(config)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-4000:]
    return result.stdout + result.stderr


def job_resources(text: str) -> dict[tuple[str, str], dict[str, str]]:
    """(rule, wildcards) -> resources of every job a dry run lists."""
    jobs = {}
    for block in text.split("\n\n"):
        rule = re.search(r"^\s*(?:local)?(?:rule|checkpoint) (\w+):", block, re.MULTILINE)
        resources = re.search(r"resources: (.*)", block)
        if rule and resources:
            wildcards = re.search(r"wildcards: (.*)", block)
            key = (rule[1], wildcards[1] if wildcards else "")
            jobs[key] = dict(item.split("=", 1) for item in resources[1].split(", "))
    return jobs


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("resources")
    make_davis(workdir / "DAVIS")
    base = {"datasets": ["davis"], "data": {"davis": {"root": "DAVIS", "test_split": ["long"]}}}
    snakemake(workdir, base, "results/manifests/davis.csv")  # the manifest gives frame counts
    return workdir, base


def settings(base: dict, device: str, steps: int) -> dict:
    return {
        **base,
        "flow": {
            "method": "flownet2",
            "device": device,
            "flownet2": {"checkpoint": "ckpt/FlowNet2_checkpoint.pth.tar"},
        },
        "prior": {"device": device},
        "train": {"device": device, "steps": steps},
        "predict": {"device": device},
        "evaluate": {"methods": ["STAN"]},
    }


def test_runtime_scales_with_frames_and_steps_and_gpus_follow_the_device(workdir):
    workdir, base = workdir
    cpu = job_resources(snakemake(workdir, settings(base, "cpu", 4), "-n", "all"))
    gpu = job_resources(snakemake(workdir, settings(base, "auto", 400), "-n", "all"))
    per_video = {
        "video_flow": "dataset=davis, method=flownet2, video={}",
        "motion_prior": "dataset=davis, video={}",
        "feature_cache": "dataset=davis, video={}",
    }
    for rule, wildcards in per_video.items():
        short, long = (cpu[(rule, wildcards.format(v))] for v in ("short", "long"))
        assert int(long["runtime"]) > int(short["runtime"]), rule
        assert short["gpu"] == long["gpu"] == "0", rule
        assert gpu[(rule, wildcards.format("long"))]["gpu"] == "1", rule
    # FlowNet2 costs 4 times more frames on the long video: the part above the fixed start-up
    # allowance grows with the frame count.
    flow = [int(cpu[("video_flow", per_video["video_flow"].format(v))]["runtime"]) for v in FRAMES]
    assert (flow[1] - 10) >= 3 * (flow[0] - 10) > 0
    # A GPU cuts the flow estimate; 1000 times the steps raise the training estimate.
    key = ("video_flow", per_video["video_flow"].format("long"))
    assert int(gpu[key]["runtime"]) < int(cpu[key]["runtime"])
    train = ("train_model", "trainset=davis, variant=STAN")
    assert cpu[train]["gpu"] == "0" and gpu[train]["gpu"] == "1"
    longer = snakemake(workdir, settings(base, "cpu", 4000), "-n", "results/models/davis/STAN.pt")
    assert int(job_resources(longer)[train]["runtime"]) > int(cpu[train]["runtime"])
    predict = ("predict", "dataset=davis, variant=STAN, video=long")
    assert cpu[predict]["gpu"] == "0" and gpu[predict]["gpu"] == "1"
    prior = ("train_motion_prior", "dataset=davis")
    assert cpu[prior]["gpu"] == "0" and gpu[prior]["gpu"] == "1"
    # OpenCV flow never asks for a GPU.
    dis = job_resources(snakemake(workdir, {**base, "flow": {"method": "dis"}}, "-n", "flow"))
    assert dis[("video_flow", "dataset=davis, method=dis, video=long")]["gpu"] == "0"


def test_slurm_profiles_give_each_job_one_gpu():
    """A group of GPU jobs must not ask SLURM for one GPU per member: the pool of one GPU is
    scoped to each submitted job."""
    for name in ("slurm", "slurm-ci"):
        profile = yaml.safe_load((REPO / "profiles" / name / "config.yaml").read_text())
        assert profile["resources"]["gpu"] == 1, name
        assert profile["resource-scopes"]["gpu"] == "local", name
    local = yaml.safe_load((REPO / "profiles" / "local-gpu" / "config.yaml").read_text())
    assert local["resources"]["gpu"] == 1 and "resource-scopes" not in local


def test_a_group_of_gpu_jobs_asks_for_one_gpu_under_the_slurm_pool():
    """What the pool does, computed by Snakemake's own group-resource code (pinned 9.27.1): ten
    one-GPU videos in one group job ask for 10 GPUs without it, one GPU and the summed runtime
    with it."""
    from snakemake.resources import GroupResources, Resource, Resources

    class Job:
        def __init__(self):
            self.resources = {"gpu": 1, "runtime": 12, "_cores": 1, "mem_mb": 4000}
            self.pipe_group = None

    profile = yaml.safe_load((REPO / "profiles" / "slurm" / "config.yaml").read_text())

    def group(pool: dict) -> dict:
        limits = Resources({k: Resource(k, v) for k, v in {"_cores": 10**6, **pool}.items()})
        return GroupResources.basic_layered(
            toposorted_jobs=[[Job() for _ in range(10)]],
            constraints=limits,
            run_local=False,
            additive_resources=["runtime"],
            sortby=["runtime"],
        )

    assert group({})["gpu"] == 10
    pooled = group(profile["resources"])
    assert pooled["gpu"] == 1 and pooled["runtime"] == 120
