# STAN: video salient object detection with spatiotemporal attention networks.
# One rule file per stage under workflow/rules/; `snakemake --cores 2` runs the synthetic demo.
from snakemake.utils import min_version, validate

min_version("9.0")


configfile: "config.yaml"


validate(config, schema="workflow/schemas/config.schema.yaml")


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/flow.smk"
include: "workflow/rules/baseline.smk"
include: "workflow/rules/evaluate.smk"


rule all:
    input:
        expand("results/tables/{dataset}.csv", dataset=config["datasets"]),
        expand("results/plots/{dataset}_pr.png", dataset=config["datasets"]),
