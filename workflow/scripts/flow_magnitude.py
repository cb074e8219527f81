from stan.baseline.stage import write_flow_magnitude_maps
from stan.logs import log_to

log_to(snakemake.log[0])
write_flow_magnitude_maps(snakemake.input.flow, snakemake.output[0], snakemake.params.baseline)
