# Helper functions shared by all stages: dataset settings, video lists, code dependencies.
import functools
import glob
import math
import os

import pandas as pd

# A method name with this suffix is that method refined by the dense CRF.
CRF_SUFFIX = "+crf"

# Threads of each per-video job (flow, prior maps, feature cache, prediction, CRF): one core
# each, so --cores sets how many videos run side by side.
VIDEO_JOB_THREADS = 1

# evaluate.methods may name the motion prior itself: its maps are the prior stage's output.
PRIOR_METHOD = "motion-prior"


def dataset_settings(dataset):
    if dataset not in config["data"]:
        known = sorted(config["data"])
        raise ValueError(
            f"dataset {dataset!r} has no section under `data`; known: {known}"
        )
    return config["data"][dataset]


def dataset_adapter(dataset):
    return dataset_settings(dataset).get("adapter", dataset)


def manifest_table(dataset):
    """The dataset's manifest, once the `manifest` checkpoint has produced it."""
    path = checkpoints.manifest.get(dataset=dataset).output.csv
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def dataset_videos(dataset, split=None):
    df = manifest_table(dataset)
    if split is not None:
        df = df[df["split"] == split]
    return sorted(df["video"].unique())


def stan_sources(*packages):
    """The Python files of the given stan sub-packages: editing them reruns the stage."""
    root = workflow.basedir
    files = []
    for package in packages:
        files += sorted(glob.glob(f"{root}/stan/{package}/**/*.py", recursive=True))
        files += sorted(glob.glob(f"{root}/stan/{package}.py"))
    return files


def flow_root(wildcards):
    return f"results/flow/{wildcards.dataset}/{config['flow']['method']}"


def flow_path(wildcards):
    return f"{flow_root(wildcards)}/{wildcards.video}.npz"


def manifest_inputs(wildcards):
    inputs = {"code": stan_sources("data")}
    if dataset_adapter(wildcards.dataset) == "synthetic":
        inputs["root"] = "results/datasets/synthetic"
    inputs.update(dataset_root_input(wildcards.dataset))  # common_download.smk
    return inputs


def manifest_settings(wildcards):
    settings = dict(dataset_settings(wildcards.dataset))
    if dataset_adapter(wildcards.dataset) == "synthetic":
        settings["root"] = "results/datasets/synthetic"
    return settings


def manifest_adapter(wildcards):
    return dataset_adapter(wildcards.dataset)


def manifest_cache_dir(wildcards):
    """Where adapters write converted masks or decoded video frames."""
    return f"results/datasets/{wildcards.dataset}-cache"


def all_flow_files(wildcards):
    """Flow caches of every video (and their .flo exports when flow.export_flo is set)."""
    method = config["flow"]["method"]
    files = []
    for dataset in config["datasets"]:
        for video in dataset_videos(dataset):
            files.append(f"results/flow/{dataset}/{method}/{video}.npz")
            if config["flow"]["export_flo"]:
                files.append(f"results/flo/{dataset}/{method}/{video}")
    return files


def all_baseline_maps(wildcards):
    return [
        f"results/saliency/{dataset}/flow-magnitude/{video}"
        for dataset in config["datasets"]
        for video in dataset_videos(dataset, "test")
    ]


def saliency_root(dataset, method):
    """Folder of one method's maps (<video>/<frame>.png): the prior stage's output for
    PRIOR_METHOD, otherwise results/saliency/<dataset>/<method>."""
    if method == PRIOR_METHOD:
        return f"results/priors/{dataset}"
    return f"results/saliency/{dataset}/{method}"


def method_maps(wildcards):
    """Saliency-map folders of one method on the test videos of one dataset."""
    root = saliency_root(wildcards.dataset, wildcards.method)
    return [f"{root}/{video}" for video in dataset_videos(wildcards.dataset, "test")]


def method_root(wildcards):
    return saliency_root(wildcards.dataset, wildcards.method)


def method_video_maps(wildcards):
    """One method's map folder of one video (input of the CRF and movie jobs)."""
    return f"{saliency_root(wildcards.dataset, wildcards.method)}/{wildcards.video}"


# --- prior stage ---


def prior_training_flows(wildcards):
    """Flow caches of the training videos (the prior trains on their annotated frames)."""
    root = flow_root(wildcards)
    return [
        f"{root}/{video}.npz" for video in dataset_videos(wildcards.dataset, "train")
    ]


