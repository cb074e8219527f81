"""Benchmark table: one row per method, dataset-level scores = mean over videos."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd

from stan.evaluate.score import DAVIS_COLUMNS, SCORE_COLUMNS
from stan.io import InputError, atomic_path, reading
from stan.metrics import SALIENCY_COLUMNS

log = logging.getLogger(__name__)

#: columns of the benchmark table, in order
TABLE_COLUMNS = ("method", "n_videos", "n_frames", *SALIENCY_COLUMNS, *DAVIS_COLUMNS)


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


def dataset_scores(scores: pd.DataFrame, method: str) -> dict[str, float]:
    """Dataset-level row: every metric averaged over videos (each video weighs the same).

    A video with fewer than 3 scored frames has no DAVIS J/F (the first and last frames are
    excluded); such NaNs are left out of the J/F means, with a warning.
    """
    row: dict[str, float] = {
        "method": method,
        "n_videos": len(scores),
        "n_frames": int(scores["n_frames"].sum()),
    }
    for column in (*SALIENCY_COLUMNS, *DAVIS_COLUMNS):
        values = scores[column].to_numpy(dtype=np.float64)
        n_nan = int(np.isnan(values).sum())
        if n_nan:
            log.warning(
                "%s: %s is undefined for %d of %d videos", method, column, n_nan, len(values)
            )
        row[column] = float(np.mean(values[~np.isnan(values)])) if n_nan < len(values) else np.nan
    return row


def make_table(
    score_csvs: dict[str, Path], out_csv: Path, trained_on: dict[str, str] | None = None
) -> pd.DataFrame:
    """Write the benchmark table of several methods (rows in the order of ``score_csvs``).

    ``trained_on`` names, per method, the training set its model learnt from (a ``trained_on``
    column; '-' for training-free methods and methods not in the mapping).

    Every column is the mean over videos of the per-video value, which is itself the mean over
    the video's frames; so maxF here is the mean of per-video maxima, not the maximum of the
    dataset-level curve stored with the curves.
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
    rows = [dataset_scores(table, method) for method, table in scores.items()]
    table = pd.DataFrame(rows, columns=list(TABLE_COLUMNS))
    if trained_on is not None:
        table.insert(1, "trained_on", [trained_on.get(m, "-") for m in score_csvs])
    with atomic_path(out_csv) as tmp:
        table.to_csv(tmp, index=False)
    log.info("wrote %s (%d methods)", out_csv, len(table))
    return table
