from stan.coarse.stage import label_video
from stan.logs import log_to

log_to(snakemake.log[0])
label_video(
    snakemake.input.manifest,
    snakemake.wildcards.video,
    snakemake.input.weights,
    snakemake.input.erase,
    snakemake.output.labels,
    snakemake.output.table,
    snakemake.output.sheet,
    snakemake.params.coarse,
    snakemake.wildcards.dataset,
)
