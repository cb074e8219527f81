# The flow-magnitude baseline: camera-compensated residual flow as saliency, one job per video.


rule flow_magnitude:
    input:
        flow=flow_path,
        code=script_code("flow_magnitude.py"),
    output:
        directory("results/saliency/{dataset}/flow-magnitude/{video}"),
    log:
        "results/logs/baseline/{dataset}/{video}.log",
    benchmark:
        "results/benchmarks/baseline/{dataset}/{video}.tsv"
    conda:
        "../../envs/stan.yaml"
    resources:
        mem_mb=2000,
        runtime=30,
    params:
        baseline=config["baseline"],
    script:
        "../scripts/flow_magnitude.py"


rule baseline:
    input:
        all_baseline_maps,
