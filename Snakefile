# STAN: video salient object detection with spatiotemporal attention networks.
# One rule file per stage under workflow/rules/; `snakemake --cores 2` runs the synthetic demo.
from snakemake.utils import min_version, validate

min_version("9.0")


# The repository's config.yaml is the base; `--configfile` files are merged over it.
configfile: f"{workflow.basedir}/config.yaml"


validate(config, schema=f"{workflow.basedir}/workflow/schemas/config.schema.yaml")


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/flow.smk"
include: "workflow/rules/baseline.smk"
include: "workflow/rules/evaluate.smk"


rule all:
    input:
        expand("results/tables/{dataset}.csv", dataset=config["datasets"]),
        expand("results/plots/{dataset}_pr.png", dataset=config["datasets"]),
