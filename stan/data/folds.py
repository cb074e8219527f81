"""Cross-validation folds over a dataset's training videos.

A fold dataset (config ``data.<name>: {adapter: fold, of: <base>, folds: K, fold: k}``) is the
base dataset's manifest restricted to its training videos, with every K-th of them (sorted by
name, starting at the k-th: a round-robin assignment) as the test split. Over k = 0..K-1 every
training video is tested exactly once; the base dataset's own test videos take no part.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from stan.data.manifest import load_manifest, validate_manifest, videos
from stan.io import InputError


def fold_videos(names: list[str], folds: int, fold: int) -> list[str]:
    """The test videos of fold ``fold`` of ``folds``: sorted names ``fold``, ``fold + folds``, ..."""
    if not isinstance(folds, int) or folds < 2:
        raise InputError(f"folds is {folds!r}; use an integer >= 2 (config key data.<name>.folds)")
    if not isinstance(fold, int) or not 0 <= fold < folds:
        raise InputError(f"fold is {fold!r}; use 0..{folds - 1} (config key data.<name>.fold)")
    return sorted(names)[fold::folds]


def fold_manifest(base_manifest: str | Path, folds: int, fold: int) -> pd.DataFrame:
    """The manifest of one fold, built from the base dataset's manifest CSV."""
    base = load_manifest(base_manifest)
    train = videos(base, "train")
    if len(train) < folds:
        raise InputError(
            f"{base_manifest}: {len(train)} training videos cannot make {folds} folds; lower "
            "data.<name>.folds"
        )
    test = set(fold_videos(train, folds, fold))
    df = base[base["video"].isin(train)].copy()
    df["split"] = ["test" if v in test else "train" for v in df["video"]]
    return validate_manifest(df, f"fold {fold} of {folds} of {base_manifest}")
