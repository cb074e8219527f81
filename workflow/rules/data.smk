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
    threads: 2
    resources:
        mem_mb=2000,
        runtime=30,
    params:
        adapter=manifest_adapter,
        settings=manifest_settings,
        cache_dir=manifest_cache_dir,
    script:
        "../scripts/manifest.py"


rule data:
    input:
        expand("results/manifests/{dataset}.csv", dataset=config["datasets"]),
