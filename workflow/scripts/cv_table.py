from stan.evaluate import cv_table
from stan.logs import log_to

log_to(snakemake.log[0])
cv_table(
    dict(zip(snakemake.params.folds, snakemake.input.tables, strict=True)),
    snakemake.output[0],
)
