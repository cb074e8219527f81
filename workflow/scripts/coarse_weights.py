from stan.coarse.stage import fit_fusion_weights
from stan.logs import log_to

log_to(snakemake.log[0])
fit_fusion_weights(
    snakemake.input.manifest,
    snakemake.output[0],
    snakemake.params.coarse,
    snakemake.wildcards.dataset,
)
