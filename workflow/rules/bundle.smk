# Model bundles: a trained variant, its dataset's motion prior and the settings `stan predict`
# needs, in one file (stan.predict.bundle). The dataset's benchmark table, when it already
# exists, adds its scores; it is not built for the bundle.


rule bundle:
    input:
        checkpoint="results/models/{dataset}/{variant}.pt",
        prior="results/models/prior/{dataset}.pt",
        code=script_code("bundle.py"),
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
        baseline=config["baseline"],
        scores_table="results/tables/{dataset}.csv",
        half=True,
    script:
        "../scripts/bundle.py"


# A dataset with data.<name>.model_from: <bundle.pt> is predicted with that bundle: unpacked
# here into the two checkpoints the predict and prior stages read like their own.
rule unbundle_model:
    input:
        unpack(unbundle_inputs),
    output:
        f"results/models/{BUNDLE_PREFIX}{{name}}/{{variant}}.pt",
    log:
        f"results/logs/bundle/{BUNDLE_PREFIX}{{name}}/{{variant}}.log",
    conda:
        "../../envs/stan.yaml"
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        backbone=backbone_weights(),
    script:
        "../scripts/unbundle.py"


rule unbundle_prior:
    input:
        unpack(unbundle_inputs),
    output:
        f"results/models/{BUNDLE_PREFIX}{{name}}/prior.pt",
    log:
        f"results/logs/bundle/{BUNDLE_PREFIX}{{name}}/prior.log",
    conda:
        "../../envs/stan.yaml"
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        backbone=backbone_weights(),
    script:
        "../scripts/unbundle.py"


# The pretrained model shipped in the package (`stan predict` without MODEL), rebuilt with
# `snakemake --cores 2 shipped_bundle --configfile workflow/configs/davis-all.yaml`.
rule shipped_bundle:
    input:
        "results/bundles/davis/STAN.pt",
    output:
        "stan/assets/stan-davis.pt",
    log:
        "results/logs/bundle/shipped.log",
    localrule: True
    conda:
        "../../envs/stan.yaml"
    shell:
        "cp {input} {output} 2> {log}"
