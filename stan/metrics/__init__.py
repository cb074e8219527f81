"""Evaluation metrics: salient-object-detection scores and the DAVIS-2016 J/F protocol.

Saliency metrics (``frame_scores``) reproduce PySODMetrics 1.6.2 to floating-point precision:
F-measure (beta^2 = 0.3; max, mean and adaptive over 256 thresholds), MAE, S-measure
(alpha = 0.5), E-measure (max, mean, adaptive), weighted F-measure and the precision-recall
curve. The DAVIS measures (``jaccard``, ``boundary_fmeasure``, ``sequence_statistics``) follow the
official DAVIS-2016 toolkit. Frames are averaged within a video, then videos are averaged.
"""

from stan.metrics.davis import (
    SequenceStatistics,
    binarize,
    boundary_fmeasure,
    boundary_map,
    boundary_tolerance,
    decay_bin_edges,
    jaccard,
    jaccard_curve,
    sequence_statistics,
)
from stan.metrics.saliency import (
    CURVE_NAMES,
    SALIENCY_COLUMNS,
    FrameScores,
    frame_scores,
    mean_curves,
    summarize_frames,
)

__all__ = [
    "CURVE_NAMES",
    "SALIENCY_COLUMNS",
    "FrameScores",
    "SequenceStatistics",
    "binarize",
    "boundary_fmeasure",
    "boundary_map",
    "boundary_tolerance",
    "decay_bin_edges",
    "frame_scores",
    "jaccard",
    "jaccard_curve",
    "mean_curves",
    "sequence_statistics",
    "summarize_frames",
]
