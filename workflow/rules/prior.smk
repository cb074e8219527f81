# Prior stage: the motion prior (SLIC superpixels of the flow image, AlexNet features, a
# three-layer scorer), trained on a dataset's annotated training frames, then one map per frame.


rule train_motion_prior:
    input:
        manifest="results/manifests/{dataset}.csv",
        frames=train_images_and_masks,
        flows=prior_training_flows,
        weights=prior_weights_input,
        code=script_code("prior_train.py"),
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
        runtime=prior_train_runtime,
        gpu=prior_gpus,
    params:
        flow_root=flow_root,
        prior=config["prior"],
        sparse_gt_every=prior_sparse_gt_every,
    script:
        "../scripts/prior_train.py"


rule motion_prior:
    input:
        manifest="results/manifests/{dataset}.csv",
        images=video_images,
        flow=flow_path,
        ckpt=video_prior_checkpoint,
        code=script_code("prior_maps.py"),
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
        runtime=prior_maps_runtime,
        gpu=prior_gpus,
    params:
        prior=config["prior"],
    script:
        "../scripts/prior_maps.py"


rule prior:
    input:
        all_prior_maps,
