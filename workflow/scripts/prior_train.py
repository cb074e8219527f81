import torch

from stan.logs import log_to
from stan.prior.train import train_motion_prior

log_to(snakemake.log[0])
torch.set_num_threads(snakemake.threads)
train_motion_prior(
    snakemake.input.manifest,
    snakemake.params.flow_root,
    snakemake.output.ckpt,
    snakemake.output.history,
    snakemake.params.prior,
    sparse_gt_every=snakemake.params.sparse_gt_every,
)
