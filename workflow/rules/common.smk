# Helper functions shared by all stages: dataset settings, video lists, code dependencies.
import functools
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


@functools.lru_cache(maxsize=16)
def read_manifest_csv(path, mtime_ns):
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def manifest_table(dataset):
    """The dataset's manifest, once the `manifest` checkpoint has produced it (read once per
    version of the file: the input functions below ask for it per job)."""
    path = checkpoints.manifest.get(dataset=dataset).output.csv
    return read_manifest_csv(path, os.stat(path).st_mtime_ns)


def dataset_videos(dataset, split=None):
    df = manifest_table(dataset)
    if split is not None:
        df = df[df["split"] == split]
    return sorted(df["video"].unique())


def flow_root(wildcards):
    return f"results/flow/{cache_dataset(wildcards.dataset)}/{config['flow']['method']}"


def flow_path(wildcards):
    return f"{flow_root(wildcards)}/{wildcards.video}.npz"


def manifest_inputs(wildcards):
    from stan.data.stage import source_files

    adapter = dataset_adapter(wildcards.dataset)
    inputs = {"code": script_code("manifest.py")}
    downloaded = dataset_root_input(wildcards.dataset)  # common_download.smk
    if downloaded:
        # a root the workflow downloads (or downloaded) is one unit, renamed into place when
        # complete: its folder stands for its files, so the input set is the same before and
        # after the download (else the manifest, and everything after it, would rerun once)
        inputs.update(downloaded)
    else:
        inputs["sources"] = source_files(adapter, dataset_settings(wildcards.dataset))
    if adapter == "synthetic":
        inputs["root"] = "results/datasets/synthetic"
    if dataset_adapter(wildcards.dataset) == "fold":
        inputs["root"] = (
            f"results/manifests/{dataset_settings(wildcards.dataset)['of']}.csv"
        )
    return inputs


def manifest_settings(wildcards):
    settings = dict(dataset_settings(wildcards.dataset))
    if dataset_adapter(wildcards.dataset) in ("synthetic", "fold"):
        settings["root"] = manifest_inputs(wildcards)["root"]
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
            files.append(f"results/flow/{cache_dataset(dataset)}/{method}/{video}.npz")
            if config["flow"]["export_flo"]:
                files.append(f"results/flo/{dataset}/{method}/{video}")
    return files


def all_baseline_maps(wildcards):
    return [
        f"{saliency_root(dataset, 'flow-magnitude')}/{video}"
        for dataset in config["datasets"]
        for video in dataset_videos(dataset, "test")
    ]


def saliency_root(dataset, method):
    """Folder of one method's maps (<video>/<frame>.png): the prior stage's output for
    PRIOR_METHOD, otherwise results/saliency/<dataset>/<method>."""
    if method == PRIOR_METHOD:
        return f"results/priors/{dataset}"
    if method == "flow-magnitude":  # split-free: folds share their base dataset's maps
        return f"results/saliency/{cache_dataset(dataset)}/{method}"
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


def dataset_training_labels(dataset):
    """gt or coarse: data.<dataset>.training_labels, else the top-level training_labels."""
    return dataset_settings(dataset).get("training_labels", config["training_labels"])


def sparse_gt_every(dataset):
    """The sparse label setting (data.<dataset>.sparse_gt_every, else coarse.sparse_gt_every)
    when the dataset trains on coarse labels, else 0: the prior then trains on the same
    ground-truth frames as STAN."""
    if dataset_training_labels(dataset) == "coarse":
        default = config["coarse"]["sparse_gt_every"]
        return dataset_settings(dataset).get("sparse_gt_every", default)
    return 0


def prior_sparse_gt_every(wildcards):
    return sparse_gt_every(wildcards.dataset)


