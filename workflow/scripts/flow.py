import torch

from stan.data.manifest import load_manifest
from stan.flow.stage import compute_video_flow
from stan.logs import log_to

log_to(snakemake.log[0])
torch.set_num_threads(snakemake.threads)
compute_video_flow(
    load_manifest(snakemake.input.manifest),
    snakemake.wildcards.video,
    snakemake.wildcards.method,
    snakemake.params.flow,
    snakemake.output.npz,
)
