from stan.logs import log_to
from stan.report import saliency_video

log_to(snakemake.log[0])
saliency_video(
    snakemake.input.manifest,
    snakemake.wildcards.video,
    snakemake.input.maps,
    snakemake.output[0],
    fps=snakemake.params.fps,
    label=snakemake.wildcards.method,
)
