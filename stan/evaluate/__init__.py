"""The evaluate stage: score saliency maps per video, tabulate methods, plot PR curves.

Dataset-level numbers average per frame within a video, then over videos.
"""

from stan.evaluate.cv import cv_table, ensemble_members, seed_name, split_seed
from stan.evaluate.plots import load_curves, plot_pr
from stan.evaluate.score import (
    SCORE_COLUMNS,
    score_method,
    score_video,
    scored_frames,
    trained_threshold,
)
from stan.evaluate.table import TABLE_COLUMNS, dataset_maxf, dataset_scores, make_table

__all__ = [
    "SCORE_COLUMNS",
    "TABLE_COLUMNS",
    "cv_table",
    "dataset_maxf",
    "dataset_scores",
    "ensemble_members",
    "load_curves",
    "make_table",
    "plot_pr",
    "score_method",
    "score_video",
    "scored_frames",
    "seed_name",
    "split_seed",
    "trained_threshold",
]
