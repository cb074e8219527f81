# Prior stage: the motion prior (SLIC superpixels of the flow image, AlexNet features, a
# three-layer scorer), trained on a dataset's annotated training frames, then one map per frame.


rule train_motion_prior:
    input:
        manifest="results/manifests/{dataset}.csv",
        flows=prior_training_flows,
        code=stan_sources("prior"),
    output:
        ckpt="results/models/prior/{dataset}.pt",
        history="results/models/prior/{dataset}.history.jsonl",
    log:
        "results/logs/prior/train/{dataset}.log",
    benchmark:
        "results/benchmarks/prior/train/{dataset}.tsv"
    conda:
        "../../envs/stan.yaml"
    threads: 2
    resources:
        mem_mb=8000,
        runtime=120,
    params:
        flow_root=flow_root,
        prior=config["prior"],
        sparse_gt_every=sparse_gt_every(),
    script:
        "../scripts/prior_train.py"


rule motion_prior:
    input:
        manifest="results/manifests/{dataset}.csv",
        flow=flow_path,
        ckpt=prior_checkpoint,
        code=stan_sources("prior"),
    output:
        directory("results/priors/{dataset}/{video}"),
    log:
        "results/logs/prior/maps/{dataset}/{video}.log",
    benchmark:
        "results/benchmarks/prior/maps/{dataset}/{video}.tsv"
    conda:
        "../../envs/stan.yaml"
    threads: VIDEO_JOB_THREADS
    resources:
        mem_mb=4000,
        runtime=30,
    params:
        prior=config["prior"],
    script:
        "../scripts/prior_maps.py"


rule prior:
    input:
        all_prior_maps,