def coarse_settings(wildcards):
    """The coarse section with the dataset's own sparse label setting."""
    return {**config["coarse"], "sparse_gt_every": sparse_gt_every(wildcards.dataset)}


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
    """The video's erase file if a person wrote one (adding or editing it reruns that video).
    It is checked here, before any job runs: a region past the video's frames or outside the
    frame is an error naming the file and line."""
    from stan.coarse.erase import check_erase_file

    path = f"{config['coarse']['erase_dir']}/{wildcards.dataset}/{wildcards.video}.yaml"
    if not os.path.isfile(path):
        return []
    rows = manifest_table(wildcards.dataset)
    rows = rows[rows["video"] == wildcards.video]
    check_erase_file(path, wildcards.video, list(rows["frame"]), rows["image"].iloc[0])
    return [path]


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
        f"results/coarse/{dataset}/label_sources.csv"
        for dataset in trained_datasets()
        if dataset_training_labels(dataset) == "coarse"
    ]


# --- train and predict stages ---


# A model is trained on a training set: one dataset (its train split), or, with
# train.datasets: [a, b, c], the union of their train splits, named "a+b+c" in results/models/.
# A dataset's test videos are predicted by the models of its model source: itself, the
# train.datasets set, or what data.<dataset>.model_from names (another dataset, or a model
# bundle file, unpacked under results/models/bundle-<file stem>/).
TRAINSET_SEPARATOR = "+"
BUNDLE_PREFIX = "bundle-"


def training_set():
    """The name of the train.datasets training set, or None (each dataset trains its own)."""
    names = config["train"]["datasets"]
    return TRAINSET_SEPARATOR.join(names) if names else None


def model_from(dataset):
    return dataset_settings(dataset).get("model_from", "")


def is_bundle(source):
    return source.endswith(".pt")


def bundle_name(path):
    return BUNDLE_PREFIX + os.path.splitext(os.path.basename(path))[0]


def bundle_file(wildcards):
    """The bundle file that data.<dataset>.model_from names for results/models/<name>/."""
    for dataset in config["data"]:
        source = model_from(dataset)
        if (
            is_bundle(source)
            and bundle_name(source) == f"{BUNDLE_PREFIX}{wildcards.name}"
        ):
            return source
    raise ValueError(
        f"no data.<dataset>.model_from names a bundle called {wildcards.name}.pt"
    )


def unbundle_inputs(wildcards):
    inputs = {"bundle": bundle_file(wildcards), "code": script_code("unbundle.py")}
    if backbone_weights():
        inputs["backbone"] = backbone_weights()  # the frozen trunk is rebuilt from it
    return inputs


def model_source(dataset, seen=()):
    """The training set (or unpacked bundle) whose STAN models predict this dataset."""
    source = model_from(dataset)
    if not source:
        return training_set() or dataset
    if is_bundle(source):
        return bundle_name(source)
    if source in seen or source == dataset:
        raise ValueError(
            f"data.{dataset}.model_from: {source!r} leads back to {dataset!r}"
        )
    dataset_settings(source)
    return model_source(source, (*seen, dataset))


def prior_source(dataset):
    """The dataset (or unpacked bundle) whose motion-prior model makes this dataset's priors:
    the dataset itself, or its data.<dataset>.model_from source."""
    source = model_from(dataset)
    if not source:
        return dataset
    if is_bundle(source):
        return bundle_name(source)
    return prior_source(source)


def prior_checkpoint(dataset):
    source = prior_source(dataset)
    if source.startswith(BUNDLE_PREFIX):
        return f"results/models/{source}/prior.pt"
    return f"results/models/prior/{source}.pt"


def prior_checkpoint_input(wildcards):
    return prior_checkpoint(wildcards.dataset)


def trainset_members(trainset):
    """The datasets a training set is made of (each must have a data section)."""
    if trainset.startswith(BUNDLE_PREFIX):
        raise ValueError(
            f"results/models/{trainset}/ comes from a model bundle, it is not trained here"
        )
    members = trainset.split(TRAINSET_SEPARATOR)
    for member in members:
        dataset_settings(member)
    return members


