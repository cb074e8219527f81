from stan.fetch import download
from stan.logs import log_to

log_to(snakemake.log[0])
download(
    snakemake.params.url,
    snakemake.output[0],
    sha256=snakemake.params.sha256,
    config_key=snakemake.params.config_key,
)
