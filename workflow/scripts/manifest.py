from stan.data.stage import build_manifest
from stan.logs import log_to

log_to(snakemake.log[0])
build_manifest(
    snakemake.params.adapter,
    snakemake.params.settings,
    snakemake.output.csv,
    snakemake.params.cache_dir,
    dataset=snakemake.wildcards.dataset,
)
