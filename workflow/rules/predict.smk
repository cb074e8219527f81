# Prediction stage: saliency maps of every test video from a trained variant, one job per video.


rule predict:
    input:
        unpack(predict_inputs),
    output:
        directory("results/saliency/{dataset}/{variant}/{video}"),
    log:
        "results/logs/predict/{dataset}/{variant}/{video}.log",
    benchmark:
        "results/benchmarks/predict/{dataset}/{variant}/{video}.tsv"
    conda:
        "../../envs/stan.yaml"
    threads: VIDEO_JOB_THREADS
    resources:
        mem_mb=6000,
        runtime=predict_runtime,
        gpu=predict_gpus,
    params:
        predict=predict_settings,
        prior_root="results/priors/{dataset}",
        flow_root=flow_root,
        magnitude_root=predict_magnitude_root,
        feature_root=predict_feature_root,
    script:
        "../scripts/predict.py"


# A seed ensemble M-ens<n> in evaluate.methods: the mean of the maps of M, M-s1, ..., M-s<n-1>
# (each a model of its own, trained with train.seed + k), one job per video.
rule ensemble:
    input:
        manifest="results/manifests/{dataset}.csv",
        maps=ensemble_member_maps,
        code=script_code("ensemble.py"),
    output:
        directory("results/saliency/{dataset}/{method}-ens{size}/{video}"),
    log:
        "results/logs/ensemble/{dataset}/{method}-ens{size}/{video}.log",
    benchmark:
        "results/benchmarks/ensemble/{dataset}/{method}-ens{size}/{video}.tsv"
    wildcard_constraints:
        dataset="[^/]+",
        method="[^/]+",
        size="[0-9]+",
        video="[^/]+",
    conda:
        "../../envs/stan.yaml"
    threads: VIDEO_JOB_THREADS
    resources:
        mem_mb=2000,
        runtime=10,
    script:
        "../scripts/ensemble.py"


rule predict_all:
    input:
        all_predictions,
