# Helper functions of the crf and report stages (rule files hold rules only).


def all_crf_maps(wildcards):
    """Map folders of the evaluate.methods ending in CRF_SUFFIX, on every test video."""
    return [
        f"{saliency_root(dataset, method)}/{video}"
        for dataset in config["datasets"]
        for method in config["evaluate"]["methods"]
        if method.endswith(CRF_SUFFIX)
        for video in dataset_videos(dataset, "test")
    ]


def report_videos(dataset):
    """Videos a dataset's figures and movies show: report.videos[dataset], else the first
    report.n_videos test videos."""
    test_videos = dataset_videos(dataset, "test")
    chosen = config["report"]["videos"].get(dataset)
    if not chosen:
        return test_videos[: config["report"]["n_videos"]]
    unknown = sorted(set(chosen) - set(dataset_videos(dataset)))
    if unknown:
        raise ValueError(
            f"config key report.videos.{dataset} names videos that are not in dataset "
            f"{dataset!r}: {unknown}; pick from {dataset_videos(dataset)[:10]}..."
        )
    return list(chosen)


def report_video_method():
    return config["report"]["video_method"] or config["evaluate"]["methods"][-1]


def qualitative_maps(wildcards):
    return [
        f"{saliency_root(wildcards.dataset, method)}/{video}"
        for method in config["evaluate"]["methods"]
        for video in report_videos(wildcards.dataset)
    ]


def qualitative_frames(wildcards):
    return dataset_files(wildcards.dataset, report_videos(wildcards.dataset))


def qualitative_videos(wildcards):
    return report_videos(wildcards.dataset)


def qualitative_roots(wildcards):
    """Method -> folder of its maps, in evaluate.methods order (the grid's columns)."""
    return {
        method: saliency_root(wildcards.dataset, method)
        for method in config["evaluate"]["methods"]
    }


def runtime_patterns(wildcards):
    """Benchmark files of each paper stage (Table 4), per dataset: one <video>.tsv per job. The
    network stage is the predict jobs of report.runtime_method plus, with a frozen backbone, the
    feature-cache jobs of the same videos (the trunk's forward pass runs there)."""
    flow = config["flow"]["method"]
    network = config["report"]["runtime_method"]
    patterns = {}
    for dataset in config["datasets"]:
        predict = [f"results/benchmarks/predict/{dataset}/{network}/*.tsv"]
        caches = cache_dataset(
            dataset
        )  # a fold's flow and features are its base dataset's
        if config["model"]["frozen_backbone"]:
            predict.append(f"results/benchmarks/features/{caches}/*.tsv")
        patterns[dataset] = {
            "flow": f"results/benchmarks/flow/{caches}/{flow}/*.tsv",
            "prior": f"results/benchmarks/prior/maps/{dataset}/*.tsv",
            "network": predict,
            "crf": f"results/benchmarks/crf/{dataset}/*/*.tsv",
        }
    return patterns


def report_movies(wildcards):
    method = report_video_method()
    return [
        f"results/videos/{dataset}/{method}/{video}.mp4"
        for dataset in config["datasets"]
        for video in report_videos(dataset)
    ]


def compare_adapter(wildcards):
    return dataset_adapter(wildcards.dataset)


def dataset_scored(dataset):
    """Whether the dataset's test videos have ground truth (else: maps and movies, no scores)."""
    df = manifest_table(dataset)
    return bool((df.loc[df["split"] == "test", "gt"] != "").any())


def unscored_maps(dataset):
    """Maps of every evaluate.methods entry on the test videos (a dataset without ground truth)."""
    return [
        f"{saliency_root(dataset, method)}/{video}"
        for method in config["evaluate"]["methods"]
        for video in dataset_videos(dataset, "test")
    ]


def runtime_products(wildcards):
    """What the runtime table waits for: each dataset's table, or its maps when unscored (every
    stage's jobs, and so their benchmark files, come first)."""
    products = []
    for dataset in config["datasets"]:
        if dataset_scored(dataset):
            products.append(f"results/tables/{dataset}.csv")
        else:
            products += unscored_maps(dataset)
    return products


def all_outputs(wildcards):
    """The targets of the all rule: tables, plots and figures of every scored dataset; for datasets
    without ground truth (e.g. a folder of videos with model_from), the maps of every method
    and the movies."""
    for dataset in config["train"]["datasets"]:
        manifest_table(
            dataset
        )  # known up front: training jobs read every member's manifest
    outputs = ["results/tables/runtime.csv", *report_movies(wildcards)]
    for dataset in config["datasets"]:
        if dataset_scored(dataset):
            outputs += [
                f"results/tables/{dataset}.csv",
                f"results/plots/{dataset}_pr.png",
                f"results/plots/{dataset}_qualitative.png",
                f"results/plots/{dataset}_ablation.png",
                f"results/tables/{dataset}_vs_paper.md",
            ]
        else:
            outputs += unscored_maps(dataset)
    return outputs
