# Data stage: generate the synthetic set, index any dataset into a frame manifest.


rule synthetic_dataset:
    output:
        directory("results/datasets/synthetic"),
    params:
        generate=config["data"]["synthetic"]["generate"],
    input:
        code=stan_sources("data"),
    log:
        "results/logs/data/synthetic_dataset.log",
    script:
        "../scripts/synthetic_dataset.py"


checkpoint manifest:
    input:
        unpack(manifest_inputs),
    output:
        csv="results/manifests/{dataset}.csv",
    params:
        adapter=manifest_adapter,
        settings=manifest_settings,
        cache_dir=manifest_cache_dir,
    log:
        "results/logs/data/manifest_{dataset}.log",
    script:
        "../scripts/manifest.py"


rule data:
    input:
        expand("results/manifests/{dataset}.csv", dataset=config["datasets"]),
