# Helper functions shared by all stages: dataset settings, video lists, code dependencies.
import glob

import pandas as pd


def dataset_settings(dataset):
    if dataset not in config["data"]:
        raise ValueError(
            f"dataset {dataset!r} has no section under `data` in the config; "
            f"known: {sorted(config['data'])}"
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


def flow_path(wildcards):
    method = config["flow"]["method"]
    return f"results/flow/{wildcards.dataset}/{method}/{wildcards.video}.npz"


def manifest_inputs(wildcards):
    inputs = {"code": stan_sources("data")}
    if dataset_adapter(wildcards.dataset) == "synthetic":
        inputs["root"] = "results/datasets/synthetic"
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


def method_maps(wildcards):
    """Saliency-map folders of one method on the test videos of one dataset."""
    return [
        f"results/saliency/{wildcards.dataset}/{wildcards.method}/{video}"
        for video in dataset_videos(wildcards.dataset, "test")
    ]
