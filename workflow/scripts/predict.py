from pathlib import Path

from stan.logs import log_to
from stan.predict.stage import predict_dataset

log_to(snakemake.log[0])
predict_dataset(
    manifest_csv=snakemake.input.manifest,
    checkpoint=snakemake.input.checkpoint,
    out_root=Path(snakemake.output[0]).parent,
    predict_config={**snakemake.params.predict, "threads": snakemake.threads},
    prior_root=snakemake.params.prior_root,
    flow_root=snakemake.params.flow_root,
    magnitude_root=snakemake.params.magnitude_root or None,
    feature_cache=snakemake.params.feature_root or None,
    videos=[snakemake.wildcards.video],
)