def sparse_gt_every():
    """The sparse label setting (coarse.sparse_gt_every) when training uses coarse labels, else
    0: the prior then trains on the same ground-truth frames as STAN."""
    if config["training_labels"] == "coarse":
        return config["coarse"]["sparse_gt_every"]
    return 0


def all_prior_maps(wildcards):
    """Prior folders of every video (train and test: STAN's temporal stream needs both)."""
    return [
        f"results/priors/{dataset}/{video}"
        for dataset in config["datasets"]
        for video in dataset_videos(dataset)
    ]


# --- coarse stage ---


COARSE_RESERVED = ("review", "tables", "label_sources.csv", "fusion_weights.json")
COARSE_VIDEO = r"(?!(review|tables|label_sources\.csv|fusion_weights\.json)$)[^/]+"


def coarse_erase_file(wildcards):
    """The video's erase file if a person wrote one (adding or editing it reruns that video)."""
    path = f"{config['coarse']['erase_dir']}/{wildcards.dataset}/{wildcards.video}.yaml"
    return [path] if os.path.isfile(path) else []


def coarse_folder_maps(dataset, videos):
    """Per-video map folders of `folder` sources that this workflow builds (paths under
    results/, e.g. results/saliency/{dataset}/flow-magnitude), so Snakemake makes them first.
    """
    folders = []
    for source in config["coarse"]["sources"]:
        if isinstance(source, dict) and source.get("method") == "folder":
            root = source["path"].replace("{dataset}", dataset)
            if root.startswith("results/"):
                folders += [f"{root}/{video}" for video in videos]
    return folders


def coarse_fit_maps(wildcards):
    videos = dataset_videos(wildcards.dataset, "train")
    return coarse_folder_maps(wildcards.dataset, videos)


def coarse_video_maps(wildcards):
    return coarse_folder_maps(wildcards.dataset, [wildcards.video])


def coarse_video_tables(wildcards):
    videos = dataset_videos(wildcards.dataset, "train")
    clash = sorted(set(videos) & set(COARSE_RESERVED))
    if clash:
        raise ValueError(
            f"dataset {wildcards.dataset}: videos named {clash} clash with the coarse stage's "
            f"file names {list(COARSE_RESERVED)}; rename those video folders"
        )
    return [
        f"results/coarse/{wildcards.dataset}/tables/{video}.csv" for video in videos
    ]


def all_label_tables(wildcards):
    return [
        f"results/coarse/{dataset}/label_sources.csv" for dataset in config["datasets"]
    ]


# --- train and predict stages ---


def uses_temporal_stream(variant):
    from stan.model.config import VARIANTS

    return VARIANTS[variant].temporal


def backbone_weights():
    """The backbone weight file: model.backbone_weights, else the converted HED weights."""
    if config["model"].get("backbone_weights"):
        return config["model"]["backbone_weights"]
    if config["model"]["backbone_init"] == "hed":
        return "results/models/backbone/hed_vgg16.pt"
    return None


def model_settings(wildcards):
    """The `model` config section for one variant (feature caches share the variant-free part)."""
    settings = {**config["model"], "backbone_weights": backbone_weights()}
    if hasattr(wildcards, "variant"):
        settings["variant"] = wildcards.variant
    return settings


def gpu_request(wildcards):
    """GPUs a feature-cache or training job asks the scheduler for: none when train.device
    pins it to the CPU."""
    return 0 if config["train"]["device"] == "cpu" else 1


def motion_inputs(dataset, variant, videos):
    """What the temporal stream reads for these videos: prior folders or flow caches."""
    if not uses_temporal_stream(variant):
        return []
    if config["model"]["temporal_input"] == "prior":
        return [f"results/priors/{dataset}/{video}" for video in videos]
    return [
        f"results/flow/{dataset}/{config['flow']['method']}/{video}.npz"
        for video in videos
    ]


def feature_cache_inputs(wildcards):
    inputs = {
        "manifest": f"results/manifests/{wildcards.dataset}.csv",
        "code": stan_sources("model"),
    }
    if backbone_weights():
        inputs["backbone"] = backbone_weights()
    return inputs


def label_table(wildcards):
    """The label-source table when training uses coarse labels, else '' (ground truth only)."""
    if config["training_labels"] == "coarse":
        return f"results/coarse/{wildcards.dataset}/label_sources.csv"
    return ""


