from stan.logs import log_to
from stan.report import ablation_chart

log_to(snakemake.log[0])
ablation_chart(
    snakemake.input.table,
    snakemake.params.variants,
    snakemake.output[0],
    title=snakemake.wildcards.dataset,
)
