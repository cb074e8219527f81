from stan.evaluate import cv_table
from stan.logs import log_to

log_to(snakemake.log[0])
folds, methods = snakemake.params.folds, snakemake.params.methods
scores = iter(snakemake.input.scores)
cv_table(
    dict(zip(folds, snakemake.input.tables, strict=True)),
    snakemake.output[0],
    scores={fold: {method: next(scores) for method in methods} for fold in folds},
)
