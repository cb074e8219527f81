import torch

from stan.logs import log_to
from stan.prior.stage import write_motion_priors

log_to(snakemake.log[0])
torch.set_num_threads(snakemake.threads)
write_motion_priors(
    snakemake.input.manifest,
    snakemake.wildcards.video,
    snakemake.input.flow,
    snakemake.input.ckpt,
    snakemake.output[0],
    snakemake.params.prior,
)
