# Flow stage: optical flow of consecutive frames, one cache file per video.


rule video_flow:
    input:
        manifest="results/manifests/{dataset}.csv",
        checkpoint=flownet2_checkpoint_input,
        images=video_images,
        code=script_code("flow.py"),
    output:
        npz="results/flow/{dataset}/{method}/{video}.npz",
    log:
        "results/logs/flow/{dataset}/{method}/{video}.log",
    benchmark:
        "results/benchmarks/flow/{dataset}/{method}/{video}.tsv"
    conda:
        "../../envs/stan.yaml"
    threads: VIDEO_JOB_THREADS
    resources:
        mem_mb=4000,
        runtime=flow_runtime,
        gpu=flow_gpus,
    params:
        flow=config["flow"],
    script:
        "../scripts/flow.py"


rule flo_export:
    input:
        npz="results/flow/{dataset}/{method}/{video}.npz",
        code=script_code("flo_export.py"),
    output:
        directory("results/flo/{dataset}/{method}/{video}"),
    log:
        "results/logs/flo/{dataset}/{method}/{video}.log",
    conda:
        "../../envs/stan.yaml"
    resources:
        mem_mb=2000,
        runtime=30,
    script:
        "../scripts/flo_export.py"


rule flow:
    input:
        all_flow_files,
