from stan.evaluate import make_table, plot_pr
from stan.logs import log_to

log_to(snakemake.log[0])
methods = snakemake.params.methods
make_table(
    dict(zip(methods, snakemake.input.scores, strict=True)),
    snakemake.output.table,
    dict(zip(methods, snakemake.input.curves, strict=True)),
    trained_on=snakemake.params.trained_on,
)
plot_pr(
    dict(zip(methods, snakemake.input.curves, strict=True)),
    snakemake.output.plot,
    title=f"{snakemake.wildcards.dataset}: precision-recall",
)
