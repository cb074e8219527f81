# Report stage: runtime table (paper Table 4), comparison with the paper's Tables 1 and 2,
# qualitative grid (Figure 8), ablation chart (Figure 6) and saliency videos. Outputs flagged
# with report() appear in `snakemake --report report.html`. Helper functions:
# workflow/rules/common_report.smk.


rule runtime_table:
    input:
        manifests=expand("results/manifests/{dataset}.csv", dataset=config["datasets"]),
        products=runtime_products,
        code=script_code("report_runtime.py"),
    output:
        csv=report(
            "results/tables/runtime.csv",
            caption="../report/runtime.rst",
            category="Runtime",
        ),
        md="results/tables/runtime.md",
        html=report(
            "results/tables/runtime.html",
            caption="../report/runtime.rst",
            category="Runtime",
        ),
    log:
        "results/logs/report/runtime.log",
    conda:
        "../../envs/stan.yaml"
    params:
        datasets=config["datasets"],
        patterns=runtime_patterns,
    script:
        "../scripts/report_runtime.py"


rule compare_paper:
    input:
        table="results/tables/{dataset}.csv",
        code=script_code("report_compare.py"),
    output:
        md="results/tables/{dataset}_vs_paper.md",
        html=report(
            "results/tables/{dataset}_vs_paper.html",
            caption="../report/compare.rst",
            category="Comparison with the paper",
            subcategory="{dataset}",
        ),
    log:
        "results/logs/report/{dataset}_vs_paper.log",
    wildcard_constraints:
        dataset="[^/]+",
    conda:
        "../../envs/stan.yaml"
    params:
        adapter=compare_adapter,
        binarize_threshold=config["evaluate"]["binarize_threshold"],
    script:
        "../scripts/report_compare.py"


rule qualitative_figure:
    input:
        manifest="results/manifests/{dataset}.csv",
        frames=qualitative_frames,
        maps=qualitative_maps,
        code=script_code("report_qualitative.py"),
    output:
        report(
            "results/plots/{dataset}_qualitative.png",
            caption="../report/qualitative.rst",
            category="Figures",
            subcategory="{dataset}",
        ),
    log:
        "results/logs/report/{dataset}_qualitative.log",
    wildcard_constraints:
        dataset="[^/]+",
    conda:
        "../../envs/stan.yaml"
    params:
        videos=qualitative_videos,
        roots=qualitative_roots,
    script:
        "../scripts/report_qualitative.py"


rule ablation_figure:
    input:
        table="results/tables/{dataset}.csv",
        code=script_code("report_ablation.py"),
    output:
        report(
            "results/plots/{dataset}_ablation.png",
            caption="../report/ablation.rst",
            category="Figures",
            subcategory="{dataset}",
        ),
    log:
        "results/logs/report/{dataset}_ablation.log",
    wildcard_constraints:
        dataset="[^/]+",
    conda:
        "../../envs/stan.yaml"
    params:
        variants=config["report"]["ablation_methods"],
    script:
        "../scripts/report_ablation.py"


rule saliency_movie:
    input:
        manifest="results/manifests/{dataset}.csv",
        images=video_images,
        maps=method_video_maps,
        code=script_code("report_movie.py"),
    output:
        report(
            "results/videos/{dataset}/{method}/{video}.mp4",
            caption="../report/movie.rst",
            category="Videos",
            subcategory="{dataset}",
        ),
    log:
        "results/logs/report/movies/{dataset}/{method}/{video}.log",
    wildcard_constraints:
        dataset="[^/]+",
        method="[^/]+",
        video="[^/]+",
    conda:
        "../../envs/stan.yaml"
    params:
        fps=config["report"]["video_fps"],
    script:
        "../scripts/report_movie.py"


rule reports:
    input:
        "results/tables/runtime.csv",
        expand("results/tables/{dataset}_vs_paper.md", dataset=config["datasets"]),
        expand("results/plots/{dataset}_qualitative.png", dataset=config["datasets"]),
        expand("results/plots/{dataset}_ablation.png", dataset=config["datasets"]),
        report_movies,
