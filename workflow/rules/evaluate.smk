# Evaluation stage: per-video scores of each method, one table and one PR plot per dataset.


rule score_method:
    input:
        unpack(score_inputs),
    output:
        scores="results/scores/{dataset}/{method}.csv",
        curves="results/scores/{dataset}/{method}_curves.npz",
    log:
        "results/logs/evaluate/{dataset}/{method}.log",
    benchmark:
        "results/benchmarks/evaluate/{dataset}/{method}.tsv"
    wildcard_constraints:
        dataset="[^/]+",
        method="[^/]+",
    conda:
        "../../envs/stan.yaml"
    resources:
        mem_mb=2000,
        runtime=30,
    params:
        pred_root=method_root,
        binarize_threshold=config["evaluate"]["binarize_threshold"],
        split="test",
        videos=None,
    script:
        "../scripts/score_method.py"


# The maps of a method on a few training videos (evaluate.threshold_videos) choose its second
# J/F threshold; scored with the same code as the test videos.
rule score_threshold_videos:
    input:
        manifest="results/manifests/{dataset}.csv",
        maps=method_threshold_maps,
        masks=threshold_masks,
        code=script_code("score_method.py"),
    output:
        scores="results/scores/{dataset}/train/{method}.csv",
        curves="results/scores/{dataset}/train/{method}_curves.npz",
    log:
        "results/logs/evaluate/{dataset}/train/{method}.log",
    wildcard_constraints:
        dataset="[^/]+",
        method="[^/]+",
    conda:
        "../../envs/stan.yaml"
    resources:
        mem_mb=2000,
        runtime=30,
    params:
        pred_root=method_root,
        binarize_threshold=config["evaluate"]["binarize_threshold"],
        split="train",
        videos=method_threshold_videos,
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


ruleorder: cv_table > table


# Cross-validation summary over the fold datasets of a base dataset (data.<fold>.of: base) and
# over seed-suffixed methods (STAN-s1, ...): mean and spread of every score per base method.
rule cv_table:
    input:
        tables=cv_tables,
        scores=cv_scores,
        code=script_code("cv_table.py"),
    output:
        report(
            "results/tables/{base}_cv.csv",
            caption="../report/cv.rst",
            category="Tables",
        ),
    log:
        "results/logs/evaluate/{base}_cv.log",
    wildcard_constraints:
        base="[^/]+",
    conda:
        "../../envs/stan.yaml"
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        folds=cv_fold_names,
        methods=config["evaluate"]["methods"],
    script:
        "../scripts/cv_table.py"