def train_inputs(wildcards):
    videos = dataset_videos(wildcards.dataset, "train")
    inputs = {
        "manifest": f"results/manifests/{wildcards.dataset}.csv",
        "motion": motion_inputs(wildcards.dataset, wildcards.variant, videos),
        "code": stan_sources("model", "train"),
    }
    if label_table(wildcards):
        inputs["labels"] = label_table(wildcards)
    if config["model"]["frozen_backbone"]:
        inputs["features"] = [
            f"results/features/{wildcards.dataset}/{v}.h5" for v in videos
        ]
    elif backbone_weights():
        inputs["backbone"] = backbone_weights()
    return inputs


def predict_inputs(wildcards):
    inputs = {
        "manifest": f"results/manifests/{wildcards.dataset}.csv",
        "checkpoint": f"results/models/{wildcards.dataset}/{wildcards.variant}.pt",
        "motion": motion_inputs(
            wildcards.dataset, wildcards.variant, [wildcards.video]
        ),
        "code": stan_sources("model", "predict"),
    }
    if config["model"]["frozen_backbone"]:
        inputs["features"] = (
            f"results/features/{wildcards.dataset}/{wildcards.video}.h5"
        )
    return inputs


def predict_feature_root(wildcards):
    return (
        f"results/features/{wildcards.dataset}"
        if config["model"]["frozen_backbone"]
        else ""
    )


def evaluated_variants():
    """STAN variants named in evaluate.methods (alone or with the CRF suffix)."""
    from stan.model.config import VARIANTS

    names = [m.removesuffix(CRF_SUFFIX) for m in config["evaluate"]["methods"]]
    return [v for v in VARIANTS if v in names]


def all_checkpoints(wildcards):
    return [
        f"results/models/{dataset}/{variant}.pt"
        for dataset in config["datasets"]
        for variant in evaluated_variants()
    ]


def all_predictions(wildcards):
    return [
        f"results/saliency/{dataset}/{variant}/{video}"
        for dataset in config["datasets"]
        for variant in evaluated_variants()
        for video in dataset_videos(dataset, "test")
    ]


# --- resources: GPUs and wall time (minutes) of the rules that can use a GPU ---
#
# A job asks for one GPU unless its device setting is "cpu" ("auto" uses CUDA when present).
# Its `runtime` is an upper bound from the frames of its video (per-video jobs) or the training
# steps, and these costs, in core-seconds on a CPU and seconds on a GPU, each with its source:
# - One VGG16 trunk forward at 512x512: 10.4 on CPU (DESIGN.md: 5.2 s on 2 threads), 0.05 on a
#   GPU (paper Table 4: 0.102 s per frame for STAN's two streams on a TITAN X); other input
#   sizes scale by their pixel count. Forward plus backward: three trunk passes.
# - STAN's heads on cached features (frozen backbone), forward and backward, per window frame:
#   1/16 of a trunk (the DAVIS development run: 668 s for 1200 steps of 4 windows of 4 frames at
#   128x224 on 2 threads, README).
# - Flow per frame: DIS 0.2 (README Benchmarks: 0.04-0.13 s); FlowNet2 70 on CPU
#   (bench_flownet2.py: 34.6 s on 2 threads), 0.74 on a GPU (paper Table 4).
# - Motion prior maps per frame: 1.5 on CPU (SLIC 0.35 s on 2 threads plus AlexNet at a quarter
#   of the frame), 0.82 on a GPU (paper Table 4). Its training prepares each annotated frame once
#   (SLIC, 1.0) and then passes over it every epoch (0.2 on CPU, 0.02 on a GPU).
# The estimate is doubled and 10 minutes are added for start-up and I/O. bench/bench_gpu.py
# measures the GPU costs on a given card; a site whose jobs take longer overrides a rule with
# `set-resources: {<rule>: {runtime: ...}}` in its profile.

TRUNK_SECONDS_512 = (10.4, 0.05)
HEADS_PER_TRUNK = 1 / 16
FLOW_SECONDS = {"dis": (0.2, 0.2), "farneback": (0.5, 0.5), "tvl1": (2.0, 2.0)}
FLOWNET2_SECONDS = (70.0, 0.74)
PRIOR_MAP_SECONDS = (1.5, 0.82)
PRIOR_PREPARE_SECONDS = 1.0
PRIOR_EPOCH_SECONDS = (0.2, 0.02)
RUNTIME_SAFETY = 2.0
RUNTIME_BASE_MINUTES = 10


