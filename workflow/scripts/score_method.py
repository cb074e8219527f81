from stan.data.manifest import load_manifest
from stan.evaluate import score_method
from stan.logs import log_to

log_to(snakemake.log[0])
score_method(
    load_manifest(snakemake.input.manifest),
    snakemake.params.pred_root,
    snakemake.wildcards.method,
    snakemake.output.scores,
    snakemake.output.curves,
    binarize_threshold=snakemake.params.binarize_threshold,
    threshold_curves=snakemake.input.get("threshold"),
    split=snakemake.params.split,
    videos=snakemake.params.videos,
)
