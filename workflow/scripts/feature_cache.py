from pathlib import Path

from stan.inputs.features import cache_features
from stan.logs import log_to

log_to(snakemake.log[0])
cache_features(
    snakemake.input.manifest,
    Path(snakemake.output[0]).parent,
    snakemake.params.model,
    snakemake.params.input_size,
    videos=[snakemake.wildcards.video],
    device=snakemake.params.device,
    threads=snakemake.threads,
)
