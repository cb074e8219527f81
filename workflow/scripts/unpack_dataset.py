from stan.fetch import unpack_dataset
from stan.logs import log_to

log_to(snakemake.log[0])
unpack_dataset(
    snakemake.input.archives,
    snakemake.output[0],
    adapter=snakemake.params.adapter,
    exclude=snakemake.params.exclude,
    sources=snakemake.params.urls,
)