def device_gpus(device):
    """GPUs a job with this device setting asks for: none when pinned to the CPU."""
    return 0 if device == "cpu" else 1


def flow_gpus(wildcards):
    """FlowNet2 runs on a GPU; the OpenCV methods never do."""
    if not wildcards.method.startswith("flownet2"):
        return 0
    return device_gpus(config["flow"]["device"])


def prior_gpus(wildcards):
    return device_gpus(config["prior"]["device"])


def predict_gpus(wildcards):
    return device_gpus(config["predict"]["device"])


@functools.lru_cache
def _frame_counts(path, mtime):
    table = pd.read_csv(
        path, usecols=["video", "split", "gt"], dtype=str, keep_default_na=False
    )
    train = (table["split"] == "train") & (table["gt"] != "")
    return table["video"].value_counts().to_dict(), int(train.sum())


def frame_counts(dataset):
    """(frames per video, annotated training frames) from the dataset's manifest, or ({}, 0)
    while the manifest does not exist yet."""
    path = f"results/manifests/{dataset}.csv"
    if not os.path.exists(path):
        return {}, 0
    return _frame_counts(path, os.path.getmtime(path))


def video_frames(wildcards):
    return frame_counts(wildcards.dataset)[0].get(wildcards.video, 0)


def trunk_seconds(gpus, size):
    """One VGG16 trunk forward at `size` (height, width) on the CPU (gpus=0) or a GPU."""
    return TRUNK_SECONDS_512[1 if gpus else 0] * size[0] * size[1] / 512**2


def minutes(seconds, threads):
    """Runtime request for an estimated cost of `seconds` on `threads` cores (or a GPU)."""
    return RUNTIME_BASE_MINUTES + math.ceil(RUNTIME_SAFETY * seconds / threads / 60)


def flow_runtime(wildcards, threads):
    gpus = flow_gpus(wildcards)
    if wildcards.method.startswith("flownet2"):
        cost = FLOWNET2_SECONDS[1 if gpus else 0]
    else:
        cost = FLOW_SECONDS.get(wildcards.method, FLOW_SECONDS["tvl1"])[0]
    return minutes(video_frames(wildcards) * cost, 1 if gpus else threads)


def prior_maps_runtime(wildcards, threads):
    gpus = prior_gpus(wildcards)
    cost = PRIOR_MAP_SECONDS[1 if gpus else 0]
    return minutes(video_frames(wildcards) * cost, 1 if gpus else threads)


def prior_train_runtime(wildcards, threads):
    gpus = prior_gpus(wildcards)
    prior = config["prior"]
    frames = frame_counts(wildcards.dataset)[1] / prior["frame_step"]
    cost = (
        PRIOR_PREPARE_SECONDS + prior["epochs"] * PRIOR_EPOCH_SECONDS[1 if gpus else 0]
    )
    return minutes(frames * cost, threads)


def feature_cache_runtime(wildcards, threads):
    gpus = gpu_request(wildcards)
    seconds = trunk_seconds(gpus, config["train"]["input_size"])
    return minutes(video_frames(wildcards) * seconds, 1 if gpus else threads)


def network_trunks(backward):
    """Trunk passes per frame: both streams (three passes each with the backward pass), or the
    heads alone on cached features (frozen backbone)."""
    if config["model"]["frozen_backbone"]:
        return HEADS_PER_TRUNK
    return 2 * (3 if backward else 1)


def predict_runtime(wildcards, threads):
    gpus = predict_gpus(wildcards)
    seconds = network_trunks(False) * trunk_seconds(gpus, config["train"]["input_size"])
    return minutes(video_frames(wildcards) * seconds, 1 if gpus else threads)


def train_runtime(wildcards, threads):
    """train.steps x windows per step x frames per window, each costing network_trunks(True)."""
    gpus = gpu_request(wildcards)
    train = config["train"]
    frames = train["steps"] * train["batch_size"] * config["model"]["window"]
    seconds = frames * network_trunks(True) * trunk_seconds(gpus, train["input_size"])
    return minutes(seconds, 1 if gpus else threads)
