from stan.flow.flownet2.checkpoint import missing_checkpoint
from stan.logs import log_to

log_to(snakemake.log[0])
raise missing_checkpoint(snakemake.output[0], snakemake.params.method)
