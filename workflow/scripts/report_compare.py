from stan.logs import log_to
from stan.report import compare_with_paper

log_to(snakemake.log[0])
compare_with_paper(
    snakemake.input.table,
    snakemake.wildcards.dataset,
    snakemake.params.adapter,
    snakemake.output.md,
    snakemake.output.html,
    binarize_threshold=snakemake.params.binarize_threshold,
)
