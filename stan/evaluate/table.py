"""Benchmark table: one row per method, dataset-level scores = mean over videos."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd

from stan.evaluate.score import DAVIS_COLUMNS, SCORE_COLUMNS, TRAINED_COLUMNS
from stan.io import InputError, atomic_path, reading
from stan.metrics import SALIENCY_COLUMNS

log = logging.getLogger(__name__)

#: columns of the benchmark table, in order. ``maxF`` is the mean over videos of each video's
#: best-threshold F (the DAVSOD toolbox's convention); ``maxF_dataset`` the best F of one curve
#: over all frames of the dataset (one threshold for every frame, PySODMetrics run once over the
#: whole test set). J/F: at evaluate.binarize_threshold; ``*_tt``: at ``trained_threshold``.
TABLE_COLUMNS = (
    "method",
    "n_videos",
    "n_frames",
    *SALIENCY_COLUMNS,
    "maxF_dataset",
    *DAVIS_COLUMNS,
    *TRAINED_COLUMNS,
)


def read_scores(path: Path, method: str) -> pd.DataFrame:
    """Read a per-video score CSV written by ``score_method``, checking its columns."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: scores of method {method!r} not found; run its evaluate rule")
    with reading(path, f"score table of method {method!r}"):
        scores = pd.read_csv(path, dtype={"video": str})
    missing = [c for c in SCORE_COLUMNS if c not in scores.columns]
    if missing or scores.empty:
        raise InputError(
            f"{path}: not a score table of method {method!r} (missing columns {missing} or no "
            "rows); delete it and rerun its evaluate rule"
        )
    return scores


def dataset_maxf(scores: pd.DataFrame, curves_npz: str | Path, method: str) -> float:
    """Best F of the dataset's single curve: every frame weighs the same, one threshold.

    The curve is the frame-weighted mean of the per-video mean F curves in ``curves_npz``
    (``video_fmeasure``, V x 256), i.e. the mean F curve over all frames of the dataset.
    """
    path = Path(curves_npz)
    with np.load(path) as data:
        videos = [str(v) for v in data["videos"]]
        curves = data["video_fmeasure"]
    if videos != scores["video"].astype(str).tolist():
        raise InputError(
            f"{path}: videos differ from the score table of method {method!r}; delete both and "
            "rerun its evaluate rule"
        )
    weights = scores["n_frames"].to_numpy(dtype=np.float64)
    return float((weights @ curves / weights.sum()).max())


def dataset_scores(
    scores: pd.DataFrame, method: str, curves_npz: str | Path | None = None
) -> dict[str, float]:
    """Dataset-level row: every metric averaged over videos (each video weighs the same), and
    ``maxF_dataset`` from the curve file (NaN without one).

    A video with fewer than 3 scored frames has no DAVIS J/F (the first and last frames are
    excluded); such NaNs are left out of the J/F means, with a warning.
    """
    row: dict[str, float] = {
        "method": method,
        "n_videos": len(scores),
        "n_frames": int(scores["n_frames"].sum()),
    }
    row["maxF_dataset"] = np.nan if curves_npz is None else dataset_maxf(scores, curves_npz, method)
    for column in (*SALIENCY_COLUMNS, *DAVIS_COLUMNS, *TRAINED_COLUMNS):
        values = scores[column].to_numpy(dtype=np.float64)
        n_nan = int(np.isnan(values).sum())
        if n_nan and not (column in TRAINED_COLUMNS and n_nan == len(values)):
            log.warning(
                "%s: %s is undefined for %d of %d videos", method, column, n_nan, len(values)
            )
        row[column] = float(np.mean(values[~np.isnan(values)])) if n_nan < len(values) else np.nan
    return row


def make_table(
    score_csvs: dict[str, Path],
    out_csv: Path,
    curves: dict[str, Path] | None = None,
    trained_on: dict[str, str] | None = None,
) -> pd.DataFrame:
    """Write the benchmark table of several methods (rows in the order of ``score_csvs``).

    Every column but ``maxF_dataset`` is the mean over videos of the per-video value, which is
    itself the mean over the video's frames; so ``maxF`` is the mean of per-video maxima.
    ``maxF_dataset`` is the maximum of the dataset's curve over all frames (``dataset_maxf``,
    from ``curves``: method -> curve file; NaN for a method without one). ``trained_on`` names,
    per method, the training set its model learnt from (a ``trained_on`` column; '-' for
    training-free methods and methods not in the mapping).
    """
    if not score_csvs:
        raise InputError(
            "no score tables given; list methods under evaluate.methods in config.yaml"
        )
    scores = {method: read_scores(path, method) for method, path in score_csvs.items()}
    # Every method is scored on the same videos: a table missing some (a truncated CSV reads
    # as a shorter one) would average over fewer videos without a word.
    first, reference = next(iter(scores.items()))
    for method, table in scores.items():
        if set(table["video"]) != set(reference["video"]):
            missing = sorted(set(reference["video"]) ^ set(table["video"]))
            raise InputError(
                f"{score_csvs[method]}: scores videos that differ from those of method "
                f"{first!r} ({missing[:5]}); the table is damaged or stale: delete it "
                f"(`rm {score_csvs[method]}`) and run snakemake again"
            )
    curves = curves or {}
    rows = [dataset_scores(table, method, curves.get(method)) for method, table in scores.items()]
    table = pd.DataFrame(rows, columns=list(TABLE_COLUMNS))
    if trained_on is not None:
        table.insert(1, "trained_on", [trained_on.get(m, "-") for m in score_csvs])
    with atomic_path(out_csv) as tmp:
        table.to_csv(tmp, index=False)
    log.info("wrote %s (%d methods)", out_csv, len(table))
    return table
