from stan.logs import log_to
from stan.predict.bundle import unpack_bundle

log_to(snakemake.log[0])
variant = snakemake.wildcards.get("variant")
unpack_bundle(
    snakemake.input.bundle,
    snakemake.output[0] if variant else None,
    None if variant else snakemake.output[0],
    variant=variant,
    backbone_weights=snakemake.params.backbone,
)
