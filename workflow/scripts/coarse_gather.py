from stan.coarse.stage import gather_label_sources
from stan.logs import log_to

log_to(snakemake.log[0])
gather_label_sources(snakemake.input.tables, snakemake.output[0])
