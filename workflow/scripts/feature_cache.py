from pathlib import Path

from stan.logs import log_to
from stan.train import cache_features

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
