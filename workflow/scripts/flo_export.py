from stan.flow.stage import export_flo
from stan.logs import log_to

log_to(snakemake.log[0])
export_flo(snakemake.input.npz, snakemake.output[0])
