from stan.data.check import check_video_masks
from stan.logs import log_to

log_to(snakemake.log[0])
check_video_masks(
    snakemake.input.manifest,
    snakemake.input.frames,
    snakemake.wildcards.video,
    snakemake.output[0],
    snakemake.wildcards.dataset,
    threads=snakemake.threads,
)
