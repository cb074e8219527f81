# CRF stage: dense-CRF refinement of any method's saliency maps (paper section 4.2), one job per
# video. A method named "<M>+crf" in evaluate.methods is M's maps refined here, scored like any
# other method.


def all_crf_maps(wildcards):
    """Refined folders of every '+crf' method of evaluate.methods on every test video."""
    return [
        f"results/saliency/{dataset}/{method}/{video}"
        for dataset in config["datasets"]
        for method in config["evaluate"]["methods"]
        if method.endswith("+crf")
        for video in dataset_videos(dataset, "test")
    ]


rule video_crf:
    input:
        manifest="results/manifests/{dataset}.csv",
        maps="results/saliency/{dataset}/{method}/{video}",
        code=stan_sources("crf"),
    output:
        directory("results/saliency/{dataset}/{method}+crf/{video}"),
    log:
        "results/logs/crf/{dataset}/{method}/{video}.log",
    benchmark:
        "results/benchmarks/crf/{dataset}/{method}/{video}.tsv"
    wildcard_constraints:
        dataset="[^/]+",
        method="[^/+]+",
        video="[^/]+",
    conda:
        "../../envs/stan.yaml"
    threads: 2
    resources:
        mem_mb=2000,
        runtime=30,
    params:
        crf=config["crf"],
    script:
        "../scripts/crf.py"


rule crf:
    input:
        all_crf_maps,
