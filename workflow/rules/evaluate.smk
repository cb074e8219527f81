# Evaluation stage: per-video scores of each method, one table and one PR plot per dataset.


rule score_method:
    input:
        manifest="results/manifests/{dataset}.csv",
        masks=test_masks,
        maps=method_maps,
        code=script_code("score_method.py"),
    output:
        scores="results/scores/{dataset}/{method}.csv",
        curves="results/scores/{dataset}/{method}_curves.npz",
    log:
        "results/logs/evaluate/{dataset}/{method}.log",
    benchmark:
        "results/benchmarks/evaluate/{dataset}/{method}.tsv"
    conda:
        "../../envs/stan.yaml"
    resources:
        mem_mb=2000,
        runtime=30,
    params:
        pred_root=method_root,
        binarize_threshold=config["evaluate"]["binarize_threshold"],
    script:
        "../scripts/score_method.py"


rule table:
    input:
        scores=expand(
            "results/scores/{{dataset}}/{method}.csv",
            method=config["evaluate"]["methods"],
        ),
        curves=expand(
            "results/scores/{{dataset}}/{method}_curves.npz",
            method=config["evaluate"]["methods"],
        ),
        code=script_code("table.py"),
    output:
        table=report(
            "results/tables/{dataset}.csv",
            caption="../report/table.rst",
            category="Tables",
            subcategory="{dataset}",
        ),
        plot=report(
            "results/plots/{dataset}_pr.png",
            caption="../report/pr.rst",
            category="Figures",
            subcategory="{dataset}",
        ),
    log:
        "results/logs/evaluate/{dataset}_table.log",
    conda:
        "../../envs/stan.yaml"
    resources:
        mem_mb=2000,
        runtime=30,
    params:
        methods=config["evaluate"]["methods"],
        trained_on=methods_trained_on,
    script:
        "../scripts/table.py"


rule evaluate:
    input:
        expand("results/tables/{dataset}.csv", dataset=config["datasets"]),
