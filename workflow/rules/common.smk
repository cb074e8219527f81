# Helper functions shared by all stages: dataset settings, video lists, code dependencies.
import glob
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
    return f"results/flow/{cache_dataset(wildcards.dataset)}/{config['flow']['method']}"


def flow_path(wildcards):
    return f"{flow_root(wildcards)}/{wildcards.video}.npz"


def manifest_inputs(wildcards):
    inputs = {"code": stan_sources("data")}
    if dataset_adapter(wildcards.dataset) == "synthetic":
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


def gpu_request(wildcards):
    """GPUs a training/prediction job asks the scheduler for: none when pinned to the CPU."""
    return 0 if config["train"]["device"] == "cpu" else 1


def motion_inputs(dataset, variant, videos):
    """What the temporal stream reads for these videos: prior folders or flow caches."""
    if not uses_temporal_stream(variant):
        return []
    if config["model"]["temporal_input"] == "prior":
        return [f"results/priors/{dataset}/{video}" for video in videos]
    return [
        f"results/flow/{cache_dataset(dataset)}/{config['flow']['method']}/{video}.npz"
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
        inputs["features"] = [f"{feature_root(wildcards)}/{v}.h5" for v in videos]
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
        inputs["features"] = f"{feature_root(wildcards)}/{wildcards.video}.h5"
    return inputs


def feature_root(wildcards):
    """Feature caches of a dataset's videos (a fold shares its base dataset's)."""
    return f"results/features/{cache_dataset(wildcards.dataset)}"


def predict_feature_root(wildcards):
    return feature_root(wildcards) if config["model"]["frozen_backbone"] else ""


def evaluated_variants():
    """STAN variants named in evaluate.methods (alone or with the CRF suffix)."""
    from stan.model.config import VARIANTS

    names = [m.removesuffix(CRF_SUFFIX) for m in config["evaluate"]["methods"]]
    return [n for n in dict.fromkeys(names) if variant_base(n) in VARIANTS]


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