def trained_datasets():
    """Datasets whose train splits some model of this run trains on."""
    names = []
    for dataset in config["datasets"]:
        source = model_source(dataset)
        if not source.startswith(BUNDLE_PREFIX):
            names += [m for m in trainset_members(source) if m not in names]
    return names


def uses_temporal_stream(variant):
    from stan.model.config import VARIANTS

    return VARIANTS[variant_base(variant)].temporal


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
        settings["variant"] = variant_base(wildcards.variant)
    return settings


# The `model` keys that the frozen trunk's cached features depend on; the rest (heads, variant,
# model.prior_residual...) leave the feature caches in place when changed.
TRUNK_KEYS = ("backbone_init", "backbone_weights", "input_norm", "frozen_backbone")


def trunk_settings(wildcards):
    """The part of the `model` section that a feature-cache job uses (its params)."""
    settings = model_settings(wildcards)
    return {key: settings[key] for key in TRUNK_KEYS if key in settings}


def gpu_request(wildcards):
    """GPUs a feature-cache or training job asks the scheduler for: none when train.device
    pins it to the CPU."""
    return 0 if config["train"]["device"] == "cpu" else 1


def motion_inputs(dataset, variant, videos):
    """What the temporal stream reads for these videos: prior folders (and flow-magnitude map
    folders with model.magnitude_channel) or flow caches."""
    if not uses_temporal_stream(variant):
        return []
    if config["model"]["temporal_input"] == "prior":
        folders = [f"results/priors/{dataset}/{video}" for video in videos]
        if config["model"]["magnitude_channel"]:
            root = magnitude_root(dataset)
            folders += [f"{root}/{video}" for video in videos]
        return folders
    return [
        f"results/flow/{cache_dataset(dataset)}/{config['flow']['method']}/{video}.npz"
        for video in videos
    ]


def magnitude_root(dataset):
    """The flow-magnitude maps the motion input reads (model.magnitude_channel), else ''."""
    if not config["model"]["magnitude_channel"]:
        return ""
    return saliency_root(dataset, "flow-magnitude")


def predict_magnitude_root(wildcards):
    return magnitude_root(wildcards.dataset)


def feature_cache_inputs(wildcards):
    inputs = {
        "manifest": f"results/manifests/{wildcards.dataset}.csv",
        "images": video_images(wildcards),
        "code": script_code("feature_cache.py"),
    }
    if backbone_weights():
        inputs["backbone"] = backbone_weights()
    return inputs


def label_table(dataset):
    """The label-source table when the dataset trains on coarse labels, else '' (gt only)."""
    if dataset_training_labels(dataset) == "coarse":
        return f"results/coarse/{dataset}/label_sources.csv"
    return ""


def train_inputs(wildcards):
    inputs = {
        "manifests": [],
        "motion": [],
        "frames": [],
        "labels": [],
        "features": [],
        "code": script_code("train_model.py"),
    }
    for dataset in trainset_members(wildcards.trainset):
        videos = dataset_videos(dataset, "train")
        inputs["manifests"].append(f"results/manifests/{dataset}.csv")
        inputs["frames"] += dataset_files(dataset, videos)
        inputs["motion"] += motion_inputs(dataset, wildcards.variant, videos)
        if label_table(dataset):
            inputs["labels"].append(label_table(dataset))
        if config["model"]["frozen_backbone"]:
            features = f"results/features/{cache_dataset(dataset)}"
            inputs["features"] += [f"{features}/{v}.h5" for v in videos]
    if not config["model"]["frozen_backbone"] and backbone_weights():
        inputs["backbone"] = backbone_weights()
    if pretrained_checkpoint():
        inputs["pretrained"] = pretrained_checkpoint()
    return inputs


# Rule pretrain_appearance's checkpoint.
PRETRAINED = "results/models/pretrain/appearance.pt"


def pretrained_checkpoint():
    """The appearance pre-training checkpoint the models start from ('' when pretrain.root is
    empty)."""
    return PRETRAINED if config["pretrain"]["root"] else ""


