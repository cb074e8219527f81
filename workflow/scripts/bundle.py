from stan.logs import log_to
from stan.predict.bundle import write_bundle

log_to(snakemake.log[0])
write_bundle(
    snakemake.input.checkpoint,
    snakemake.input.prior,
    snakemake.output[0],
    dataset=snakemake.wildcards.dataset,
    flow=snakemake.params.flow,
    crf=snakemake.params.crf,
    baseline=snakemake.params.baseline,
    scores_table=snakemake.params.scores_table,
    half=snakemake.params.half,
    method=snakemake.wildcards.variant,
)
