from stan.logs import log_to
from stan.report import runtime_table

log_to(snakemake.log[0])
runtime_table(
    dict(zip(snakemake.params.datasets, snakemake.input.manifests, strict=True)),
    snakemake.params.patterns,
    snakemake.output.csv,
    snakemake.output.md,
    snakemake.output.html,
)
