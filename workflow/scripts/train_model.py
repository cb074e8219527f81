from stan.logs import log_to
from stan.train import train_model

log_to(snakemake.log[0])
train_model(
    manifest_csv=None,
    sources=snakemake.params.sources,
    out_checkpoint=snakemake.output.checkpoint,
    log_path=snakemake.output.steps,
    model_config=snakemake.params.model,
    train_config={**snakemake.params.train, "threads": snakemake.threads},
    init_checkpoint=snakemake.params.init,
)
