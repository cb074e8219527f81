# CRF stage: dense-CRF refinement of any method's saliency maps (paper section 4.2), one job per
# video. A method listed as M+crf in evaluate.methods is the maps of M refined here, scored like
# any other method. Helper functions: workflow/rules/common_report.smk.


rule video_crf:
    input:
        manifest="results/manifests/{dataset}.csv",
        images=video_images,
        maps=method_video_maps,
        code=script_code("crf.py"),
    output:
        directory("results/saliency/{dataset}/{method}+crf/{video}"),
    log:
        "results/logs/crf/{dataset}/{method}/{video}.log",
    benchmark:
        "results/benchmarks/crf/{dataset}/{method}/{video}.tsv"
    wildcard_constraints:
        dataset="[^/]+",
        method="[^/+]+",
        video="[^/]+",
    conda:
        "../../envs/stan.yaml"
    threads: VIDEO_JOB_THREADS
    resources:
        mem_mb=2000,
        runtime=30,
    params:
        crf=config["crf"],
    script:
        "../scripts/crf.py"


rule crf:
    input:
        all_crf_maps,
