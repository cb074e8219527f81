from stan.logs import log_to
from stan.train.pretrain import pretrain_appearance

log_to(snakemake.log[0])
pretrain_appearance(
    out_checkpoint=snakemake.output.checkpoint,
    log_path=snakemake.output.steps,
    model_config=snakemake.params.model,
    pretrain_config=snakemake.params.pretrain,
    input_size=snakemake.params.input_size,
    seed=snakemake.params.seed,
    threads=snakemake.threads,
    device=snakemake.params.device,
)
