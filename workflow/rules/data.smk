# Data stage: generate the synthetic set, index any dataset into a frame manifest.


rule synthetic_dataset:
    input:
        code=script_code("synthetic_dataset.py"),
    output:
        directory("results/datasets/synthetic"),
    log:
        "results/logs/data/synthetic_dataset.log",
    conda:
        "../../envs/stan.yaml"
    resources:
        mem_mb=2000,
        runtime=30,
    params:
        generate=config["data"]["synthetic"]["generate"],
    script:
        "../scripts/synthetic_dataset.py"


checkpoint manifest:
    input:
        unpack(manifest_inputs),
    output:
        csv="results/manifests/{dataset}.csv",
    log:
        "results/logs/data/manifest_{dataset}.log",
    conda:
        "../../envs/stan.yaml"
    resources:
        mem_mb=2000,
        runtime=30,
    params:
        adapter=manifest_adapter,
        settings=manifest_settings,
        cache_dir=manifest_cache_dir,
    script:
        "../scripts/manifest.py"


# Decodes every frame and mask of one video (truncated or corrupt files, mask sizes): the rules
# that read a video's frames list its record as an input, so a changed frame is checked first.
rule check_video:
    input:
        manifest="results/manifests/{dataset}.csv",
        frames=video_files,
        code=script_code("check_video.py"),
    output:
        "results/checks/{dataset}/{video}.csv",
    log:
        "results/logs/data/check/{dataset}/{video}.log",
    conda:
        "../../envs/stan.yaml"
    threads: VIDEO_JOB_THREADS
    resources:
        mem_mb=1000,
        runtime=30,
    script:
        "../scripts/check_video.py"


rule data:
    input:
        expand("results/manifests/{dataset}.csv", dataset=config["datasets"]),
        all_checks,
