# Model bundles: a trained variant, its dataset's motion prior and the settings `stan predict`
# needs, in one file (stan.predict.bundle). The dataset's benchmark table, when it already
# exists, adds its scores; it is not built for the bundle.


rule bundle:
    input:
        checkpoint="results/models/{dataset}/{variant}.pt",
        prior="results/models/prior/{dataset}.pt",
        code=stan_sources("predict", "runtime"),
    output:
        "results/bundles/{dataset}/{variant}.pt",
    log:
        "results/logs/bundle/{dataset}/{variant}.log",
    conda:
        "../../envs/stan.yaml"
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        flow=config["flow"],
        crf=config["crf"],
        scores_table="results/tables/{dataset}.csv",
        half=True,
    script:
        "../scripts/bundle.py"
