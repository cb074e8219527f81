from stan.crf import refine_video
from stan.logs import log_to

log_to(snakemake.log[0])
refine_video(
    snakemake.input.manifest,
    snakemake.wildcards.video,
    snakemake.input.maps,
    snakemake.output[0],
    snakemake.params.crf,
    workers=snakemake.threads,
)
