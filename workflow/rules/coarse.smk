# Coarse stage: coarse pixel-wise labels for the training frames that lack ground truth (paper
# section 3.3): image-saliency maps fused by a weighted linear combination, Otsu's threshold,
# then manual erase files. One weight-fitting job per dataset, one labelling job per training
# video, and a gather step writing the label-source table that training reads.
#
# Layout under results/coarse/<dataset>/:
#   <video>/<frame>.png   coarse labels (0/255), named like the ground truth
#   fusion_weights.json   fitted or given fusion weights
#   review/<video>.png    contact sheet (frame, fused map, label) for the manual revision
#   tables/<video>.csv    the video's part of the label-source table
#   label_sources.csv     video, frame, label_path, source (gt | coarse)
# `review`, `tables`, `label_sources.csv` and `fusion_weights.json` cannot be video names.

import os

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


rule coarse_fusion_weights:
    input:
        manifest="results/manifests/{dataset}.csv",
        maps=coarse_fit_maps,
        code=stan_sources("coarse"),
    output:
        "results/coarse/{dataset}/fusion_weights.json",
    log:
        "results/logs/coarse/{dataset}/fusion_weights.log",
    benchmark:
        "results/benchmarks/coarse/{dataset}/fusion_weights.tsv"
    wildcard_constraints:
        dataset="[^/]+",
    threads: 1
    resources:
        mem_mb=4000,
        runtime=60,
    params:
        coarse=config["coarse"],
    script:
        "../scripts/coarse_weights.py"


rule coarse_labels:
    input:
        manifest="results/manifests/{dataset}.csv",
        weights="results/coarse/{dataset}/fusion_weights.json",
        erase=coarse_erase_file,
        maps=coarse_video_maps,
        code=stan_sources("coarse"),
    output:
        labels=directory("results/coarse/{dataset}/{video}"),
        table="results/coarse/{dataset}/tables/{video}.csv",
        sheet="results/coarse/{dataset}/review/{video}.png",
    log:
        "results/logs/coarse/{dataset}/{video}.log",
    benchmark:
        "results/benchmarks/coarse/{dataset}/{video}.tsv"
    wildcard_constraints:
        dataset="[^/]+",
        video=COARSE_VIDEO,
    threads: 1
    resources:
        mem_mb=2000,
        runtime=60,
    params:
        coarse=config["coarse"],
    script:
        "../scripts/coarse_labels.py"


rule coarse_gather:
    input:
        tables=coarse_video_tables,
        code=stan_sources("coarse"),
    output:
        "results/coarse/{dataset}/label_sources.csv",
    log:
        "results/logs/coarse/{dataset}/label_sources.log",
    wildcard_constraints:
        dataset="[^/]+",
    script:
        "../scripts/coarse_gather.py"


rule coarse:
    input:
        all_label_tables,
