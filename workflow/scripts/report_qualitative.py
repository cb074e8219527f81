from stan.logs import log_to
from stan.report import qualitative_grid

log_to(snakemake.log[0])
qualitative_grid(
    snakemake.input.manifest,
    snakemake.params.videos,
    snakemake.params.roots,
    snakemake.output[0],
    title=f"{snakemake.wildcards.dataset}: frame, ground truth and saliency maps",
)
