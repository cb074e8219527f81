# STAN: video salient object detection with spatiotemporal attention networks.
# One rule file per stage under workflow/rules/; `snakemake --cores 2` runs the synthetic demo.
import os

from snakemake.utils import min_version, validate

min_version("9.0")

# envs/stan.yaml installs this checkout into the rules' conda environment (`--sdm conda`).
os.environ.update(STAN_REPO=workflow.basedir)


# The repository's config.yaml is the base; `--configfile` files are merged over it.
configfile: f"{workflow.basedir}/config.yaml"


validate(config, schema=f"{workflow.basedir}/workflow/schemas/config.schema.yaml")


# `snakemake --report report.html` gathers the tables and figures flagged with report().
report: "workflow/report/workflow.rst"


wildcard_constraints:
    variant="(OS|ST|STC|STL|STLC|STAN)(-s[1-9][0-9]*)?",


include: "workflow/rules/common.smk"
include: "workflow/rules/common_inputs.smk"
include: "workflow/rules/common_report.smk"
include: "workflow/rules/common_download.smk"
include: "workflow/rules/checks.smk"
include: "workflow/rules/common_evaluate.smk"
include: "workflow/rules/common_cv.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/flow.smk"
include: "workflow/rules/baseline.smk"
include: "workflow/rules/prior.smk"
include: "workflow/rules/coarse.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/predict.smk"
include: "workflow/rules/evaluate.smk"
include: "workflow/rules/crf.smk"
include: "workflow/rules/report.smk"
include: "workflow/rules/download.smk"
include: "workflow/rules/bundle.smk"


# Cheap bookkeeping rules run on the submitting machine, not as cluster jobs.
localrules:
    all,
    synthetic_dataset,
    table,
    coarse_gather,
    runtime_table,
    compare_paper,
    qualitative_figure,
    ablation_figure,


rule all:
    input:
        all_outputs,
