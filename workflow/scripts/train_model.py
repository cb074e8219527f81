from stan.logs import log_to
from stan.train import train_model

log_to(snakemake.log[0])
train_model(
    manifest_csv=snakemake.input.manifest,
    out_checkpoint=snakemake.output.checkpoint,
    log_path=snakemake.output.steps,
    model_config=snakemake.params.model,
    train_config={**snakemake.params.train, "threads": snakemake.threads},
    prior_root=snakemake.params.prior_root,
    flow_root=snakemake.params.flow_root,
    label_table=snakemake.params.label_table or None,
    feature_cache=snakemake.params.feature_root,
)
