"""Results for people: runtime table, comparison with the paper, figures, videos.

- ``runtime``: seconds per frame of each stage from Snakemake benchmark files (paper Table 4).
- ``compare``: measured rows beside the paper's Tables 1 and 2 (``paper_numbers``).
- ``figures``: qualitative grid (Figure 8) and ablation chart (Figure 6).
- ``movie``: frame | saliency | overlay videos of any video.
"""

from stan.report.compare import compare_with_paper
from stan.report.figures import ablation_chart, qualitative_grid
from stan.report.machine import describe_machine
from stan.report.movie import saliency_video
from stan.report.runtime import runtime_table

__all__ = [
    "ablation_chart",
    "compare_with_paper",
    "describe_machine",
    "qualitative_grid",
    "runtime_table",
    "saliency_video",
]
