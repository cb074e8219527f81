from stan.data.stage import build_synthetic
from stan.logs import log_to

log_to(snakemake.log[0])
build_synthetic(snakemake.params.generate, snakemake.output[0])
