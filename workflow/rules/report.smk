# Report stage: runtime table (paper Table 4), comparison with the paper's Tables 1 and 2,
# qualitative grid (Figure 8), ablation chart (Figure 6) and saliency videos. Outputs flagged
# with report() appear in `snakemake --report report.html`.


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
        f"results/saliency/{wildcards.dataset}/{method}/{video}"
        for method in config["evaluate"]["methods"]
        for video in report_videos(wildcards.dataset)
    ]


def qualitative_videos(wildcards):
    return report_videos(wildcards.dataset)


def qualitative_roots(wildcards):
    """Method -> folder of its maps, in evaluate.methods order (the grid's columns)."""
    return {
        method: f"results/saliency/{wildcards.dataset}/{method}"
        for method in config["evaluate"]["methods"]
    }


def runtime_patterns(wildcards):
    """Benchmark files of each paper stage (Table 4), per dataset: one <video>.tsv per job."""
    flow = config["flow"]["method"]
    network = config["report"]["runtime_method"]
    return {
        dataset: {
            "flow": f"results/benchmarks/flow/{dataset}/{flow}/*.tsv",
            "prior": f"results/benchmarks/prior/maps/{dataset}/*.tsv",
            "network": f"results/benchmarks/predict/{dataset}/{network}/*.tsv",
            "crf": f"results/benchmarks/crf/{dataset}/*/*.tsv",
        }
        for dataset in config["datasets"]
    }


def report_movies(wildcards):
    method = report_video_method()
    return [
        f"results/videos/{dataset}/{method}/{video}.mp4"
        for dataset in config["datasets"]
        for video in report_videos(dataset)
    ]


def compare_adapter(wildcards):
    return dataset_adapter(wildcards.dataset)


rule runtime_table:
    input:
        manifests=expand("results/manifests/{dataset}.csv", dataset=config["datasets"]),
        # the tables need every stage's maps, so their jobs (and benchmark files) come first
        tables=expand("results/tables/{dataset}.csv", dataset=config["datasets"]),
        code=stan_sources("report"),
    output:
        csv=report(
            "results/tables/runtime.csv",
            caption="../report/runtime.rst",
            category="Runtime",
        ),
        md="results/tables/runtime.md",
        html=report(
            "results/tables/runtime.html",
            caption="../report/runtime.rst",
            category="Runtime",
        ),
    log:
        "results/logs/report/runtime.log",
    conda:
        "../../envs/stan.yaml"
    params:
        datasets=config["datasets"],
        patterns=runtime_patterns,
    script:
        "../scripts/report_runtime.py"


rule compare_paper:
    input:
        table="results/tables/{dataset}.csv",
        code=stan_sources("report"),
    output:
        md="results/tables/{dataset}_vs_paper.md",
        html=report(
            "results/tables/{dataset}_vs_paper.html",
            caption="../report/compare.rst",
            category="Comparison with the paper",
            subcategory="{dataset}",
        ),
    log:
        "results/logs/report/{dataset}_vs_paper.log",
    wildcard_constraints:
        dataset="[^/]+",
    conda:
        "../../envs/stan.yaml"
    params:
        adapter=compare_adapter,
        binarize_threshold=config["evaluate"]["binarize_threshold"],
    script:
        "../scripts/report_compare.py"


rule qualitative_figure:
    input:
        manifest="results/manifests/{dataset}.csv",
        maps=qualitative_maps,
        code=stan_sources("report"),
    output:
        report(
            "results/plots/{dataset}_qualitative.png",
            caption="../report/qualitative.rst",
            category="Figures",
            subcategory="{dataset}",
        ),
    log:
        "results/logs/report/{dataset}_qualitative.log",
    wildcard_constraints:
        dataset="[^/]+",
    conda:
        "../../envs/stan.yaml"
    params:
        videos=qualitative_videos,
        roots=qualitative_roots,
    script:
        "../scripts/report_qualitative.py"


rule ablation_figure:
    input:
        table="results/tables/{dataset}.csv",
        code=stan_sources("report"),
    output:
        report(
            "results/plots/{dataset}_ablation.png",
            caption="../report/ablation.rst",
            category="Figures",
            subcategory="{dataset}",
        ),
    log:
        "results/logs/report/{dataset}_ablation.log",
    wildcard_constraints:
        dataset="[^/]+",
    conda:
        "../../envs/stan.yaml"
    params:
        variants=config["report"]["ablation_methods"],
    script:
        "../scripts/report_ablation.py"


rule saliency_movie:
    input:
        manifest="results/manifests/{dataset}.csv",
        maps="results/saliency/{dataset}/{method}/{video}",
        code=stan_sources("report"),
    output:
        report(
            "results/videos/{dataset}/{method}/{video}.mp4",
            caption="../report/movie.rst",
            category="Videos",
            subcategory="{dataset}",
        ),
    log:
        "results/logs/report/movies/{dataset}/{method}/{video}.log",
    wildcard_constraints:
        dataset="[^/]+",
        method="[^/]+",
        video="[^/]+",
    conda:
        "../../envs/stan.yaml"
    params:
        fps=config["report"]["video_fps"],
    script:
        "../scripts/report_movie.py"


rule reports:
    input:
        "results/tables/runtime.csv",
        expand("results/tables/{dataset}_vs_paper.md", dataset=config["datasets"]),
        expand("results/plots/{dataset}_qualitative.png", dataset=config["datasets"]),
        expand("results/plots/{dataset}_ablation.png", dataset=config["datasets"]),
        report_movies,