def pretrain_inputs(wildcards):
    """Images and masks of pretrain.root (indexed by stan.train.pretrain; the folder itself when
    it is to be downloaded), weights and code."""
    from stan.train.pretrain import index_images

    root = config["pretrain"]["root"]
    inputs = {"code": script_code("pretrain_appearance.py")}
    # An absent root that rule download_duts fetches is indexed when the job runs.
    if pretrain_archives():
        inputs["root"] = root
    else:
        inputs["pairs"] = [str(p) for pair in index_images(root) for p in pair]
    if backbone_weights():
        inputs["backbone"] = backbone_weights()
    return inputs


def train_sources(wildcards):
    """One dict per dataset of the training set: where stan.train finds its inputs."""
    frozen = config["model"]["frozen_backbone"]
    return [
        {
            "name": dataset,
            "manifest": f"results/manifests/{dataset}.csv",
            "prior_root": f"results/priors/{dataset}",
            "flow_root": f"results/flow/{cache_dataset(dataset)}/{config['flow']['method']}",
            "magnitude_root": magnitude_root(dataset),
            "label_table": label_table(dataset),
            "feature_cache": (
                f"results/features/{cache_dataset(dataset)}" if frozen else ""
            ),
        }
        for dataset in trainset_members(wildcards.trainset)
    ]


def predict_inputs(wildcards):
    inputs = {
        "manifest": f"results/manifests/{wildcards.dataset}.csv",
        "checkpoint": f"results/models/{model_source(wildcards.dataset)}/{wildcards.variant}.pt",
        "motion": motion_inputs(
            wildcards.dataset, wildcards.variant, [wildcards.video]
        ),
        "images": video_images(wildcards),
        "code": script_code("predict.py"),
    }
    if config["model"]["frozen_backbone"]:
        inputs["features"] = f"{feature_root(wildcards)}/{wildcards.video}.h5"
    return inputs


def feature_root(wildcards):
    """Feature caches of a dataset's videos (a fold shares its base dataset's)."""
    return f"results/features/{cache_dataset(wildcards.dataset)}"


def predict_feature_root(wildcards):
    return feature_root(wildcards) if config["model"]["frozen_backbone"] else ""


def methods_trained_on(wildcards):
    """Method -> the training set its model learnt from (the table's trained_on column)."""
    from stan.model.config import VARIANTS

    trained = {}
    for method in config["evaluate"]["methods"]:
        member = method_members(method.removesuffix(CRF_SUFFIX))[0]
        base = variant_base(member.removesuffix(CRF_SUFFIX))
        if base in VARIANTS:
            trained[method] = model_source(wildcards.dataset)
        elif base == PRIOR_METHOD:
            trained[method] = prior_source(wildcards.dataset)
    return trained


def evaluated_variants():
    """STAN variants named in evaluate.methods (alone, with the CRF suffix, or as members of a
    seed ensemble)."""
    from stan.model.config import VARIANTS

    names = [
        member.removesuffix(CRF_SUFFIX)
        for method in config["evaluate"]["methods"]
        for member in method_members(method.removesuffix(CRF_SUFFIX))
    ]
    return [n for n in dict.fromkeys(names) if variant_base(n) in VARIANTS]


def all_checkpoints(wildcards):
    for dataset in config["train"]["datasets"]:
        manifest_table(
            dataset
        )  # known up front: training jobs read every member's manifest
    sources = sorted({model_source(dataset) for dataset in config["datasets"]})
    return [
        f"results/models/{source}/{variant}.pt"
        for source in sources
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
# model.train_conv5: VGG16's last block runs in every pass, about a quarter of a trunk pass
# (3 of the 13 convolutions, at 1/8 of the input like conv4 in the dilated trunk).
CONV5_PER_TRUNK = 1 / 4
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
    heads alone on cached features (frozen backbone), plus the last block with train_conv5.
    """
    if config["model"]["frozen_backbone"]:
        conv5 = CONV5_PER_TRUNK if config["model"]["train_conv5"] else 0
        return HEADS_PER_TRUNK + conv5 * (3 if backward else 1)
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
