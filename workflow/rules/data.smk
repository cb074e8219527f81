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


# Decode every frame, then every mask, of one video (truncated or corrupt files, sizes): a rule
# that reads a video's frames lists its frame record, one that reads its masks its mask record.
rule check_frames:
    input:
        manifest="results/manifests/{dataset}.csv",
        images=video_image_files,
        code=script_code("check_frames.py"),
    output:
        "results/checks/{dataset}/{video}.frames.csv",
    log:
        "results/logs/data/check/{dataset}/{video}.frames.log",
    conda:
        "../../envs/stan.yaml"
    threads: VIDEO_JOB_THREADS
    resources:
        mem_mb=1000,
        runtime=30,
    script:
        "../scripts/check_frames.py"


rule check_masks:
    input:
        manifest="results/manifests/{dataset}.csv",
        frames="results/checks/{dataset}/{video}.frames.csv",
        masks=video_mask_files,
        code=script_code("check_masks.py"),
    output:
        "results/checks/{dataset}/{video}.masks.csv",
    log:
        "results/logs/data/check/{dataset}/{video}.masks.log",
    conda:
        "../../envs/stan.yaml"
    threads: VIDEO_JOB_THREADS
    resources:
        mem_mb=1000,
        runtime=30,
    script:
        "../scripts/check_masks.py"


rule data:
    input:
        expand("results/manifests/{dataset}.csv", dataset=config["datasets"]),
        all_checks,
