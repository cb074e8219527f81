from stan.logs import log_to
from stan.predict.ensemble import average_video

log_to(snakemake.log[0])
average_video(
    snakemake.input.manifest,
    snakemake.wildcards.video,
    snakemake.input.maps,
    snakemake.output[0],
)
